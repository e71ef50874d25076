/**
 * `lib-chan remote start|stop|status`: start a gateway on another machine over SSH and manage
 * it later. The SSH client (ssh2) is loaded only when one of these runs.
 */
import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChanError } from '../../errors.ts';
import { LIMITS, type LimitName } from '../../limits.ts';
import { EXIT, UsageError, type CliIO, type Command } from '../command.ts';
import { remoteStatus, remoteStop } from './control.ts';
import { defaultKnownHostsFile } from './known-hosts.ts';
import { printable } from './lines.ts';
import { defaultStateDir, findRecords, recordFile, removeRecord, writeRecord, type RemoteRecord } from './record.ts';
import type { SshAuth, SshTarget } from './ssh.ts';
import { exitStatusFor, REMOTE_FAILURES, STAGES, STAGE_INFO } from './stages.ts';
import { remoteStart, type RemoteFailureDetails, type SessionOptions } from './start.ts';

const USAGE = [
  'lib-chan remote start [user@]host[:port] [--identity KEY] [--known-hosts FILE] [--accept-new] [--connect-timeout 5s] [--boot-timeout 5s]',
  '                      [--init-timeout 5s] [--startup-timeout 20s] [--upload DIR] [--remote-command CMD] [--name NAME] [--json] -- start --conf FILE ...',
  '       lib-chan remote status [user@]host[:port] [--name NAME] [--json]',
  '       lib-chan remote stop [user@]host[:port] [--name NAME] [--stop-timeout 10s] [--json]',
].join('\n');

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const DEFAULT_NAME = 'gateway';

/** `[user@]host[:port]`, `[v6]:port` too. */
export function parseTarget(text: string): { user?: string; host: string; port?: number } {
  const m = /^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s[\]]+)(?::(\d+))?$/.exec(text);
  if (!m) throw new UsageError(`"${text}" is not [user@]host[:port]`);
  const port = m[3] !== undefined ? Number(m[3]) : undefined;
  if (port !== undefined && (port < 1 || port > 65535)) throw new UsageError(`port ${m[3]} is not 1..65535`);
  return { user: m[1], host: m[2].replace(/^\[(.*)\]$/, '$1'), port };
}

