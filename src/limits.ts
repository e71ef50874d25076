/**
 * Every limit and default of lib_chan, declared once. The Limits type, the
 * conf schema ranges, the CLI help and the README limits table are all derived
 * from this table (a test renders the README table and compares).
 */
import { ChanError } from './errors.ts';

interface LimitSpec {
  default: number;
  unit: 'bytes' | 'MiB' | 'ms' | 'count';
  min: number;
  max: number;
  doc: string;
}

export const LIMITS = {
  maxFrameBytes: {
    default: 8 * 1024 * 1024,
    unit: 'bytes',
    min: 64,
    max: 1024 * 1024 * 1024,
    doc: 'Largest frame accepted, checked from the 4-byte length prefix before any buffering.',
  },
  maxLoginFrameBytes: {
    default: 64 * 1024,
    unit: 'bytes',
    min: 64,
    max: 1024 * 1024 * 1024,
    doc: 'Largest frame of a login (the first frame and the answer to the challenge or the secure login message, ArgsC included), refused from its length prefix; frames sent behind an unanswered login count against it too.',
  },
  frameTimeoutMs: {
    default: 60_000,
    unit: 'ms',
    min: 10,
    max: 86_400_000,
    doc: 'Time a frame has from its first byte to its last, before and after the login; a peer that dribbles one is closed (timeout).',
  },
  maxDecompressedBytes: {
    default: 8 * 1024 * 1024,
    unit: 'bytes',
    min: 0,
    max: 1024 * 1024 * 1024,
    doc: 'Largest uncompressed size of a compressed term (tag 80); 0 refuses compressed terms.',
  },
  maxTermDepth: {
    default: 64,
    unit: 'count',
    min: 1,
    max: 10_000,
    doc: 'Deepest nesting of tuples, lists and maps a decoded term may have.',
  },
  maxAtomsPerTerm: {
    default: 1_000_000,
    unit: 'count',
    min: 1,
    max: 100_000_000,
    doc: 'Most atoms one decoded term may hold (atoms are never interned globally).',
  },
  maxIntegerBytes: {
    default: 1_024,
    unit: 'bytes',
    min: 8,
    max: 16 * 1024 * 1024,
    doc: 'Largest magnitude of one integer (SMALL_BIG_EXT/LARGE_BIG_EXT), in bytes: printing an integer in decimal costs more than linear time, so bigger ones are refused (1024 bytes is 2,466 digits).',
  },
  handshakeTimeoutMs: {
    default: 5_000,
    unit: 'ms',
    min: 10,
    max: 600_000,
    doc: 'Time a peer has from connecting to finishing the login; then it is closed.',
  },
  idleTimeoutMs: {
    default: 0,
    unit: 'ms',
    min: 0,
    max: 86_400_000,
    doc: 'Close a channel after this long with no frame in either direction; 0 disables.',
  },
  connectTimeoutMs: {
    default: 10_000,
    unit: 'ms',
    min: 10,
    max: 600_000,
    doc: 'Client: time allowed for the TCP/WebSocket connect plus the handshake.',
  },
  rpcTimeoutMs: {
    default: 30_000,
    unit: 'ms',
    min: 1,
    max: 86_400_000,
    doc: 'Client: default time an rpc waits for its reply.',
  },
  maxConnections: {
    default: 1_024,
    unit: 'count',
    min: 1,
    max: 1_000_000,
    doc: 'Concurrent connections per server; one more is closed at once with a logged reason.',
  },
  maxConnectionsPerAddress: {
    default: 256,
    unit: 'count',
    min: 1,
    max: 1_000_000,
    doc: 'Concurrent connections from one remote address prefix (addressPrefixV4 / addressPrefixV6), WebSocket sockets waiting to upgrade included.',
  },
  maxAnonymousChannels: {
    default: 512,
    unit: 'count',
    min: 0,
    max: 1_000_000,
    doc: 'Channels open at once that logged in without a credential (services with password none), server-wide; one more login is refused (serverBusy), so they cannot take every connection slot.',
  },
  maxInflightRpcs: {
    default: 1_024,
    unit: 'count',
    min: 1,
    max: 1_000_000,
    doc: 'Calls awaiting a reply on one channel; one more closes the channel (server) or fails the call (client).',
  },
  maxQueuedBytes: {
    default: 16 * 1024 * 1024,
    unit: 'bytes',
    min: 1024,
    max: 4 * 1024 * 1024 * 1024,
    doc: 'Bytes queued for a peer that reads slowly; past this the channel is closed.',
  },
  maxMailboxMessages: {
    default: 10_000,
    unit: 'count',
    min: 1,
    max: 10_000_000,
    doc: 'Messages queued for a handler that has not taken them yet; past this the channel is closed.',
  },
  maxMailboxBytes: {
    default: 16 * 1024 * 1024,
    unit: 'bytes',
    min: 1024,
    max: 4 * 1024 * 1024 * 1024,
    doc: 'Wire bytes of the messages queued for a handler that has not taken them yet; past this the channel is closed.',
  },
  maxBufferedBytes: {
    default: 512 * 1024 * 1024,
    unit: 'bytes',
    min: 1024 * 1024,
    max: 1024 * 1024 * 1024 * 1024,
    doc: 'Server-wide budget for what connections make it hold: partial frames, frames held during a login, mailboxes and outbound queues; past it the connections holding the most are closed until the total is under it again.',
  },
  maxLoginFailures: {
    default: 5,
    unit: 'count',
    min: 1,
    max: 1_000_000,
    doc: 'Failed logins from one address prefix (addressPrefixV4 / addressPrefixV6) within loginLockoutMs before that prefix is locked out of every service for loginLockoutMs (refused before any key exchange or password check).',
  },
  maxServiceLoginFailures: {
    default: 10,
    unit: 'count',
    min: 1,
    max: 10_000_000,
    doc: 'Burst of the per-service guess budget: password checks one service may run at once before every login to it (right or wrong, from any address) waits for its turn at loginGuessesPerSecond.',
  },
  loginGuessesPerSecond: {
    default: 10,
    unit: 'count',
    min: 1,
    max: 1_000_000,
    doc: 'Per-service guess budget: failed password checks per second one service allows across all addresses; a login that would wait longer than its handshake has left is refused (rateLimited) without a check.',
  },
  loginLockoutMs: {
    default: 60_000,
    unit: 'ms',
    min: 0,
    max: 86_400_000,
    doc: 'Lock-out window after too many failed logins (and the window failures are counted in).',
  },
  addressPrefixV4: {
    default: 32,
    unit: 'count',
    min: 8,
    max: 32,
    doc: 'Prefix length (bits) of the IPv4 addresses treated as one client: counted and locked out together, and sharing maxConnectionsPerAddress.',
  },
  addressPrefixV6: {
    default: 64,
    unit: 'count',
    min: 16,
    max: 128,
    doc: 'Prefix length (bits) of the IPv6 addresses treated as one client, as addressPrefixV4 (a /64 is what one host usually gets, so a per-/128 bound would bind nothing).',
  },
  closeGraceMs: {
    default: 5_000,
    unit: 'ms',
    min: 0,
    max: 600_000,
    doc: 'On shutdown, time handlers get to finish after their channel is told to close.',
  },
  watchdogMs: {
    default: 5_000,
    unit: 'ms',
    min: 20,
    max: 600_000,
    doc: "Worker isolation: a service worker that leaves the watchdog's ping unanswered this long (its event loop is blocked) is terminated; its channels close with handlerCrashed.",
  },
  workerMaxHeapMb: {
    default: 256,
    unit: 'MiB',
    min: 8,
    max: 65_536,
    doc: 'Worker isolation: old-generation heap of one service worker; a worker that needs more is terminated (handlerCrashed).',
  },
  workerStartTimeoutMs: {
    default: 30_000,
    unit: 'ms',
    min: 100,
    max: 600_000,
    doc: 'Worker isolation: time a new service worker has to load its module and report ready; then it is terminated (a crash).',
  },
  workerMailboxBytes: {
    default: 64 * 1024 * 1024,
    unit: 'bytes',
    min: 1024,
    max: 16 * 1024 * 1024 * 1024,
    doc: "Worker isolation: estimated heap size of the messages posted to one service worker that its handlers have not taken yet, all its channels together (at most a quarter of workerMaxHeapMb is used); past it the channel holding the most is closed (limitExceeded), so no channel can exhaust the worker's heap.",
  },
  maxServiceWorkers: {
    default: 4,
    unit: 'count',
    min: 1,
    max: 64,
    doc: 'Worker isolation: most worker threads of one service at once (a fresh one takes new channels while the current one is unresponsive).',
  },
  remoteConnectTimeoutMs: {
    default: 5_000,
    unit: 'ms',
    min: 10,
    max: 600_000,
    doc: 'Remote start (`lib-chan remote`): time for the SSH session (TCP, host key, authentication); then connectTimeout.',
  },
  remoteUploadTimeoutMs: {
    default: 60_000,
    unit: 'ms',
    min: 10,
    max: 3_600_000,
    doc: 'Remote start: time for the SFTP upload of --upload DIR; then uploadFailed.',
  },
  remoteBootTimeoutMs: {
    default: 5_000,
    unit: 'ms',
    min: 10,
    max: 600_000,
    doc: 'Remote start: time for the remote command to start in its own process group and report its PID; then bootTimeout.',
  },
  remoteInitTimeoutMs: {
    default: 5_000,
    unit: 'ms',
    min: 10,
    max: 600_000,
    doc: 'Remote start: time for the gateway to load its conf, handlers and identity; then initTimeout.',
  },
  remoteStartupTimeoutMs: {
    default: 20_000,
    unit: 'ms',
    min: 10,
    max: 600_000,
    doc: 'Remote start: time for the gateway to bind its listeners once initialized; then startupTimeout.',
  },
  remoteStopGraceMs: {
    default: 10_000,
    unit: 'ms',
    min: 0,
    max: 600_000,
    doc: "Remote start and stop: time the gateway's process group has to exit after SIGTERM before SIGKILL.",
  },
  remoteOutputLines: {
    default: 20,
    unit: 'count',
    min: 1,
    max: 10_000,
    doc: 'Remote start: last lines of the remote stdout and of the remote stderr kept for a failure report.',
  },
  remoteMaxLineBytes: {
    default: 65_536,
    unit: 'bytes',
    min: 256,
    max: 16 * 1024 * 1024,
    doc: 'Remote start: longest remote output line read (the rest of a longer line is dropped).',
  },
  registryTtlMs: {
    default: 10_000,
    unit: 'ms',
    min: 2_000,
    max: 600_000,
    doc: "Registry: lease TTL of a gateway's registration (etcd rounds to whole seconds); a killed gateway is dropped this long after its last renewal, and a singleton leader steps down after half of it without renewal.",
  },
  failoverAttemptTimeoutMs: {
    default: 3_000,
    unit: 'ms',
    min: 10,
    max: 600_000,
    doc: 'Client by service name: time one gateway gets to connect and log in before the next is tried.',
  },
  failoverBackoffMs: {
    default: 30_000,
    unit: 'ms',
    min: 0,
    max: 3_600_000,
    doc: 'Client by service name: longest a gateway that failed is tried last (from 1 s, doubling per failure).',
  },
  reconnectMaxDelayMs: {
    default: 5_000,
    unit: 'ms',
    min: 10,
    max: 600_000,
    doc: 'Client with reconnect: longest jittered wait between reconnect attempts (from 100 ms, doubling).',
  },
} as const satisfies Record<string, LimitSpec>;

