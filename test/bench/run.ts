/**
 * `npm run bench`: the name server measured on loopback, server and client in
 * separate processes, every measurement bounded in time and repeated
 * (median of RUNS), beside the original Erlang lib_chan's figures on the same
 * kind of machine (shared/lib_chan/PROTOCOL-FACTS.md section 3) and the floor
 * of bare framed TCP in Node.
 *
 *   npm run bench                 # everything
 *   npm run bench -- --quick      # shorter runs (a smoke test of the bench itself)
 *   npm run bench -- --only legacy,secure,raw,ws,floor
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect } from '../../src/client/node.ts';
import type { Channel } from '../../src/chan/channel.ts';
import { atom, tuple } from '../../src/wire/etf/term.ts';
import { FrameDecoder, encodeFrame } from '../../src/wire/frame.ts';
import { encodeTerm } from '../../src/wire/etf/encode.ts';
import { fromHex, toHex } from '../../src/wire/bytes.ts';
import { Worker } from 'node:worker_threads';
import { startFloor } from './floor.ts';

const QUICK = process.argv.includes('--quick');
/** Load-generator threads for the many-connection rows marked so. */
const THREADS = 2;
const RUNS = QUICK ? 1 : 3;
const SECONDS = QUICK ? 0.5 : 2;
const onlyAt = process.argv.findIndex((a) => a.startsWith('--only'));
const onlyValue = onlyAt < 0 ? undefined : process.argv[onlyAt].includes('=') ? process.argv[onlyAt].split('=')[1] : process.argv[onlyAt + 1];
const ONLY = new Set((onlyValue ?? 'raw,legacy,secure,ws,floor').split(','));

const LOOKUP = tuple(atom('lookup'), atom('joe'));
const STORE = tuple(atom('store'), atom('joe'), 'writing a book');

interface ServerProc {
  port: number;
  key: Uint8Array | undefined;
  child: ChildProcess;
  /** The WebSocket listener's port (bench.conf has one), 0 if none. */
  wsPort: number;
}