/** `5s`, `500ms`, `2m`, or milliseconds; within the limit's range. */
export function parseDuration(option: string, text: string | undefined, limit: LimitName): number {
  const spec = LIMITS[limit];
  if (text === undefined) return spec.default;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${option} must be a duration like 5s, 500ms or 2m, got "${text}"`);
  const ms = Math.round(Number(m[1]) * (m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 1));
  if (ms < spec.min || ms > spec.max) throw new UsageError(`${option} must be from ${spec.min} to ${spec.max} ms, got ${ms} ms`);
  return ms;
}

type Values = Record<string, string | boolean | string[] | undefined>;

function str(v: Values, k: string): string | undefined {
  return typeof v[k] === 'string' ? (v[k] as string) : undefined;
}

function authFrom(identity: string | undefined, env: CliIO['env']): SshAuth {
  if (identity !== undefined) return { keyFiles: [path.resolve(identity)] };
  const home = env.HOME ?? os.homedir();
  const keyFiles = ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((n) => path.join(home, '.ssh', n));
  return { keyFiles: keyFiles.filter((f) => exists(f)), agent: env.SSH_AUTH_SOCK || undefined };
}

function exists(f: string): boolean {
  try {
    return statSync(f).isFile();
  } catch {
    return false;
  }
}

function startArgs(pos: string[]): { args: string[]; infoLogs: boolean } {
  const args = pos.length === 0 ? ['start'] : [...pos];
  if (args[0] !== 'start') throw new UsageError(`the remote command line must begin with "start" (after --), got "${args[0]}"`);
  if (args.includes('--pretty')) throw new UsageError("--pretty cannot be used: remote start reads the gateway's JSON log lines");
  const i = args.indexOf('--log-level');
  let infoLogs = true;
  if (i !== -1) {
    const level = args[i + 1];
    if (!['info', 'debug', 'trace'].includes(level ?? ''))
      throw new UsageError(`--log-level ${level ?? ''}: remote start needs info-level log events (info, debug or trace)`);
    infoLogs = false;
  }
  if (!args.includes('--json')) args.push('--json');
  return { args, infoLogs };
}

function say(io: CliIO, json: boolean, line: string): void {
  (json ? io.stderr : io.stdout).write(`${line}\n`);
}

function failureReport(e: ChanError, what: string): string {
  const d = e.details as Partial<RemoteFailureDetails>;
  const out = [`lib-chan remote ${what}: ${d.stage ?? 'connect'} stage failed after ${d.elapsedMs ?? '?'} ms [${e.code}]: ${printable(e.message)}`];
  if (d.stagesMs && Object.keys(d.stagesMs).length)
    out.push(
      `  stages done: ${Object.entries(d.stagesMs)
        .map(([k, v]) => `${k} ${v} ms`)
        .join(', ')}`,
    );
  out.push(`  exit status: ${d.exitStatus ?? 'none'}`);
  if (d.remotePath !== undefined && e.code === 'commandNotFound') out.push(`  remote PATH: ${printable(d.remotePath)}`);
  if (d.cleanup !== undefined) out.push(`  left behind: ${d.leftBehind ? 'POSSIBLY: ' : 'nothing; '}${d.cleanup}`);
  for (const [name, lines] of [
    ['stdout', d.stdout],
    ['stderr', d.stderr],
  ] as const) {
    if (!lines || lines.length === 0) {
      if (d.stage !== undefined && d.stage !== 'connect' && d.stage !== 'upload') out.push(`  last remote ${name}: (none)`);
      continue;
    }
    out.push(`  last remote ${name} (${lines.length} line${lines.length === 1 ? '' : 's'}):`);
    for (const l of lines) out.push(`    | ${printable(l)}`);
  }
  return out.join('\n');
}

function failureJson(e: ChanError): Record<string, unknown> {
  const d = e.details as Partial<RemoteFailureDetails>;
  return { ok: false, code: e.code, message: e.message, exit: exitStatusFor(e.code), ...d };
}

function session(io: CliIO, v: Values, t: SshTarget, r: RemoteRecord | undefined, json: boolean): SessionOptions {
  const identity = str(v, 'identity') ?? r?.identity;
  return {
    target: t,
    auth: authFrom(identity, io.env),
    knownHostsFile: path.resolve(str(v, 'known-hosts') ?? r?.knownHosts ?? defaultKnownHostsFile(io.env)),
    acceptNew: v['accept-new'] === true,
    connectTimeoutMs: parseDuration('--connect-timeout', str(v, 'connect-timeout'), 'remoteConnectTimeoutMs'),
    announce: (l) => say(io, json, l),
  };
}

function pickRecord(dir: string, target: ReturnType<typeof parseTarget>, name: string | undefined): RemoteRecord {
  const found = findRecords(dir, { host: target.host, user: target.user, port: target.port, name });
  if (found.length === 0) throw new ChanError('badArgument', `no gateway started on ${target.host}${name ? ` named ${name}` : ''} is recorded in ${dir}`);
  if (found.length > 1)
    throw new UsageError(
      `several gateways are recorded for ${target.host}: ${found.map((r) => `${r.user}@${r.host}:${r.port} --name ${r.name}`).join('; ')}; say which`,
    );
  return found[0];
}

async function start(v: Values, pos: string[], io: CliIO): Promise<number> {
  if (pos.length < 1) throw new UsageError('expected [user@]host[:port]');
  const json = v.json === true;
  const t = parseTarget(pos[0]);
  const target: SshTarget = { user: t.user ?? os.userInfo().username, host: t.host, port: t.port ?? 22 };
  const name = str(v, 'name') ?? DEFAULT_NAME;
  if (!NAME_RE.test(name)) throw new UsageError(`--name must match ${NAME_RE}, got "${name}"`);
  const { args, infoLogs } = startArgs(pos.slice(1));
  const stateDir = path.resolve(str(v, 'state-dir') ?? defaultStateDir(io.env));
  const existing = findRecords(stateDir, { host: target.host, user: target.user, port: target.port, name });
  if (existing.length) {
    throw new UsageError(
      `a gateway named ${name} on ${target.user}@${target.host}:${target.port} is already recorded (pid ${existing[0].pid}, started ${existing[0].startedAt}); run lib-chan remote status or stop first`,
    );
  }
  const upload = str(v, 'upload');
  if (upload !== undefined) {
    try {
      if (!statSync(upload).isDirectory()) throw new Error('not a folder');
    } catch (e) {
      throw new UsageError(`--upload ${upload}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  const s = session(io, v, target, undefined, json);
  const remoteDir = str(v, 'remote-dir') ?? `.lib-chan/remote/${name}`;
  const remoteCommand = str(v, 'remote-command') ?? 'lib-chan';
  const identity = str(v, 'identity');
  try {
    const res = await remoteStart({
      ...s,
      timeouts: {
        connect: s.connectTimeoutMs,
        upload: parseDuration('--upload-timeout', str(v, 'upload-timeout'), 'remoteUploadTimeoutMs'),
        boot: parseDuration('--boot-timeout', str(v, 'boot-timeout'), 'remoteBootTimeoutMs'),
        init: parseDuration('--init-timeout', str(v, 'init-timeout'), 'remoteInitTimeoutMs'),
        startup: parseDuration('--startup-timeout', str(v, 'startup-timeout'), 'remoteStartupTimeoutMs'),
      },
      uploadDir: upload !== undefined ? path.resolve(upload) : undefined,
      remoteCommand,
      remoteDir,
      args,
      infoLogs,
      stopGraceMs: parseDuration('--stop-timeout', str(v, 'stop-timeout'), 'remoteStopGraceMs'),
      outputLines: LIMITS.remoteOutputLines.default,
      maxLineBytes: LIMITS.remoteMaxLineBytes.default,
    });
    const record: RemoteRecord = {
      version: 1,
      name,
      user: target.user,
      host: target.host,
      port: target.port,
      pid: res.pid,
      lstart: res.lstart,
      remoteDir,
      remoteCommand,
      args,
      startedAt: new Date().toISOString(),
      endpoints: res.endpoints,
      publicKey: res.publicKey,
      knownHosts: s.knownHostsFile,
      identity: identity !== undefined ? path.resolve(identity) : undefined,
      stagesMs: res.stagesMs,
    };
    const file = writeRecord(stateDir, record);
    if (json) {
      io.stdout.write(`${JSON.stringify({ ok: true, ...res, record: file, remoteDir })}\n`);
    } else {
      const lines = [
        `started ${name} on ${target.user}@${target.host}:${target.port}: pid ${res.pid} (its own process group)`,
        ...res.endpoints.map((e) => `  endpoint   ${e}`),
        `  public key ${res.publicKey ?? '(none: the conf has no identity)'}${res.identityCreated ? ' (a new identity, created now)' : ''}`,
        `  stages     ${STAGES.filter((st) => res.stagesMs[st] !== undefined)
          .map((st) => `${st} ${res.stagesMs[st]} ms`)
          .join(', ')}; total ${res.totalMs} ms`,
        `  logs       ${remoteDir}/out.log, ${remoteDir}/err.log on the remote host`,
        `  record     ${file} (for lib-chan remote status|stop ${target.host})`,
      ];
      io.stdout.write(`${lines.join('\n')}\n`);
    }
    return EXIT.ok;
  } catch (e) {
    if (!(e instanceof ChanError)) throw e;
    if (json) io.stdout.write(`${JSON.stringify(failureJson(e))}\n`);
    io.stderr.write(`${failureReport(e, 'start')}\n`);
    return exitStatusFor(e.code);
  }
}

