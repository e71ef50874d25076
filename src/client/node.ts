/**
 * The Node client: `connect(host, port, service, password, argsC, options)`
 * over TCP, as the book's lib_chan:connect/5, or `connect(url, service, ...)`
 * with a `ws://`, `wss://` or `tcp://` URL; plus the free functions
 * cast/rpc/disconnect that mirror lib_chan's.
 */
import { resolveLimits } from '../limits.ts';
import type { Channel } from '../chan/channel.ts';
import type { Term } from '../wire/etf/term.ts';
import { connectTcp } from '../transport/tcp.ts';
import { BusyPoll, MAX_BUSY_POLL_US } from '../transport/busy-poll.ts';
import { randomFillSync } from 'node:crypto';
import type { ClientOptions } from 'ws';
import { ChanError } from '../errors.ts';
import { formatHostPort } from '../auth/keys.ts';
import { COPIES_ON_SEND, connectWebSocket, type WebSocketConstructor } from '../transport/ws-client.ts';
import { connectOver, type ConnectOptions } from './connect.ts';

export { cast, rpc, disconnect } from './connect.ts';
import { nodeClientDefaults } from './secure-node.ts';
import { clientStart, destroyState } from '../auth/secure/handshake.ts';
import { nodeProvider } from '../auth/crypto-node.ts';
import { ReadyPool } from '../auth/ready-pool-node.ts';
import type { NodeConnectOptions } from './node-options.ts';
import { connectByName, type ByNameOptions, type ServiceTarget } from './by-name.ts';
import { ReconnectingChannel } from './reconnect.ts';
import { openRegistry } from '../registry/open.ts';

export type { ByNameOptions, ServiceTarget };
export type { StatusEvent } from './reconnect.ts';
export { ReconnectingChannel };

/** Hellos (ephemeral key pair and handshake state) made ahead, for connects with the native provider. */
const hellos = new ReadyPool(
  () => clientStart({ provider: nodeProvider }),
  (h: ReturnType<typeof clientStart>) => destroyState(h.state),
);

export type { NodeConnectOptions };
export type { ConnectOptions };

type UrlArgs = [service: string, password: string | null, argsC?: Term, options?: NodeConnectOptions];
type HostArgs = [port: number, ...UrlArgs];

/**
 * Connect and log in. `password` is the service's password, or null for a
 * service without one (or when logging in with `options.clientKey`).
 * `connect(host, port, ...)` is TCP; `connect(url, ...)` takes
 * `ws://host:port/path`, `wss://...` or `tcp://host:port`. The API and the
 * errors are the same whichever way the bytes go.
 */
export function connect(url: string, ...rest: UrlArgs): Promise<Channel>;
export function connect(host: string, ...rest: HostArgs): Promise<Channel>;
/**
 * By service name, through a registry (see by-name.ts for the choice and the
 * failover); `reconnect: true` gives a channel that re-resolves and
 * reconnects after a lost connection (reconnect.ts).
 */
export function connect(
  target: ServiceTarget & { reconnect: true },
  password: string | null,
  argsC?: Term,
  options?: ByNameOptions,
): Promise<ReconnectingChannel>;
export function connect(target: ServiceTarget & { reconnect?: false }, password: string | null, argsC?: Term, options?: ByNameOptions): Promise<Channel>;
export async function connect(
  target: string | (ServiceTarget & { reconnect?: boolean }),
  ...rest: UrlArgs | HostArgs | [password: string | null, argsC?: Term, options?: ByNameOptions]
): Promise<Channel | ReconnectingChannel> {
  if (typeof target === 'object' && target !== null) {
    const [password, argsC = [], options = {}] = rest as [string | null, Term?, ByNameOptions?];
    return connectService(target, password, argsC, options);
  }
  if (typeof rest[0] === 'number') {
    const [port, service, password, argsC = [], options = {}] = rest as HostArgs;
    return connectTcpHost(target, port, service, password, argsC, options);
  }
  const [service, password, argsC = [], options = {}] = rest as UrlArgs;
  const url = parseTarget(target);
  if (url.protocol === 'tcp:') return connectTcpHost(url.hostname.replace(/^\[|\]$/g, ''), Number(url.port), service, password, argsC, options);
  const limits = resolveLimits(options.limits ?? {});
  const poll = busyPollFor(options);
  const port = Number(url.port || (url.protocol === 'wss:' ? 443 : 80));
  const opts = withHello(nodeClientDefaults(options, formatHostPort(url.hostname, port)));
  let transport;
  try {
    transport = await connectWebSocket(url.href, {
      WebSocket: options.webSocket ?? (await nodeWebSocket(limits.maxFrameBytes)),
      maxFrameBytes: limits.maxFrameBytes,
      timeoutMs: limits.connectTimeoutMs,
      onIo: poll?.poke,
    });
  } catch (e) {
    if (opts.preparedHello) destroyState(opts.preparedHello.state);
    throw e;
  }
  return connectOver(transport, service, password, argsC, opts);
}

async function connectService(
  target: ServiceTarget & { reconnect?: boolean },
  password: string | null,
  argsC: Term,
  options: ByNameOptions,
): Promise<Channel | ReconnectingChannel> {
  if (!target.reconnect) return connectByName(connect, target, password, argsC, options);
  // Long-lived: one registry kept open (with a watched cache where the backend has one) for every reconnect.
  const owned = typeof target.registry === 'string';
  const registry = typeof target.registry === 'string' ? await openRegistry(target.registry, { watch: true }) : target.registry;
  const again = (): Promise<Channel> => connectByName(connect, { service: target.service, registry }, password, argsC, options);
  let first: Channel;
  try {
    first = await again();
  } catch (e) {
    if (owned) await registry.close();
    throw e;
  }
  return new ReconnectingChannel(first, again, resolveLimits(options.limits ?? {}), async () => {
    if (owned) await registry.close();
  });
}

