/**
 * Processes of the bench: servers started with a READY line (searched for
 * among the lines, with a deadline and raced against the exit), and the CPU
 * time a process has used, read from /proc/PID/stat (utime + stime of every
 * thread), so a server's own CPU per operation can be reported for any
 * server, Node or Erlang, without its cooperation.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fromHex } from '../../src/wire/bytes.ts';
import { waitUntil } from '../helpers/latch.ts';

/** Every node process of the bench runs the TypeScript source. */
export const NODE_ARGS = ['--import', 'tsx', '--conditions=lib-chan-src'];
/**
 * Node flags of every server process of the bench (ours, the raw floors, gRPC): the bench's own V8 heap
 * settings (`npm run bench` passes `--initial-old-space-size=64`, the setting the README recommends for a
 * gateway, Operations, "Running as a service"), so that servers, floors and client all run the same
 * runtime. Then BENCH_SERVER_NODE_FLAGS (space-separated): e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` for
 * the server's profile, which NODE_OPTIONS does not allow.
 */
const SERVER_NODE_FLAGS = [
  ...process.execArgv.filter((a) => /^--(?:initial|max)-(?:old|semi)-space-size=/.test(a)),
  ...(process.env.BENCH_SERVER_NODE_FLAGS ?? '').split(' ').filter(Boolean),
];
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;

export interface ServerProc {
  port: number;
  key: Uint8Array | undefined;
  /** The WebSocket listener's port (bench.conf has one), 0 if none. */
  wsPort: number;
  pid: number;
  /** SIGTERM, then wait for the exit (a --cpu-prof profile is written on the way out); SIGKILL after STOP_GRACE_MS. */
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Start test/bench/server.ts with `args` (see its header) and wait for its READY line. */
export async function startServerProcess(args: string[] = [], env: NodeJS.ProcessEnv = process.env): Promise<ServerProc> {
  const script = fileURLToPath(new URL('./server.ts', import.meta.url));
  // stdin is a pipe that the server watches: it exits when the bench does, however the bench ends.
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, ...NODE_ARGS, script, ...args], { stdio: ['pipe', 'pipe', 'inherit'], env });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let exited = false;
  let partial = '';
  let ready = false;
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    const parts = (partial + s).split('\n');
    partial = parts.pop() ?? '';
    // Once READY is read, what else the server prints on stdout (e.g. --trace-gc from BENCH_SERVER_NODE_FLAGS)
    // goes to the bench's stderr rather than piling up here.
    if (ready) for (const l of parts) process.stderr.write(`[server ${child.pid}] ${l}\n`);
    else lines.push(...parts);
    for (const w of [...waiters]) w();
  });
  child.once('exit', () => {
    exited = true;
    for (const w of [...waiters]) w();
  });
  const m = await waitUntil(
    waiters,
    () => {
      for (const l of lines) {
        const r = /^READY (\d+) (\S+) (\d+)/.exec(l);
        if (r) return r;
      }
      return undefined;
    },
    {
      what: 'READY line',
      ms: READY_TIMEOUT_MS,
      exited: () => exited,
      describe: () => lines.slice(0, 20).join('\n'),
      name: `bench server ${args.join(' ') || '(ours)'}`,
    },
  );
  ready = true;
  return {
    port: Number(m[1]),
    key: m[2] === '-' ? undefined : fromHex(m[2]),
    wsPort: Number(m[3]),
    pid: child.pid!,
    stop: async () => {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin!.end();
      child.kill('SIGTERM');
      const late = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await gone;
      clearTimeout(late);
    },
  };
}

let ticks: number | undefined;

/** CPU seconds (user + system) process `pid` has used, or undefined where /proc is missing. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) in parentheses; utime and stime are fields 14 and 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks ??= clockTicks();
    return (Number(f[11]) + Number(f[12])) / ticks;
  } catch {
    return undefined;
  }
}

function clockTicks(): number {
  try {
    // getconf is in every libc install; 100 is the Linux default when it is not.
    const out = spawnSyncText('getconf', ['CLK_TCK']);
    const n = Number(out.trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

function spawnSyncText(cmd: string, args: string[]): string {
  return spawnSync(cmd, args, { encoding: 'utf8', timeout: 5000 }).stdout ?? '';
}