async function stop(v: Values, pos: string[], io: CliIO): Promise<number> {
  if (pos.length !== 1) throw new UsageError('expected [user@]host[:port]');
  const json = v.json === true;
  const stateDir = path.resolve(str(v, 'state-dir') ?? defaultStateDir(io.env));
  const r = pickRecord(stateDir, parseTarget(pos[0]), str(v, 'name'));
  const grace = parseDuration('--stop-timeout', str(v, 'stop-timeout'), 'remoteStopGraceMs');
  try {
    const res = await remoteStop(r, session(io, v, { user: r.user, host: r.host, port: r.port }, r, json), grace);
    if (res.outcome !== 'left') removeRecord(stateDir, r);
    const text = {
      stopped: `stopped ${r.name} on ${r.host} (pid ${r.pid}, SIGTERM)`,
      killed: `stopped ${r.name} on ${r.host} (pid ${r.pid}): SIGKILL after ${grace} ms`,
      notRunning: `${r.name} on ${r.host} (pid ${r.pid}) was not running (${res.why}); record removed`,
      left: `${r.name} on ${r.host}: process group ${r.pid} is still there after SIGKILL; record kept`,
    }[res.outcome];
    io.stdout.write(json ? `${JSON.stringify({ ok: res.outcome !== 'left', ...res, pid: r.pid, host: r.host, name: r.name })}\n` : `${text}\n`);
    return res.outcome === 'left' ? EXIT.failed : EXIT.ok;
  } catch (e) {
    if (!(e instanceof ChanError)) throw e;
    if (json) io.stdout.write(`${JSON.stringify(failureJson(e))}\n`);
    io.stderr.write(`${failureReport(e, 'stop')}\n`);
    return exitStatusFor(e.code);
  }
}