/**
 * The secure hello, made before the connection exists: one made while this
 * process was idle when the provider is the default native one, else one made
 * now (while the SYN or the WebSocket upgrade is on its way).
 */
function withHello(opts: ConnectOptions): ConnectOptions {
  if (opts.protocol !== 'legacy' && !opts.preparedHello) {
    opts.preparedHello = opts.crypto === nodeProvider ? hellos.take() : clientStart({ provider: opts.crypto });
  }
  return opts;
}

async function connectTcpHost(
  host: string,
  port: number,
  service: string,
  password: string | null,
  argsC: Term,
  options: NodeConnectOptions,
): Promise<Channel> {
  const limits = resolveLimits(options.limits ?? {});
  const poll = busyPollFor(options);
  // Before anything is opened: it reads key files and may throw.
  const opts = nodeClientDefaults(options, formatHostPort(host, port));
  const pending = connectTcp(host, port, { maxFrameBytes: limits.maxFrameBytes, timeoutMs: limits.connectTimeoutMs, meter: poll?.poke });
  try {
    withHello(opts);
  } catch (e) {
    void pending.then(
      (t) => t.destroy(),
      () => {},
    );
    throw e;
  }
  let transport;
  try {
    transport = await pending;
  } catch (e) {
    if (opts.preparedHello) destroyState(opts.preparedHello.state);
    throw e;
  }
  return connectOver(transport, service, password, argsC, opts);
}

/** The channel's poller for `busyPollUs` (none when it is 0 or absent); a bad value is refused before anything opens. */
function busyPollFor(options: NodeConnectOptions): BusyPoll | undefined {
  const us = options.busyPollUs;
  if (us === undefined || us === 0) return undefined;
  if (!Number.isInteger(us) || us < 0 || us > MAX_BUSY_POLL_US) {
    throw new ChanError('badArgument', `busyPollUs must be an integer from 0 to ${MAX_BUSY_POLL_US} (microseconds), not ${String(us)}`, {
      details: { key: 'busyPollUs' },
    });
  }
  return new BusyPoll(us);
}

function parseTarget(target: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(target);
  } catch {
    // reported below
  }
  if (!url || !['ws:', 'wss:', 'tcp:'].includes(url.protocol) || (url.protocol === 'tcp:' && !url.port)) {
    throw new ChanError('badArgument', `connect: "${target}" is neither a host followed by a port nor a ws://, wss:// or tcp://host:port URL`);
  }
  return url;
}

/**
 * Most fragments one WebSocket message may arrive in (a lib_chan peer sends
 * one fragment per frame; each fragment is kept as its own Buffer until the
 * message completes, so tiny fragments would cost ~100 bytes of heap per byte).
 */
export const WS_MAX_FRAGMENTS = 1_024;
/** Most socket reads ws keeps while a frame header or body is incomplete (a dribbled frame). */
export const WS_MAX_BUFFERED_CHUNKS = 8_192;

/**
 * ws's WebSocket, refusing a message longer than maxFrameBytes from its
 * header (browsers cannot), and one in more than WS_MAX_FRAGMENTS fragments
 * or WS_MAX_BUFFERED_CHUNKS reads, whatever ws's own defaults are. Exported
 * for its tests (test/integration/ws-client.test.ts), not by the package.
 */
export async function nodeWebSocket(maxFrameBytes: number): Promise<WebSocketConstructor> {
  // ws is loaded by the first WebSocket connect, not with lib-chan: about 100 ms of CPU in every process
  // and worker thread that imports lib-chan (a handler does, for its terms) and never opens one.
  const { WebSocket } = await import('ws');
  return class extends WebSocket {
    /** ws.send() masks a binary message into a buffer of its own, given a mask that is never all zeros. */
    static readonly [COPIES_ON_SEND] = true;
    constructor(url: string) {
      super(url, {
        maxPayload: maxFrameBytes,
        maxFragments: WS_MAX_FRAGMENTS,
        maxBufferedChunks: WS_MAX_BUFFERED_CHUNKS,
        generateMask: nonZeroMask,
      } as ClientOptions);
    }
  };
}

/** Random bytes for masks, drawn from the system 1 KiB at a time (as ws does). */
const maskPool = new Uint8Array(1024);
let maskPoolAt = maskPool.length;

/**
 * A WebSocket masking key (RFC 6455 5.3: unpredictable, from a strong source) that is never all zeros.
 * ws sends a message under a zero mask as it was given, without a copy (the mask changes nothing),
 * which COPIES_ON_SEND must not meet; the draws that would be zero (one in 2^32) are drawn again.
 */
function nonZeroMask(mask: Uint8Array): void {
  do {
    if (maskPoolAt === maskPool.length) {
      randomFillSync(maskPool);
      maskPoolAt = 0;
    }
    mask[0] = maskPool[maskPoolAt++];
    mask[1] = maskPool[maskPoolAt++];
    mask[2] = maskPool[maskPoolAt++];
    mask[3] = maskPool[maskPoolAt++];
  } while ((mask[0] | mask[1] | mask[2] | mask[3]) === 0);
}
