/**
 * `lib-chan remote start`, the driver: connect, upload, boot, init, startup, each with its own
 * deadline, watching the remote output as it comes (script.ts streams it back). A failure is a
 * ChanError whose details say the stage, the elapsed time, the exit status, the last remote
 * stdout and stderr lines and what the clean-up did; after the exec has started, the clean-up
 * always stops the remote process group.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ChanError, type ErrorCode, type ErrorDetails } from '../../errors.ts';
import { appendKnownHost, fingerprint, hostLookupName, keyTypeOfBlob, knownKeyTypes, readKnownHosts, verifyHostKey } from './known-hosts.ts';
import { LastLines, LineSplitter } from './lines.ts';
import { startScript, viaSh } from './script.ts';
import type { RemoteExit, RemoteProcess, SshAuth, SshConnection, SshConnector, SshTarget, UploadResult } from './ssh.ts';
import type { Stage } from './stages.ts';

/** The ssh2-backed connector, loaded on first use (ssh2 is imported only when a remote command runs). */
export async function defaultConnector(): Promise<SshConnector> {
  const m = await import('./ssh2-client.ts');
  return m.connectSsh2;
}

export interface StageTimeouts {
  connect: number;
  upload: number;
  boot: number;
  init: number;
  startup: number;
}

export interface SessionOptions {
  target: SshTarget;
  auth: SshAuth;
  knownHostsFile: string;
  /** Pin an unknown host key on first use (announced). */
  acceptNew: boolean;
  connectTimeoutMs: number;
  connector?: SshConnector;
  /** Progress and announcements for the operator (one line each). */
  announce?: (line: string) => void;
}

export interface RemoteStartOptions extends SessionOptions {
  timeouts: StageTimeouts;
  /** Local folder copied to `${remoteDir}/files` (the command then runs there). */
  uploadDir?: string;
  /** How lib-chan is run on the remote host (a shell command line). */
  remoteCommand: string;
  /** The gateway's remote folder: logs, uploaded files. */
  remoteDir: string;
  /** `start ...`, passed to the remote command. */
  args: string[];
  /** Export LIB_CHAN_LOG_LEVEL=info on the remote side. */
  infoLogs: boolean;
  stopGraceMs: number;
  outputLines: number;
  maxLineBytes: number;
}

export interface RemoteStartResult {
  pid: number;
  /** The process's start time as `ps -o lstart=` prints it (stop and status check it, so a reused PID is never signalled). */
  lstart: string;
  port: number;
  endpoints: string[];
  publicKey: string | undefined;
  identityCreated: boolean;
  stagesMs: Partial<Record<Stage, number>>;
  totalMs: number;
  remotePath: string | undefined;
  upload: UploadResult | undefined;
  stdout: string[];
  stderr: string[];
}

/** What a failure report carries (ChanError.details). */
export interface RemoteFailureDetails {
  stage: Stage;
  elapsedMs: number;
  stageMs: number;
  stagesMs: Partial<Record<Stage, number>>;
  exitStatus: number | null;
  stdout: string[];
  stderr: string[];
  /** What the clean-up did: `nothing started`, `stopped (TERM)`, ... */
  cleanup: string;
  /** True when something may be left on the remote host (stated in `cleanup`). */
  leftBehind: boolean;
  remotePath?: string;
  pid?: number;
}

const JSON_EVENTS = new Set(['initialized', 'configLoaded', 'wsListening', 'metricsListening', 'identityCreated']);

/**
 * Hook for the registry (`{registry, URL}` in the conf, built on another branch): when the
 * conf names one, the gateway counts as ready once its registration is visible, which the
 * gateway logs as this event after `configLoaded`. Without a registry nothing is waited for.
 */
export const REGISTRY_READY_EVENT = 'registered';

function needsRegistration(configLoaded: Record<string, unknown>): boolean {
  const config = configLoaded.config as Record<string, unknown> | undefined;
  return config !== undefined && config.registry !== undefined && config.registry !== null;
}