async function startServerProcess(args: string[] = []): Promise<ServerProc> {
  const script = fileURLToPath(new URL('./server.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=lib-chan-src', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const rl = createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
    rl.once('line', (line) => {
      const m = /^READY (\d+) (\S+)(?: (\d+))?/.exec(line);
      if (!m) return reject(new Error(`bench server said: ${line}`));
      resolve({ port: Number(m[1]), key: m[2] === '-' ? undefined : fromHex(m[2]), child, wsPort: Number(m[3] ?? 0) });
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

type Proto = 'legacy' | 'secure';

type Via = 'tcp' | 'ws';

async function open(srv: ServerProc, proto: Proto, via: Via = 'tcp'): Promise<Channel> {
  const options = { protocol: proto, serverKey: srv.key, knownHosts: false } as const;
  if (via === 'ws') return connect(`ws://127.0.0.1:${srv.wsPort}/chan`, 'nameServer', 'ABXy45', [], options);
  return connect('127.0.0.1', srv.port, 'nameServer', 'ABXy45', [], options);
}

/**
 * Many connections split over THREADS load-generator threads (the Erlang
 * client VM had two schedulers); each connection does sequential rpcs.
 */
async function rpcLoadThreads(srv: ServerProc, proto: Proto, conns: number, mode: 'rpc' | 'login' = 'rpc'): Promise<number> {
  // worker-boot.mjs registers tsx in the thread, then imports entryUrl.
  const workers = Array.from({ length: THREADS }, (_, i) => new Worker(new URL('../../src/server/worker-boot.mjs', import.meta.url), {
    workerData: { entryUrl: new URL('./rpc-worker.ts', import.meta.url).href, port: srv.port, key: srv.key ? toHex(srv.key) : null, protocol: proto, conns: Math.floor(conns / THREADS) + (i < conns % THREADS ? 1 : 0), ms: SECONDS * 1000, mode },
  }));
  const next = (w: Worker): Promise<{ ready?: boolean; count?: number }> => new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  await Promise.all(workers.map(next));
  const t0 = performance.now();
  const done = workers.map(next);
  for (const w of workers) w.postMessage('go');
  const counts = await Promise.all(done);
  const secs = (performance.now() - t0) / 1000;
  await Promise.all(workers.map((w) => w.terminate()));
  return counts.reduce((a, c) => a + (c.count ?? 0), 0) / secs;
}

/** Sequential rpcs on `conns` connections for SECONDS; returns rpc/s and latency percentiles (µs). */
async function rpcLoad(srv: ServerProc, proto: Proto, conns: number, via: Via = 'tcp'): Promise<{ rate: number; p50: number; p99: number }> {
  const chans = await Promise.all(Array.from({ length: conns }, () => open(srv, proto, via)));
  chans[0].cast(STORE);
  await chans[0].rpc(LOOKUP);
  const lat: number[] = [];
  let count = 0;
  const end = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  await Promise.all(chans.map(async (ch) => {
    while (performance.now() < end) {
      const s = performance.now();
      await ch.rpc(LOOKUP);
      if (conns === 1) lat.push(performance.now() - s);
      count++;
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  for (const ch of chans) ch.close();
  lat.sort((a, b) => a - b);
  return { rate: count / secs, p50: lat.length ? pct(lat, 50) * 1000 : 0, p99: lat.length ? pct(lat, 99) * 1000 : 0 };
}

/** Batches of 1,000 casts then one rpc to sync, for SECONDS: casts/s. */
async function castLoad(srv: ServerProc, proto: Proto): Promise<number> {
  const ch = await open(srv, proto);
  let casts = 0;
  const end = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++) ch.cast(STORE);
    await ch.rpc(LOOKUP, { timeoutMs: 60_000 });
    casts += 1000;
  }
  const secs = (performance.now() - t0) / 1000;
  ch.close();
  return casts / secs;
}

/** connect + login + close, `parallel` loops for SECONDS: logins/s. */
async function loginLoad(srv: ServerProc, proto: Proto, parallel: number): Promise<number> {
  let n = 0;
  const end = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (performance.now() < end) {
      const ch = await open(srv, proto);
      ch.close();
      await ch.closed;
      n++;
    }
  }));
  return n / ((performance.now() - t0) / 1000);
}

/** Bulk: 64 KiB binaries by rpc, MB/s of request payload. */
async function bulkLoad(srv: ServerProc, proto: Proto, via: Via = 'tcp'): Promise<number> {
  const ch = await open(srv, proto, via);
  const blob = new Uint8Array(64 * 1024).fill(42);
  const msg = tuple(atom('store'), atom('blob'), blob);
  let bytes = 0;
  const end = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  while (performance.now() < end) {
    for (let i = 0; i < 16; i++) ch.cast(msg);
    await ch.rpc(LOOKUP, { timeoutMs: 60_000 });
    bytes += 16 * blob.length;
  }
  const secs = (performance.now() - t0) / 1000;
  ch.close();
  return bytes / secs / 1e6;
}

/** The floor: bare framed TCP request/response in Node, 1 connection. */
async function rawLoad(port: number): Promise<{ rate: number; p50: number; p99: number }> {
  const sock = net.connect({ port, host: '127.0.0.1', noDelay: true });
  await new Promise((r) => sock.once('connect', r));
  const dec = new FrameDecoder(1 << 20);
  let wake: (() => void) | undefined;
  sock.on('data', (b) => {
    if (dec.push(b).length > 0) wake?.();
  });
  const req = encodeFrame(encodeTerm(LOOKUP));
  const lat: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  while (performance.now() < end) {
    const s = performance.now();
    await new Promise<void>((r) => {
      wake = r;
      sock.write(req);
    });
    lat.push(performance.now() - s);
  }
  const secs = (performance.now() - t0) / 1000;
  sock.destroy();
  lat.sort((a, b) => a - b);
  return { rate: lat.length / secs, p50: pct(lat, 50) * 1000, p99: pct(lat, 99) * 1000 };
}

async function repeat<T>(f: () => Promise<T>, pick: (t: T) => number): Promise<{ runs: number[]; median: number; last: T[] }> {
  const results: T[] = [];
  for (let i = 0; i < RUNS; i++) results.push(await f());
  const runs = results.map(pick);
  return { runs, median: median(runs), last: results };
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
const rows: string[] = [];
function row(what: string, value: string, runs: number[], erlang: string): void {
  const line = `| ${what} | ${value} | ${runs.map(fmt).join(' / ')} | ${erlang} |`;
  rows.push(line);
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
  process.stdout.write(`lib_chan bench: ${RUNS} run(s) of ${SECONDS} s each, median shown; node ${process.version}\n\n`);
  process.stdout.write('| what | median | runs | original Erlang lib_chan |\n|---|---|---|---|\n');
  if (ONLY.has('raw')) {
    const raw = await startServerProcess(['--raw']);
    try {
      const r = await repeat(() => rawLoad(raw.port), (x) => x.rate);
      const lat = r.last[Math.floor(r.last.length / 2)];
      row('raw framed TCP (Node floor), sequential req/s', `${fmt(r.median)} (p50 ${fmt(lat.p50)} µs, p99 ${fmt(lat.p99)} µs)`, r.runs, '-');
    } finally {
      raw.child.kill('SIGTERM');
    }
  }
  const srv = await startServerProcess();
  try {
    for (const proto of ['legacy', 'secure'] as const) {
      if (!ONLY.has(proto)) continue;
      if (proto === 'secure' && !srv.key) {
        process.stdout.write('| secure: server has no identity key | - | - | - |\n');
        continue;
      }
      const seq = await repeat(() => rpcLoad(srv, proto, 1), (x) => x.rate);
      const lat = seq.last.map((x) => x.p50);
      const p99 = seq.last.map((x) => x.p99);
      row(`${proto}: sequential rpc/s, 1 connection`, `${fmt(seq.median)} (p50 ${fmt(median(lat))} µs, p99 ${fmt(median(p99))} µs)`, seq.runs, '8,696 (p50 116 µs, p99 168 µs)');
      const r8 = await repeat(() => rpcLoad(srv, proto, 8), (x) => x.rate);
      row(`${proto}: rpc/s, 8 connections`, fmt(r8.median), r8.runs, '82,139');
      const r64 = await repeat(() => rpcLoad(srv, proto, 64), (x) => x.rate);
      row(`${proto}: rpc/s, 64 connections`, fmt(r64.median), r64.runs, '77,999');
      const t8 = await repeat(() => rpcLoadThreads(srv, proto, 8), (x) => x);
      row(`${proto}: rpc/s, 8 connections, ${THREADS} client threads`, fmt(t8.median), t8.runs, '82,139');
      const t64 = await repeat(() => rpcLoadThreads(srv, proto, 64), (x) => x);
      row(`${proto}: rpc/s, 64 connections, ${THREADS} client threads`, fmt(t64.median), t64.runs, '77,999');
      const c = await repeat(() => castLoad(srv, proto), (x) => x);
      row(`${proto}: casts/s (batches of 1,000 + 1 rpc)`, fmt(c.median), c.runs, '22,021 (97,866 with nodelay)');
      const b = await repeat(() => bulkLoad(srv, proto), (x) => x);
      row(`${proto}: bulk MB/s (64 KiB binaries)`, b.median.toFixed(1), b.runs, '-');
      const l1 = await repeat(() => loginLoad(srv, proto, 1), (x) => x);
      row(`${proto}: connect+login+close/s, sequential`, fmt(l1.median), l1.runs, '1,834 (legacy MD5)');
      const l8 = await repeat(() => loginLoad(srv, proto, 8), (x) => x);
      row(`${proto}: connect+login+close/s, 8 in parallel`, fmt(l8.median), l8.runs, '2,992 (legacy MD5)');
      const lt = await repeat(() => rpcLoadThreads(srv, proto, 8, 'login'), (x) => x);
      row(`${proto}: connect+login+close/s, 8 in parallel, ${THREADS} client threads`, fmt(lt.median), lt.runs, '2,992 (legacy MD5)');
    }
    if (ONLY.has('legacy') && ONLY.has('secure') && srv.key) {
      // Secure against legacy rpc, the runs interleaved so the machine's drift between the blocks above does not count.
      for (const conns of [1, 8, 64]) {
        const ratios: number[] = [];
        for (let i = 0; i < RUNS; i++) {
          const l = await rpcLoad(srv, 'legacy', conns);
          const s = await rpcLoad(srv, 'secure', conns);
          ratios.push((100 * s.rate) / l.rate);
        }
        const m = median(ratios);
        process.stdout.write(`| secure rpc/s as % of legacy, ${conns} connection${conns > 1 ? 's' : ''} (interleaved runs) | ${m.toFixed(0)}% | ${ratios.map((r) => `${r.toFixed(0)}%`).join(' / ')} | (target: at least 70%) |\n`);
      }
    }
    // The same name server over WebSocket (one binary message per frame), beside the TCP rows above.
    for (const proto of ['legacy', 'secure'] as const) {
      if (!ONLY.has('ws') || !ONLY.has(proto) || !srv.wsPort || (proto === 'secure' && !srv.key)) continue;
      const seq = await repeat(() => rpcLoad(srv, proto, 1, 'ws'), (x) => x.rate);
      row(`ws ${proto}: sequential rpc/s, 1 connection`, `${fmt(seq.median)} (p50 ${fmt(median(seq.last.map((x) => x.p50)))} µs, p99 ${fmt(median(seq.last.map((x) => x.p99)))} µs)`, seq.runs, '-');
      const r8 = await repeat(() => rpcLoad(srv, proto, 8, 'ws'), (x) => x.rate);
      row(`ws ${proto}: rpc/s, 8 connections`, fmt(r8.median), r8.runs, '-');
      const b = await repeat(() => bulkLoad(srv, proto, 'ws'), (x) => x);
      row(`ws ${proto}: bulk MB/s (64 KiB binaries)`, b.median.toFixed(1), b.runs, '-');
    }
  } finally {
    srv.child.kill('SIGTERM');
  }
  if (ONLY.has('floor')) {
    // The same logins with none of lib_chan around them (test/bench/floor.ts): what the rows above can at best reach here.
    const floor = await startFloor();
    try {
      for (const variant of ['plain', 'secure'] as const) {
        const what = variant === 'plain' ? 'floor, no crypto (4 bare frames on node:net)' : 'floor, secure handshake code on bare node:net';
        const f1 = await repeat(() => floor.rate(variant, 1, SECONDS), (x) => x);
        row(`${what}: connect+login+close/s, sequential`, fmt(f1.median), f1.runs, '1,834 (legacy MD5)');
        const f8 = await repeat(() => floor.rate(variant, 8, SECONDS), (x) => x);
        row(`${what}: connect+login+close/s, 8 in parallel`, fmt(f8.median), f8.runs, '2,992 (legacy MD5)');
      }
    } finally {
      floor.stop();
    }
  }
}

await main();
