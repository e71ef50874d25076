/**
 * Erlang peers for the interop tests: compiles test/interop/erl/*.erl with
 * `erlc` into a temp dir (once per test process) and runs `erl -noshell`
 * processes (the book-style lc_server, and lc_client sessions).
 *
 * No sleeps: a peer is ready when it prints its READY / SENT line, done when
 * it prints RESULT and exits. Every wait has a deadline and races the
 * peer's exit; failures carry the peer's stdout and stderr.
 *
 * When `erl`/`erlc` are missing the interop tests are skipped LOUDLY, except
 * with CI=true, where they fail (CI must install Erlang/OTP).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeTerm } from '../../src/wire/etf/decode.ts';
import type { Term } from '../../src/wire/etf/term.ts';

export const ERL_SRC_DIR = fileURLToPath(new URL('../interop/erl/', import.meta.url));

/** Deadline for a peer's READY line (a cold `erl` start takes about 1 s). */
const READY_TIMEOUT_MS = 20_000;
/** Deadline for a client peer's RESULT (its own operations time out after 5 s each). */
const RESULT_TIMEOUT_MS = 30_000;

/** `cmd` can be run (and, when `mustSucceed`, exits 0). */
function commandWorks(cmd: string, args: string[], mustSucceed: boolean): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 20_000 });
  return r.error === undefined && (!mustSucceed || r.status === 0);
}

let availability: string | null | undefined;

/** Why Erlang cannot be used here, or null when `erl` and `erlc` both work. */
export function erlMissingReason(): string | null {
  if (availability === undefined) {
    const missing = [
      commandWorks('erl', ['-noshell', '-eval', 'halt(0).'], true) ? null : 'erl',
      // erlc has no harmless option that exits 0 everywhere; compileErl reports real failures.
      commandWorks('erlc', [], false) ? null : 'erlc',
    ].filter((x): x is string => x !== null);
    availability = missing.length === 0 ? null : `${missing.join(' and ')} not found or not working on PATH`;
  }
  return availability;
}

/**
 * The `skip` option for an interop `describe`: false when Erlang is
 * available. Without it: a loud warning and a skip message locally; with
 * CI=true it throws, so the test file fails instead of passing silently.
 */
export function erlSkip(): false | string {
  const why = erlMissingReason();
  if (why === null) return false;
  const msg = `Erlang/OTP interop tests need erl and erlc: ${why}. Install Erlang/OTP (e.g. apt-get install erlang-base).`;
  if (process.env.CI === 'true') throw new Error(`${msg} CI=true: refusing to skip them.`);
  process.stderr.write(`\n${'!'.repeat(78)}\n!! SKIPPING ERLANG INTEROP TESTS: ${msg}\n${'!'.repeat(78)}\n\n`);
  return `SKIPPED (no Erlang): ${why}`;
}

let compiled: string | undefined;

/** Compile every .erl of test/interop/erl into a temp dir (once per process); returns the dir. */
export function compileErl(): string {
  if (compiled !== undefined) return compiled;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lib-chan-erl-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const sources = readdirSync(ERL_SRC_DIR).filter((f) => f.endsWith('.erl')).map((f) => path.join(ERL_SRC_DIR, f));
  const r = spawnSync('erlc', ['-o', dir, ...sources], { encoding: 'utf8', timeout: 120_000 });
  if (r.error !== undefined || r.status !== 0) {
    throw new Error(`erlc failed (status ${r.status}${r.error ? `, ${r.error.message}` : ''}):\n${r.stdout}${r.stderr}`);
  }
  compiled = dir;
  return dir;
}

export interface PeerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One `erl -noshell` process, with its output split into lines. */
export class ErlPeer {
  readonly proc: ChildProcess;
  readonly stdoutLines: string[] = [];
  stderr = '';
  readonly exited: Promise<PeerExit>;
  private exit: PeerExit | undefined;
  private partial = '';
  private readonly lineWaiters = new Set<() => void>();

