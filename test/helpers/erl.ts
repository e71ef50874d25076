/**
 * Erlang/OTP for tests: find `erl` and `erlc`, compile .erl files into a temp dir, and run an
 * `erl -noshell` process whose stdout is read as lines.
 *
 * Without Erlang a test is skipped loudly (a banner on stderr, then `t.skip(reason)` or a
 * `describe` skip option), except under CI=true, where it fails: CI must have Erlang installed.
 * LIB_CHAN_NO_ERL=1 pretends Erlang is missing, to try that path.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { waitUntil } from './latch.ts';

/** Where the tests' Erlang sources live. */
export const ERL_DIR = fileURLToPath(new URL('../interop/erl/', import.meta.url));

export interface ErlTools {
  erl: string;
  erlc: string;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function which(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const dir of [...dirs, '/usr/bin', '/usr/local/bin', '/usr/lib/erlang/bin', '/opt/homebrew/bin']) {
    const file = path.join(dir, name);
    if (executable(file)) return file;
  }
  return undefined;
}

let found: ErlTools | string | undefined;

/** The Erlang tools, or a sentence saying why they cannot be used. Checked once per process. */
export function findErl(): ErlTools | string {
  if (found !== undefined) return found;
  if (process.env.LIB_CHAN_NO_ERL === '1') {
    found = 'LIB_CHAN_NO_ERL=1 (to try the no-Erlang path)';
    return found;
  }
  const erl = which('erl');
  const erlc = which('erlc');
  if (erl === undefined || erlc === undefined) {
    found = `${[erl ? null : 'erl', erlc ? null : 'erlc'].filter(Boolean).join(' and ')} not found on PATH`;
    return found;
  }
  const probe = spawnSync(erl, ['-noshell', '-eval', 'halt(0).'], { stdio: 'ignore', timeout: 30_000 });
  found = probe.status === 0 ? { erl, erlc } : `${erl} does not start (status ${probe.status}, ${probe.error?.message ?? 'no error'})`;
  return found;
}

/**
 * Why Erlang is missing, announced: a loud banner and the skip message to pass on. Under CI=true
 * it throws instead, so the test fails rather than passing unseen.
 */
function announceNoErl(what: string, why: string): string {
  const msg = `Erlang/OTP is needed: ${why}. Install it (e.g. apt-get install erlang-base erlang-dev).`;
  if (process.env.CI === 'true') throw new Error(`${msg} CI=true: not skipping.`);
  process.stderr.write(`\n${'!'.repeat(78)}\n!! SKIPPING ${what}: ${msg}\n${'!'.repeat(78)}\n\n`);
  return `SKIPPED (no Erlang): ${why}`;
}

/** The Erlang tools for test `t`, or undefined after skipping it loudly (see announceNoErl). */
export function requireErl(t: TestContext): ErlTools | undefined {
  const tools = findErl();
  if (typeof tools !== 'string') return tools;
  t.skip(announceNoErl(t.name, tools));
  return undefined;
}

/** The `skip` option for a `describe` of Erlang tests: false when Erlang is there (see announceNoErl). */
export function erlSkip(): false | string {
  const tools = findErl();
  return typeof tools === 'string' ? announceNoErl('the Erlang interop tests', tools) : false;
}

/** The Erlang tools, or throws saying why not (for code behind requireErl or erlSkip). */
export function erlTools(): ErlTools {
  const tools = findErl();
  if (typeof tools === 'string') throw new Error(`Erlang/OTP is not usable: ${tools}`);
  return tools;
}

/** A temp dir removed when this process exits. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Compile `files` (names in test/interop/erl, or absolute paths) into a new temp dir; returns it. */
export function compileErl(tools: ErlTools, files: string[]): string {
  const out = tempDir('lib-chan-erlc-');
  const sources = files.map((f) => (path.isAbsolute(f) ? f : path.join(ERL_DIR, f)));
  const r = spawnSync(tools.erlc, ['-o', out, ...sources], { encoding: 'utf8', timeout: 120_000 });
  if (r.error !== undefined || r.status !== 0) {
    throw new Error(`erlc failed (status ${r.status}${r.error ? `, ${r.error.message}` : ''}):\n${r.stdout}${r.stderr}`);
  }
  return out;
}

export interface ErlExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ErlProcessOptions {
  /** Names the process in `describe()`. */
  label?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * `erl -noshell -pa <codeDir> -run <module> <fun> <args...>`, with stdout split into lines.
 * stdin stays open for `writeLine`; `waitForLine` races the deadline and the process's exit.
 */
export class ErlProcess {
  readonly label: string;
  readonly proc: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<ErlExit>;
  private exit: ErlExit | undefined;
  private partial = '';
  private readonly waiters = new Set<() => void>();

  constructor(tools: ErlTools, codeDir: string, module: string, fun: string, args: string[], opts: ErlProcessOptions = {}) {
    this.label = opts.label ?? 'erl';
    this.proc = spawn(tools.erl, ['-noshell', '-pa', codeDir, '-run', module, fun, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env });
    this.proc.stdout!.setEncoding('utf8');
    this.proc.stderr!.setEncoding('utf8');
    this.proc.stdout!.on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop() ?? '';
      for (const line of parts) this.lines.push(line.replace(/\r$/, ''));
      this.wake();
    });
    this.proc.stderr!.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.proc.stdin!.on('error', () => {});
    this.exited = new Promise((resolve) => {
      this.proc.once('error', (err) => {
        this.stderr += `\n[spawn error] ${err.message}`;
        this.exit = { code: null, signal: null };
        this.wake();
        resolve(this.exit);
      });
      // 'close', not 'exit': stdout is fully read by then, so no line is missed.
      this.proc.once('close', (code, signal) => {
        if (this.partial !== '') this.lines.push(this.partial);
        this.partial = '';
        this.exit = { code, signal };
        this.wake();
        resolve(this.exit);
      });
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Everything the process said, for failure messages (long output is cut). */
  describe(): string {
    const status = this.exit ? `exited (code ${this.exit.code}, signal ${this.exit.signal})` : 'running';
    const out = [...this.lines, ...(this.partial === '' ? [] : [this.partial])].join('\n');
    const cut = (s: string): string => (s.length > 4000 ? `${s.slice(0, 4000)}\n... (${s.length} chars)` : s);
    return `${this.label} ${status}\n--- stdout ---\n${cut(out)}\n--- stderr ---\n${cut(this.stderr)}`;
  }

  /** The first stdout line matching `re`, printed already or still to come. */
  waitForLine(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const find = (): RegExpMatchArray | undefined => {
      for (const line of this.lines) {
        const m = line.match(re);
        if (m) return m;
      }
      return undefined;
    };
    return waitUntil(this.waiters, find, {
      what: `line matching ${re}`,
      ms: timeoutMs,
      exited: () => this.exit !== undefined,
      describe: () => this.describe(),
      name: this.label,
    });
  }

  writeLine(line: string): void {
    this.proc.stdin!.write(`${line}\n`);
  }

  /** Kill the process if it still runs, and wait for it to be gone. */
  async stop(): Promise<void> {
    if (!this.exit) {
      this.proc.stdin!.end();
      this.proc.kill('SIGKILL');
    }
    await this.exited;
  }
}
