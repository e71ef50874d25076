/**
 * `{processes, N}`: one gateway as N processes on one TCP port, so that a
 * machine's cores share its logins and its channels.
 *
 * The primary (the process `lib-chan start` runs) listens, serves every
 * service, and owns what exists once per gateway: the WebSocket listener,
 * the metrics endpoint, the registry registration, the conf reload. It
 * forks N - 1 helpers and passes them its listening socket; every process
 * accepts on it, so the kernel spreads connections over them. A helper runs
 * the login (the secure handshake's X25519 and key schedule, the password
 * check) and then:
 * - serves the channel itself if the service is marked `{state, per_process}`
 *   (it shares nothing between connections, or one copy per process is fine);
 * - otherwise hands the connection, before its ack, to the primary: socket,
 *   session keys, held records and unread bytes (hand-off.ts), so that a
 *   service's handlers share their in-process state as in the book (the name
 *   server's table).
 *
 * Each process enforces the conf's limits on what it holds itself; the login
 * guard's budgets are split between the processes (shareLoginBudgets), so the
 * gateway as a whole allows the guesses the conf allows. A helper that exits
 * is started again (at most RESTART_INTENSITY times in RESTART_PERIOD_MS);
 * the primary's shutdown tells each helper to drain its channels and waits
 * for it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type net from 'node:net';
import { fileURLToPath } from 'node:url';
import { ChanError } from '../errors.ts';
import type { Limits } from '../limits.ts';
import type { ServerConfig } from '../conf/schema.ts';
import type { Logger } from './log.ts';
import type { HandOffMessage } from './hand-off.ts';

const BOOT = fileURLToPath(new URL('./worker-boot.mjs', import.meta.url));
// The same file the rest of the server runs as: compiled (lib/) or, in this repository's tests, the source.
const ENTRY_URL = new URL(import.meta.url.endsWith('.ts') ? './helper-entry.ts' : './helper-entry.js', import.meta.url).href;
/** The primary's flags a helper keeps: source conditions, heap settings, profiling (the boot module registers a loader). */
const KEPT_FLAGS = /^(--conditions=|-C=|--(initial|max)-old-space-size|--max-semi-space-size|--(cpu|heap)-prof|--enable-source-maps)/;
/** A helper that exits is started again at most this many times in RESTART_PERIOD_MS; then the gateway runs with fewer. */
export const RESTART_INTENSITY = 5;
export const RESTART_PERIOD_MS = 60_000;
/** After its closeGraceMs, a helper that has not exited is killed this much later. */
const KILL_AFTER_MS = 5_000;

/** From the primary to a helper. */
export type ToHelper =
  { kind: 'start'; conf: string; processes: number; index: number; logLevel: string } | { kind: 'reload' } | { kind: 'close'; graceMs: number };
/** From a helper to the primary. */
export type FromHelper = { kind: 'ready' } | { kind: 'failed'; message: string } | HandOffMessage;

/** What the helpers need of the primary's server. */
export interface PrimaryHost {
  readonly log: Logger;
  /** The TCP listener whose socket the helpers accept on too. */
  readonly tcpListener: net.Server;
  /** A login a helper decided for a service the primary runs: open its channel here. */
  adopt(socket: net.Socket, msg: HandOffMessage): void;
}

/** The login guard's budgets that an attacker could multiply by trying every process: each process gets its share. */
const SHARED_BUDGETS = ['maxLoginFailures', 'maxServiceLoginFailures', 'loginGuessesPerSecond'] as const satisfies readonly (keyof Limits)[];

/**
 * The conf with the login guard's budgets split between `processes`
 * processes (each gets the conf's figure divided by N, rounded up): a
 * password guesser that reaches every process still gets about the guesses
 * the conf allows. The caller's config is left as it was.
 */
export function shareLoginBudgets(config: ServerConfig, processes: number): ServerConfig {
  if (processes <= 1) return config;
  // A service without limits of its own shares the conf's object: it is divided once, and stays shared.
  const shared = new Map<Limits, Limits>();
  const share = (limits: Limits): Limits => {
    let out = shared.get(limits);
    if (!out) {
      out = { ...limits };
      for (const k of SHARED_BUDGETS) out[k] = Math.max(1, Math.ceil(limits[k] / processes));
      shared.set(limits, out);
    }
    return out;
  };
  const services = new Map([...config.services].map(([name, svc]) => [name, { ...svc, limits: share(svc.limits) }]));
  return { ...config, limits: share(config.limits), services };
}