async function status(v: Values, pos: string[], io: CliIO): Promise<number> {
  if (pos.length !== 1) throw new UsageError('expected [user@]host[:port]');
  const json = v.json === true;
  const stateDir = path.resolve(str(v, 'state-dir') ?? defaultStateDir(io.env));
  const r = pickRecord(stateDir, parseTarget(pos[0]), str(v, 'name'));
  try {
    const res = await remoteStatus(r, session(io, v, { user: r.user, host: r.host, port: r.port }, r, json), 5);
    if (json) {
      io.stdout.write(
        `${JSON.stringify({ ok: true, ...res, pid: r.pid, name: r.name, host: r.host, endpoints: r.endpoints, publicKey: r.publicKey, startedAt: r.startedAt, record: recordFile(stateDir, r) })}\n`,
      );
    } else {
      const lines = [
        `${r.name} on ${r.user}@${r.host}:${r.port}: ${res.running ? 'running' : 'NOT running'} (pid ${r.pid}${res.running ? '' : `: ${res.why}`}), started ${r.startedAt}`,
        ...r.endpoints.map((e) => `  endpoint   ${e}`),
        `  public key ${r.publicKey ?? '(none)'}`,
        ...(res.stderr.length ? ['  last stderr lines:', ...res.stderr.map((l) => `    | ${printable(l)}`)] : []),
      ];
      io.stdout.write(`${lines.join('\n')}\n`);
    }
    return res.running ? EXIT.ok : EXIT.failed;
  } catch (e) {
    if (!(e instanceof ChanError)) throw e;
    if (json) io.stdout.write(`${JSON.stringify(failureJson(e))}\n`);
    io.stderr.write(`${failureReport(e, 'status')}\n`);
    return exitStatusFor(e.code);
  }
}

export const remoteCommand: Command = {
  summary: 'start a gateway on another machine over SSH (staged timeouts, checked host keys), then status or stop it',
  usage: USAGE,
  options: {
    identity: { type: 'string', short: 'i' },
    'known-hosts': { type: 'string' },
    'accept-new': { type: 'boolean' },
    'connect-timeout': { type: 'string' },
    'upload-timeout': { type: 'string' },
    'boot-timeout': { type: 'string' },
    'init-timeout': { type: 'string' },
    'startup-timeout': { type: 'string' },
    'stop-timeout': { type: 'string' },
    upload: { type: 'string' },
    'remote-command': { type: 'string' },
    'remote-dir': { type: 'string' },
    name: { type: 'string' },
    'state-dir': { type: 'string' },
    json: { type: 'boolean' },
  },
  help: [
    'start: connects with SSH, optionally uploads DIR by SFTP (to REMOTE_DIR/files, where the command then runs), starts',
    '  `CMD start ... --json` in its own process group detached from the session, and returns once the gateway',
    '  listens: it prints the endpoints, the public key and the time of each stage, and records the gateway in',
    '  the state folder (--state-dir, else $LIB_CHAN_REMOTE_STATE, else ~/.lib-chan/remote) for status and stop.',
    '  --remote-command CMD  how lib-chan is run there (a shell command line; default: lib-chan from the remote PATH)',
    '  --remote-dir DIR      its remote folder, relative to the login folder (default .lib-chan/remote/NAME): out.log, err.log',
    '  --name NAME           tells several gateways on one host apart (default gateway)',
    '  Host keys: checked against OpenSSH known_hosts (--known-hosts FILE, default ~/.ssh/known_hosts); an unknown',
    '  key fails unless --accept-new, which pins it and says so. Authentication: --identity KEY (unencrypted), or',
    '  ssh-agent and ~/.ssh/id_{ed25519,ecdsa,rsa}; never a password.',
    '  The gateway logs at info level at least (LIB_CHAN_LOG_LEVEL=info unless --log-level is given after --).',
    'Stages and their timeouts (5s, 500ms, 2m):',
    ...STAGES.map((st) => `  ${st.padEnd(8)} ${STAGE_INFO[st].option.padEnd(18)} ${STAGE_INFO[st].until}`),
    'A failure prints the stage, the code, the elapsed time, the exit status, the last remote stdout and stderr',
    'lines and what the clean-up did; after the boot stage it always stops the remote process group.',
    '  also: --upload-timeout 60s, --stop-timeout 10s (SIGTERM to SIGKILL), --remote-dir DIR, --state-dir DIR.',
    'Exit status per code (README "Remote start" has what each leaves behind: nothing):',
    ...Object.entries(REMOTE_FAILURES).map(
      ([code, f]) => `  ${String(f.exit).padStart(2)}  ${code.padEnd(18)} ${f.stages === 'any' ? 'any stage' : f.stages.join(', ')}: ${f.meaning}`,
    ),
    'status: exit 0 when the recorded process group runs, 1 when not.  stop: SIGTERM the group, SIGKILL after --stop-timeout.',
  ].join('\n'),
  async run(v, pos, io) {
    const [sub, ...rest] = pos;
    if (sub === 'start') return start(v, rest, io);
    if (sub === 'stop') return stop(v, rest, io);
    if (sub === 'status') return status(v, rest, io);
    throw new UsageError(sub === undefined ? 'expected start, stop or status' : `unknown remote command "${sub}" (start, stop or status)`);
  },
};
