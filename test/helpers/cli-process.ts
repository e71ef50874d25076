/**
 * The CLI as a child process, run from its source as the package's bin runs
 * the compiled file (`node --import ./scripts/ts-loader/register.mjs src/cli/main.ts ...`; the packaging
 * test runs the installed bin itself), with its stdout
 * split into lines (parsed when they are JSON log lines). `startServer`
 * runs `lib_chan start` and learns the port from the configLoaded event.
 * Every wait races a deadline and the process's exit (no sleeps).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { REPO } from './start-server.ts';
import { waitUntil } from './latch.ts';

export const CLI_SOURCE = path.join(REPO, 'src/cli/main.ts');
/** The tests' TypeScript loader (scripts/ts-loader), by path: it works from any working folder. */
export const TS_LOADER = path.join(REPO, 'scripts/ts-loader/register.mjs');
/** Node flags that run the CLI from source: the tests' loader, and this package's own imports of 'lib-chan' resolved to src/. */
export const SOURCE_NODE_ARGS = ['--import', TS_LOADER, '--conditions=lib-chan-src'];
const CLI_BUILT = path.join(REPO, 'bin/lib-chan.js');

/** The newest modification time of the files under a folder (0 when it is missing). */
function newestMtime(dir: string): number {
  let newest = 0;
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Written by scripts/build.mjs when a build has completed, with the time that build started. */
const BUILD_STAMP = path.join(REPO, 'node_modules', '.cache', 'lib-chan-build', 'stamp');

let built: boolean | undefined;
/**
 * How a child process runs the CLI: the compiled bin (what users run) when the last complete build is newer
 * than every file of src/, by the same stamp `npm test`'s build decides on (a build that failed halfway
 * leaves none); else the source through the tests' loader, so that a test file run on its own after an
 * edit never runs stale code. The compiled CLI starts in about half the CPU time, and the suite starts
 * dozens. `typescript`: the child will serve TypeScript handlers (the examples), so the tests' loader is
 * imported first: they load through its cached hook, and the server, seeing a loader active, registers no
 * tsx of its own (0.1 s of CPU less than tsx; without either, a child saves the loader's 0.25 s). Gateways
 * serve the fixtures compiled to JavaScript (js-handlers.ts). The installed package's own path to tsx is
 * the packaging test's.
 */
export function cliCommand(opts: { typescript?: boolean } = {}): string[] {
  built ??= process.env.LIB_CHAN_TEST_FROM_SOURCE !== '1' && existsSync(BUILD_STAMP) && newestMtime(path.join(REPO, 'src')) < statSync(BUILD_STAMP).mtimeMs;
  if (!built) return [...SOURCE_NODE_ARGS, CLI_SOURCE];
  return opts.typescript === true ? ['--import', TS_LOADER, CLI_BUILT] : [CLI_BUILT];
}

export type JsonLine = Record<string, unknown> & { event?: string; level?: number; msg?: string };

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class CliProcess {
  readonly proc: ChildProcess;
  /** Every stdout line, as printed. */
  readonly lines: string[] = [];
  /** The stdout lines that are JSON objects. */
  readonly json: JsonLine[] = [];
  stderr = '';
  readonly exited: Promise<Exit>;
  exit: Exit | undefined;
  private partial = '';
  private readonly waiters = new Set<() => void>();

  constructor(
    args: string[],
    opts: { env?: Record<string, string | undefined>; cwd?: string; stdin?: string; nodeArgs?: string[]; typescript?: boolean } = {},
  ) {
    const env = { ...process.env, ...opts.env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    const cmd = cliCommand({ typescript: opts.typescript });
    this.proc = spawn(process.execPath, [...cmd.slice(0, -1), ...(opts.nodeArgs ?? []), ...cmd.slice(-1), ...args], {
      cwd: opts.cwd ?? REPO,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.proc.stdout!.setEncoding('utf8');
    this.proc.stderr!.setEncoding('utf8');
    this.proc.stdout!.on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop() ?? '';
      for (const l of parts) this.addLine(l);
      this.wake();
    });
    this.proc.stderr!.on('data', (c: string) => {
      this.stderr += c;
      this.wake();
    });
    this.proc.stdin!.on('error', () => {});
    if (opts.stdin !== undefined) this.proc.stdin!.end(opts.stdin);
    this.exited = new Promise((resolve) => {
      this.proc.once('close', (code, signal) => {
        if (this.partial !== '') this.addLine(this.partial);
        this.partial = '';
        this.exit = { code, signal };
        this.wake();
        resolve(this.exit);
      });
    });
  }

  private addLine(line: string): void {
    this.lines.push(line);
    if (line.startsWith('{')) {
      try {
        this.json.push(JSON.parse(line) as JsonLine);
      } catch {
        // not JSON after all
      }
    }
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  get stdout(): string {
    return this.lines.join('\n') + (this.partial ? `\n${this.partial}` : '');
  }

  describe(): string {
    const cut = (s: string): string => (s.length > 6000 ? `...${s.slice(-6000)}` : s);
    return `lib_chan ${this.exit ? `exited (code ${this.exit.code}, signal ${this.exit.signal})` : 'running'}\n--- stdout ---\n${cut(this.stdout)}\n--- stderr ---\n${cut(this.stderr)}`;
  }

  /** Wait until `find()` returns something, racing the deadline and the exit. */
  waitFor<T>(find: () => T | undefined, what: string, ms = 10_000): Promise<T> {
    return waitUntil(this.waiters, find, { what, ms, exited: () => this.exit !== undefined, describe: () => this.describe(), name: 'lib_chan' });
  }

  /** The first JSON log line matching `pred` (already printed or to come). */
  waitForLog(pred: (l: JsonLine) => boolean, what = 'a log line', ms = 10_000): Promise<JsonLine> {
    return this.waitFor(() => this.json.find(pred), what, ms);
  }

  /** Wait for the exit, killing the process after `ms`. */
  async waitExit(ms = 15_000): Promise<Exit> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killed = new Promise<void>((r) => {
      timer = setTimeout(() => {
        this.proc.kill('SIGKILL');
        r();
      }, ms);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    const e = await this.exited;
    if (e.signal === 'SIGKILL') throw new Error(`lib_chan did not exit within ${ms} ms: ${this.describe()}`);
    return e;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (!this.exit) this.proc.kill(signal);
  }

  /** Kill for good (test clean-up). */
  async stop(): Promise<void> {
    if (!this.exit) this.proc.kill('SIGKILL');
    await this.exited;
  }
}

/** Run a CLI command to completion. */
export async function runCli(
  args: string[],
  opts: ConstructorParameters<typeof CliProcess>[1] & { timeoutMs?: number } = {},
): Promise<CliProcess & { exit: Exit }> {
  const p = new CliProcess(args, opts);
  await p.waitExit(opts.timeoutMs ?? 30_000);
  return p as CliProcess & { exit: Exit };
}

/** `lib_chan start --conf FILE --json ...`; resolves once it listens, with its port. */
export async function startCliServer(
  conf: string,
  opts: { args?: string[]; env?: Record<string, string | undefined>; nodeArgs?: string[]; typescript?: boolean } = {},
): Promise<{ cli: CliProcess; port: number }> {
  const cli = new CliProcess(['start', '--conf', conf, ...(opts.args ?? ['--json'])], {
    env: opts.env,
    nodeArgs: opts.nodeArgs,
    typescript: opts.typescript,
  });
  try {
    const l = await cli.waitForLog((x) => x.event === 'configLoaded', 'the configLoaded log line', 20_000);
    return { cli, port: Number(l.port) };
  } catch (e) {
    await cli.stop();
    throw e;
  }
}

/** What a command run in-process printed and returned, shaped like a finished CliProcess. */
export interface CliResult {
  exit: Exit;
  stdout: string;
  stderr: string;
  describe(): string;
}

/**
 * The CLI's `main(argv, io)` in this process, with its own environment,
 * stdin and captured output: the same code path as the program minus the
 * process start (no tsx compile, no module load), so dozens of cases cost
 * milliseconds. Commands that keep running (`start`) stay in child processes.
 */
export async function runCliInProcess(args: string[], opts: { env?: Record<string, string | undefined>; stdin?: string } = {}): Promise<CliResult> {
  const { main } = await import('../../src/cli/main.ts');
  let stdout = '';
  let stderr = '';
  const stdinText = opts.stdin ?? '';
  const io = {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: Object.assign(
      (async function* () {
        if (stdinText !== '') yield stdinText;
      })(),
      { isTTY: false },
    ),
    env: { ...opts.env },
  };
  const code = await main(args, io);
  if (code === 'keep-running') throw new Error(`runCliInProcess: ${args[0]} keeps running; use CliProcess`);
  return { exit: { code, signal: null }, stdout, stderr, describe: () => `exit ${code}\nstdout: ${stdout}\nstderr: ${stderr}` };
}