export class HelperProcesses {
  private readonly host: PrimaryHost;
  private readonly conf: string;
  private readonly processes: number;
  private readonly children = new Map<ChildProcess, number>();
  private readonly restarts: number[] = [];
  private stopping = false;

  private constructor(host: PrimaryHost, conf: string, processes: number) {
    this.host = host;
    this.conf = conf;
    this.processes = processes;
  }

  /** Fork the helpers (processes - 1) and wait until each has loaded the conf and accepts; any failure stops them all. */
  static async start(host: PrimaryHost, conf: string, processes: number): Promise<HelperProcesses> {
    const p = new HelperProcesses(host, conf, processes);
    try {
      await Promise.all(Array.from({ length: processes - 1 }, (_, i) => p.spawn(i + 1)));
    } catch (e) {
      await p.close(0);
      throw e;
    }
    return p;
  }

  /** The helpers' process ids (for logs and tests). */
  get pids(): number[] {
    return [...this.children.keys()].map((c) => c.pid ?? 0);
  }

  private spawn(index: number): Promise<void> {
    const log = this.host.log;
    return new Promise((resolve, reject) => {
      const child = fork(BOOT, [ENTRY_URL], {
        serialization: 'advanced',
        execArgv: process.execArgv.filter((a) => KEPT_FLAGS.test(a)),
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      this.children.set(child, index);
      let ready = false;
      child.on('message', (m: FromHelper, handle: unknown) => {
        if (m.kind === 'handOff') {
          if (handle) this.host.adopt(handle as net.Socket, m);
          return;
        }
        if (m.kind === 'ready') {
          ready = true;
          log.info({ event: 'processStarted', index, pid: child.pid }, `gateway process ${index} of ${this.processes} accepting`);
          resolve();
        } else if (m.kind === 'failed') {
          reject(
            new ChanError('badConf', `gateway process ${index} of {processes, ${this.processes}} could not start: ${m.message}`, {
              details: { file: this.conf },
            }),
          );
        }
      });
      // A fork that fails (no such file, out of processes) reports here, then exits.
      child.on('error', (err) => log.error({ event: 'processError', index, pid: child.pid, error: err.message }, `gateway process ${index}: ${err.message}`));
      child.on('exit', (code, signal) => {
        this.children.delete(child);
        if (!ready) {
          reject(
            new ChanError('badConf', `gateway process ${index} of {processes, ${this.processes}} exited (${signal ?? code}) before it accepted`, {
              details: { file: this.conf },
            }),
          );
          return;
        }
        if (this.stopping) return;
        log.error(
          { event: 'processExited', index, pid: child.pid, code, signal },
          `gateway process ${index} exited (${signal ?? code}); its channels are gone`,
        );
        this.restart(index);
      });
      // The helpers log at the primary's level (an embedding program may have set its own logger's).
      const start: ToHelper = { kind: 'start', conf: this.conf, processes: this.processes, index, logLevel: this.host.log.level };
      child.send(start, this.host.tcpListener, (err) => {
        if (err) child.kill('SIGKILL');
      });
    });
  }

  private restart(index: number): void {
    // Nothing to give a new helper once the primary's own listener is closed (Server.acceptInHelpersOnly()).
    if (!this.host.tcpListener.listening) return;
    const now = Date.now();
    while (this.restarts.length > 0 && now - this.restarts[0] > RESTART_PERIOD_MS) this.restarts.shift();
    if (this.restarts.length >= RESTART_INTENSITY) {
      this.host.log.error(
        { event: 'processGaveUp', index, restarts: this.restarts.length, periodMs: RESTART_PERIOD_MS },
        `gateway process ${index} exited ${RESTART_INTENSITY} times within ${RESTART_PERIOD_MS} ms: not started again; the other processes go on accepting`,
      );
      return;
    }
    this.restarts.push(now);
    this.spawn(index).catch((e: Error) => this.host.log.error({ event: 'processError', index, error: e.message }, e.message));
  }

  /** Tell every helper to read the conf again (the primary reloads itself). */
  reload(): void {
    for (const child of this.children.keys()) child.send({ kind: 'reload' } satisfies ToHelper, () => {});
  }

  /** Every helper drains its channels (graceMs) and exits; one that does not is killed KILL_AFTER_MS later. */
  async close(graceMs: number): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.children.keys()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const kill = setTimeout(() => child.kill('SIGKILL'), graceMs + KILL_AFTER_MS);
            child.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            child.send({ kind: 'close', graceMs } satisfies ToHelper, (err) => {
              if (err) child.kill('SIGKILL');
            });
          }),
      ),
    );
  }
}