  constructor(readonly label: string, args: string[]) {
    this.proc = spawn('erl', ['-noshell', '-pa', compileErl(), ...args], {
      // stdin stays an open pipe: the peer halts when it closes (this process died).
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, LC_HALT_ON_STDIN_EOF: '1' },
    });
    this.proc.stdout!.setEncoding('utf8');
    this.proc.stderr!.setEncoding('utf8');
    this.proc.stdout!.on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop() ?? '';
      for (const line of parts) this.stdoutLines.push(line.replace(/\r$/, ''));
      this.wake();
    });
    this.proc.stderr!.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.proc.stdin!.on('error', () => {});
    this.exited = new Promise<PeerExit>((resolve) => {
      this.proc.once('error', (err) => {
        this.stderr += `\n[spawn error] ${err.message}`;
        this.exit = { code: null, signal: null };
        this.wake();
        resolve(this.exit);
      });
      // 'close': the process ended AND its stdout/stderr are fully read.
      this.proc.once('close', (code, signal) => {
        if (this.partial) this.stdoutLines.push(this.partial);
        this.partial = '';
        this.exit = { code, signal };
        this.wake();
        resolve(this.exit);
      });
    });
  }

  private wake(): void {
    for (const w of [...this.lineWaiters]) w();
  }

  /** What the peer said so far, for error messages. */
  describe(): string {
    const status = this.exit ? `exited (code ${this.exit.code}, signal ${this.exit.signal})` : 'still running';
    return `erl peer "${this.label}" ${status}\n--- stdout ---\n${this.stdoutLines.join('\n')}${this.partial}\n--- stderr ---\n${this.stderr}`;
  }

  /**
   * The first stdout line matching `re` (already printed or still to come).
   * Rejects if the peer exits first or the deadline passes.
   */
  waitForLine(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        for (const line of this.stdoutLines) {
          const m = line.match(re);
          if (m) return done(() => resolve(m));
        }
        if (this.exit) done(() => reject(new Error(`waiting for ${re}: ${this.describe()}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no line matching ${re} within ${timeoutMs} ms: ${this.describe()}`))), timeoutMs);
      const done = (settle: () => void): void => {
        clearTimeout(timer);
        this.lineWaiters.delete(check);
        settle();
      };
      this.lineWaiters.add(check);
      check();
    });
  }

  /** Kill the peer (if still running) and wait until it is gone. */
  async stop(): Promise<void> {
    if (!this.exit) {
      this.proc.stdin?.end();
      this.proc.kill('SIGKILL');
    }
    await this.exited;
  }
}

/** The book-style Erlang lib_chan server (lc_server), listening; `port` from its READY line. */
export class ErlServer extends ErlPeer {
  port = 0;

  static async start(confFile: string): Promise<ErlServer> {
    const peer = new ErlServer('lc_server', ['-run', 'lc_server', 'main', confFile]);
    try {
      const m = await peer.waitForLine(/^READY (\d+)$/, READY_TIMEOUT_MS);
      peer.port = Number(m[1]);
      return peer;
    } catch (e) {
      await peer.stop();
      throw e;
    }
  }
}

/** An lc_client run: `mode` is `session` or `garbage` (see lc_client.erl). */
export class ErlClient extends ErlPeer {
  static start(mode: 'session' | 'garbage', args: (string | number)[]): ErlClient {
    return new ErlClient(`lc_client ${mode}`, ['-run', 'lc_client', 'main', mode, ...args.map(String)]);
  }

  /** Wait for the RESULT line and decode its term (hex of term_to_binary). */
  async result(): Promise<Term> {
    const m = await this.waitForLine(/^RESULT ([0-9a-f]+)$/, RESULT_TIMEOUT_MS);
    const hex = m[1];
    return decodeTerm(Uint8Array.from(Buffer.from(hex, 'hex')));
  }
}

/**
 * Run the book's name-server session with the Erlang client (connect, cast
 * store joe, rpc lookup joe, rpc lookup jim, disconnect). Result:
 * `{ok, [{lookup, joe, R1}, {lookup, jim, R2}]}` or `{error, Reason}`.
 */
export async function erlSession(host: string, port: number, service: string, password: string): Promise<{ result: Term; peer: ErlClient }> {
  const peer = ErlClient.start('session', [host, port, service, password]);
  try {
    const result = await peer.result();
    await peer.exited;
    return { result, peer };
  } finally {
    await peer.stop();
  }
}