export type LimitName = keyof typeof LIMITS;

/**
 * The limits a service may set in its own options (`{limits, [...]}`): the ones
 * that apply once the login has chosen the service. The rest act before that
 * (frames, handshake, connections, logins, shutdown) and are server-wide; the
 * conf refuses them in service options rather than ignore them.
 */
export const SERVICE_LIMITS = [
  'idleTimeoutMs',
  'maxInflightRpcs',
  'maxQueuedBytes',
  'maxMailboxMessages',
  'maxMailboxBytes',
  'maxTermDepth',
  'maxDecompressedBytes',
  'maxAtomsPerTerm',
  'maxIntegerBytes',
  'watchdogMs',
  'workerMaxHeapMb',
  'workerStartTimeoutMs',
  'workerMailboxBytes',
  'maxServiceWorkers',
  'loginGuessesPerSecond',
  'maxServiceLoginFailures',
] as const satisfies readonly LimitName[];
export type Limits = { [K in LimitName]: number };

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze(Object.fromEntries(Object.entries(LIMITS).map(([k, v]) => [k, v.default])) as Limits);

/** Fill defaults and check ranges; a bad key or value is a badConf naming it. */
export function resolveLimits(partial: Partial<Record<string, unknown>> = {}, base: Readonly<Limits> = DEFAULT_LIMITS): Limits {
  const out: Limits = { ...base };
  for (const [key, value] of Object.entries(partial)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(LIMITS, key)) {
      throw new ChanError('badConf', `unknown limit "${key}" (known: ${Object.keys(LIMITS).join(', ')})`, { details: { key } });
    }
    const spec = LIMITS[key as LimitName];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < spec.min || value > spec.max) {
      throw new ChanError('badConf', `limit "${key}" must be an integer from ${spec.min} to ${spec.max} ${spec.unit}, got ${String(value)}`, {
        details: { key, limit: spec.max, actual: typeof value === 'number' ? value : undefined },
      });
    }
    out[key as LimitName] = value;
  }
  return out;
}

/** The README limits table, rendered from LIMITS (a test keeps the README in step). */
export function renderLimitsTable(): string {
  const rows = Object.entries(LIMITS).map(([k, v]) => `| \`${k}\` | ${v.default} | ${v.unit} | ${v.min}..${v.max} | ${v.doc} |`);
  return ['| limit | default | unit | range | meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}