/** Open an SSH session with the host key checked against known_hosts. */
export async function openSession(o: SessionOptions): Promise<SshConnection> {
  const connector = o.connector ?? (await defaultConnector());
  const { host, port } = o.target;
  let entries;
  try {
    entries = readKnownHosts(o.knownHostsFile);
  } catch (e) {
    throw new ChanError('badArgument', `known_hosts ${o.knownHostsFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      cause: e,
      details: { phase: 'connect' },
    });
  }
  return connector({
    target: o.target,
    auth: o.auth,
    timeoutMs: o.connectTimeoutMs,
    preferHostKeyTypes: knownKeyTypes(entries, host, port),
    verifyHostKey(blob) {
      const v = verifyHostKey(entries, host, port, blob);
      if (v.result !== 'unknown' || !o.acceptNew) return v;
      appendKnownHost(o.knownHostsFile, host, port, blob);
      o.announce?.(`--accept-new: pinned the host key of ${hostLookupName(host, port)} (${keyTypeOfBlob(blob)} ${fingerprint(blob)}) in ${o.knownHostsFile}`);
      return 'accepted';
    },
  });
}

/** The remote output of the start script, as lines, markers and log events. */
class Watch {
  readonly stdout: LastLines;
  readonly stderr: LastLines;
  readonly markers = new Map<string, string>();
  readonly events = new Map<string, Record<string, unknown>>();
  badConfLine: string | undefined;
  exitOut: number | undefined;
  exitErr: number | undefined;
  closed: RemoteExit | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly proc: RemoteProcess,
    private readonly nonce: string,
    o: RemoteStartOptions,
  ) {
    this.stdout = new LastLines(o.outputLines);
    this.stderr = new LastLines(o.outputLines);
    const out = new LineSplitter(o.maxLineBytes, (l, cut) => this.onOut(l, cut));
    const err = new LineSplitter(o.maxLineBytes, (l) => this.onErr(l));
    proc.onStdout((c) => out.push(c));
    proc.onStderr((c) => err.push(c));
    void proc.closed.then((exit) => {
      out.end();
      err.end();
      this.closed = exit;
      this.wake();
    });
  }

  private marker(line: string): [string, string] | undefined {
    if (!line.startsWith(`${this.nonce} `)) return undefined;
    const rest = line.slice(this.nonce.length + 1);
    const sp = rest.indexOf(' ');
    return sp === -1 ? [rest, ''] : [rest.slice(0, sp), rest.slice(sp + 1)];
  }

  private onOut(line: string, cut: boolean): void {
    const m = this.marker(line);
    if (m) {
      if (m[0] === 'EXIT') this.exitOut = Number(m[1]);
      else if (!this.markers.has(m[0])) this.markers.set(m[0], m[1]);
    } else {
      this.stdout.add(line);
      if (!cut && line.startsWith('{')) {
        try {
          const j = JSON.parse(line) as Record<string, unknown>;
          if (typeof j.event === 'string' && (JSON_EVENTS.has(j.event) || j.event === REGISTRY_READY_EVENT) && !this.events.has(j.event))
            this.events.set(j.event, j);
        } catch {
          // not JSON after all
        }
      }
    }
    this.wake();
  }

  private onErr(line: string): void {
    const m = this.marker(line);
    if (m) {
      if (m[0] === 'EXIT') this.exitErr = Number(m[1]);
    } else {
      this.stderr.add(line);
      if (/\[badConf\]\s*$/.test(line)) this.badConfLine = line;
    }
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** The gateway exited (both streams drained) or the channel closed. */
  get over(): boolean {
    return (this.exitOut !== undefined && this.exitErr !== undefined) || this.closed !== undefined;
  }

  get exitStatus(): number | null {
    return this.exitOut ?? this.exitErr ?? this.closed?.code ?? null;
  }

  /** Wait for `find()`; 'over' once `ended()` (by default: the gateway exited or the channel closed), 'timeout' after `ms`. */
  until<T>(find: () => T | undefined, ms: number, ended: () => boolean = () => this.over): Promise<T | 'timeout' | 'over'> {
    return new Promise((resolve) => {
      const settle = (v: T | 'timeout' | 'over'): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(v);
      };
      const check = (): void => {
        const v = find();
        if (v !== undefined) settle(v);
        else if (ended()) settle('over');
      };
      const timer = setTimeout(() => settle('timeout'), ms);
      this.waiters.add(check);
      check();
    });
  }

  send(text: string): void {
    this.proc.write(text);
  }
}

export async function remoteStart(o: RemoteStartOptions): Promise<RemoteStartResult> {
  const t0 = performance.now();
  const stagesMs: Partial<Record<Stage, number>> = {};
  let stage: Stage = 'connect';
  let stageStart = t0;
  const done = (): void => {
    const now = performance.now();
    stagesMs[stage] = Math.round(now - stageStart);
    stageStart = now;
  };
  const base = (): Omit<RemoteFailureDetails, 'cleanup' | 'leftBehind'> => ({
    stage,
    elapsedMs: Math.round(performance.now() - t0),
    stageMs: Math.round(performance.now() - stageStart),
    stagesMs: { ...stagesMs },
    exitStatus: null,
    stdout: [],
    stderr: [],
  });

  let conn: SshConnection;
  try {
    conn = await openSession({ ...o, connectTimeoutMs: o.timeouts.connect });
  } catch (e) {
    throw withStage(e, { ...base(), cleanup: 'nothing started', leftBehind: false });
  }
  done();
  const filesDir = `${o.remoteDir}/files`;
  let upload: UploadResult | undefined;
  let watch: Watch | undefined;
  try {
    if (o.uploadDir !== undefined) {
      stage = 'upload';
      upload = await withDeadline(
        conn.upload(o.uploadDir, filesDir),
        o.timeouts.upload,
        () =>
          new ChanError('uploadFailed', `the upload of ${o.uploadDir} did not finish within ${o.timeouts.upload} ms`, {
            details: { limit: o.timeouts.upload },
          }),
      );
      done();
    }

    stage = 'boot';
    const nonce = randomBytes(8).toString('hex');
    const proc = await conn.exec(
      viaSh(
        startScript({
          nonce,
          dir: o.remoteDir,
          cwd: o.uploadDir !== undefined ? filesDir : undefined,
          command: o.remoteCommand,
          args: o.args,
          infoLogs: o.infoLogs,
          graceTenths: Math.ceil(o.stopGraceMs / 100),
          removeOnFailure: o.uploadDir !== undefined ? ['files'] : [],
        }),
      ),
    );
    watch = new Watch(proc, nonce, o);
    const w = watch;

    const boot = await w.until(() => {
      const p = w.markers.get('PID');
      return p !== undefined && /^[0-9]{1,10}$/.test(p) && Number(p) > 1 ? p : undefined;
    }, o.timeouts.boot);
    if (boot === 'timeout')
      throw new ChanError('bootTimeout', `the remote command did not report its PID within ${o.timeouts.boot} ms`, { details: { limit: o.timeouts.boot } });
    if (boot === 'over') throw exitError(w, o);
    const pid = Number(boot);
    done();

    stage = 'init';
    const init = await w.until(() => w.events.get('initialized') ?? w.events.get('configLoaded'), o.timeouts.init);
    if (init === 'timeout')
      throw new ChanError('initTimeout', `the gateway (pid ${pid}) did not load its conf, handlers and identity within ${o.timeouts.init} ms`, {
        details: { limit: o.timeouts.init, pid },
      });
    if (init === 'over') throw exitError(w, o);
    done();

    stage = 'startup';
    const ready = await w.until(() => {
      const l = w.events.get('configLoaded');
      if (l === undefined) return undefined;
      return needsRegistration(l) && !w.events.has(REGISTRY_READY_EVENT) ? undefined : l;
    }, o.timeouts.startup);
    if (ready === 'timeout') {
      const listening = w.events.has('configLoaded');
      throw new ChanError(
        'startupTimeout',
        listening
          ? `the gateway (pid ${pid}) listens but did not log its registration (${REGISTRY_READY_EVENT}) within ${o.timeouts.startup} ms`
          : `the gateway (pid ${pid}) did not bind its listeners within ${o.timeouts.startup} ms`,
        { details: { limit: o.timeouts.startup, pid } },
      );
    }
    if (ready === 'over') throw exitError(w, o);
    done();

    // Ready: leave it running, detached from this session.
    w.send('detach\n');
    const detached = await w.until(() => w.markers.get('DETACHED'), 10_000);
    if (typeof detached !== 'string')
      throw detached === 'over' ? exitError(w, o) : new ChanError('connectionLost', 'the remote side did not confirm the detach', { details: { pid } });
    conn.close();
    const port = Number(ready.port);
    const config = (ready.config ?? {}) as Record<string, unknown>;
    const bind = typeof config.bind === 'string' ? config.bind : '';
    const host = bind === '' || bind === '0.0.0.0' || bind === '::' ? o.target.host : bind;
    const endpoints = [`tcp://${host.includes(':') ? `[${host}]` : host}:${port}`];
    const ws = w.events.get('wsListening')?.url;
    if (typeof ws === 'string') endpoints.push(ws);
    const metrics = w.events.get('metricsListening')?.url;
    if (typeof metrics === 'string') endpoints.push(`metrics ${metrics}`);
    return {
      pid,
      lstart: detached.trim(),
      port,
      endpoints,
      publicKey: typeof ready.publicKey === 'string' ? ready.publicKey : undefined,
      identityCreated: w.events.has('identityCreated'),
      stagesMs,
      totalMs: Math.round(performance.now() - t0),
      remotePath: w.markers.get('PATH'),
      upload,
      stdout: w.stdout.lines,
      stderr: w.stderr.lines,
    };
  } catch (e) {
    const details = base();
    const cleanup = await cleanUp(conn, watch, o, filesDir, upload !== undefined || o.uploadDir !== undefined);
    conn.close();
    if (watch) {
      details.exitStatus = watch.exitStatus;
      details.stdout = watch.stdout.lines;
      details.stderr = watch.stderr.lines;
      const p = watch.markers.get('PID');
      if (p !== undefined) details.pid = Number(p);
      details.remotePath = watch.markers.get('PATH');
    }
    throw withStage(e, { ...details, ...cleanup });
  }
}

/** Why the remote script or the gateway ended before the stage was reached. */
function exitError(w: Watch, o: RemoteStartOptions): ChanError {
  const status = w.exitStatus;
  const path = w.markers.get('PATH');
  const notFound = w.markers.get('NOTFOUND');
  if (notFound !== undefined || status === 127) {
    const what = notFound ?? o.remoteCommand;
    return new ChanError('commandNotFound', `"${what}" is not on the remote PATH (${path ?? 'unknown'})`, { details: { command: what, remotePath: path } });
  }
  const noExec = w.markers.get('NOEXEC');
  const noDir = w.markers.get('NODIR');
  if (noExec !== undefined || noDir !== undefined || w.markers.has('NOCWD') || status === 126) {
    const msg =
      noExec !== undefined
        ? `${noExec} is not executable`
        : noDir !== undefined
          ? `cannot write the remote folder ${noDir}`
          : w.markers.has('NOCWD')
            ? 'the uploaded folder is missing'
            : 'the remote command could not be run (status 126)';
    return new ChanError('permissionDenied', msg, { details: { command: noExec } });
  }
  if (w.badConfLine !== undefined || (status === 3 && w.markers.has('PID'))) {
    const line = w.badConfLine ?? '';
    const m = /^lib_chan start: (.+?):(\d+)(?::(\d+))?: (.*?)\s*\[badConf\]\s*$/.exec(line);
    return new ChanError(
      'badConf',
      m
        ? `the gateway refused its conf: ${m[1]}:${m[2]}${m[3] ? `:${m[3]}` : ''}: ${m[4]}`
        : `the gateway refused its conf: ${line.replace(/^lib_chan start: /, '') || `exit status ${status}`}`,
      {
        details: m ? { file: m[1], line: Number(m[2]), ...(m[3] ? { column: Number(m[3]) } : {}) } : {},
      },
    );
  }
  if (w.exitOut === undefined && w.exitErr === undefined && w.closed !== undefined && w.closed.code === null) {
    return new ChanError('connectionLost', 'the SSH session ended before the gateway was ready', {});
  }
  return new ChanError(
    'exitedEarly',
    `the gateway exited with status ${status ?? 'unknown'}${status !== null && status > 128 ? ` (signal ${status - 128})` : ''} before it was ready`,
    { details: { exitStatus: status } },
  );
}

/** Stop what was started; say what is left. */
async function cleanUp(
  conn: SshConnection,
  watch: Watch | undefined,
  o: RemoteStartOptions,
  filesDir: string,
  uploaded: boolean,
): Promise<{ cleanup: string; leftBehind: boolean }> {
  if (watch === undefined || (watch.closed !== undefined && !watch.markers.has('PID'))) {
    // The start script never started the gateway (or never ran).
    if (!uploaded) return { cleanup: 'nothing started', leftBehind: false };
    const rm = await removeUpload(conn, o.remoteDir, filesDir);
    return rm
      ? { cleanup: 'nothing started; the uploaded files were removed', leftBehind: false }
      : { cleanup: `nothing started; the uploaded files may be left in ${filesDir}`, leftBehind: true };
  }
  // The watcher on the remote side stops the group and removes the files.
  try {
    watch.send('stop\n');
  } catch {
    // the channel is gone: the watcher sees the end of its stdin and does the same
  }
  const r = await watch.until(
    () => watch.markers.get('GONE') ?? (watch.markers.has('LEFT') ? 'LEFT' : undefined),
    o.stopGraceMs + 5_000,
    () => watch.closed !== undefined,
  );
  if (r === 'LEFT') return { cleanup: `the remote process group ${watch.markers.get('LEFT')} did not die even after SIGKILL`, leftBehind: true };
  if (typeof r === 'string' && r !== 'timeout' && r !== 'over') {
    const [pg, how] = r.split(' ');
    return {
      cleanup: `remote process group ${pg} stopped (${how === 'KILL' ? 'SIGKILL after the grace' : 'SIGTERM'}); logs${uploaded ? ' and uploaded files' : ''} removed`,
      leftBehind: false,
    };
  }
  const pid = watch.markers.get('PID');
  return {
    cleanup: `no confirmation that the remote process group ${pid ?? '(pid unknown)'} stopped (the remote watcher stops it when the session ends)`,
    leftBehind: true,
  };
}

async function removeUpload(conn: SshConnection, dir: string, filesDir: string): Promise<boolean> {
  try {
    const p = await conn.exec(viaSh(`rm -rf '${filesDir.replace(/'/g, `'\\''`)}' && (rmdir -p '${dir.replace(/'/g, `'\\''`)}' 2>/dev/null; exit 0)`));
    p.end();
    const exit = await withDeadline(p.closed, 5_000, () => new ChanError('timeout', 'rm did not finish'));
    return exit.code === 0;
  } catch {
    return false;
  }
}

function withDeadline<T>(p: Promise<T>, ms: number, err: () => ChanError): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(err()), ms);
    }),
  ]);
}

/** The error as a ChanError carrying the failure details. */
function withStage(e: unknown, d: RemoteFailureDetails): ChanError {
  const err = e instanceof ChanError ? e : new ChanError('connectionLost', (e as Error)?.message ?? String(e), { cause: e });
  const code: ErrorCode = err.code;
  return new ChanError(code, err.message, { cause: err.cause ?? e, details: { ...err.details, ...d } as ErrorDetails });
}
