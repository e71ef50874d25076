/**
 * `npm run load`: the gateway under many concurrent clients, then its memory
 * per idle authenticated secure connection.
 *
 * The server runs as the operator runs it (`node --expose-gc src/cli/main.ts
 * start`, JSON logs on stdout) in its own process; clients run in forked
 * processes (load-client.ts). Phases:
 *
 *   load  LOAD_CLIENTS channels (default 1000: 5% of them legacy) in loops of
 *         casts and rpcs for LOAD_SECONDS (30), beside LOAD_ABUSERS (50)
 *         abusive loops (garbage frames, bad terms, wrong passwords, stalled
 *         handshakes, readers that stop reading) from other addresses.
 *         Reports messages sent vs handled (the counting service tallies the
 *         casts; each channel's final count must equal what it cast), errors
 *         by kind, rpc latency p50/p99, server RSS, the server's log events.
 *   idle  LOAD_IDLE (5000) authenticated secure channels that say nothing:
 *         server RSS before and after (after a GC, through a control channel),
 *         per connection; a heap snapshot diff (with vs without the channels)
 *         says which objects each connection holds.
 *   bare  the floor: a bare Node TCP server holding as many idle sockets.
 *
 *   LOAD_PHASES=load,idle,bare  LOAD_CLIENT_PROCS=2  LOAD_THINK_MS=20
 *
 * Needs about LOAD_IDLE+1000 file descriptors per process: when the soft
 * limit is lower, the script re-runs itself under `ulimit -n` (up to the hard
 * limit).
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '../../src/client/node.ts';
import type { Channel } from '../../src/chan/channel.ts';
import { atom, isAtom, tuple, type Term } from '../../src/wire/etf/term.ts';
import { startCliServer, type CliProcess } from '../helpers/cli-process.ts';
import { HANDLERS } from '../helpers/start-server.ts';
import type { AbuseResult, Job, LegitResult } from './load-client.ts';

const env = process.env;
const SECONDS = Number(env.LOAD_SECONDS ?? 30);
const CLIENTS = Number(env.LOAD_CLIENTS ?? 1000);
const ABUSERS = Number(env.LOAD_ABUSERS ?? 50);
const IDLE = Number(env.LOAD_IDLE ?? 5000);
const PROCS = Math.max(1, Number(env.LOAD_CLIENT_PROCS ?? 2));
const THINK_MS = Number(env.LOAD_THINK_MS ?? 20);
// How long the idle phase leaves the server alone before its settled readings: V8 gives back a young
// generation grown by a burst only at a collection that sees the allocation rate low (about 5 s here).
const SETTLE_MS = Number(env.LOAD_SETTLE_MS ?? 10_000);
const PHASES = new Set((env.LOAD_PHASES ?? 'load,idle,bare').split(','));
const TARGET_BYTES_PER_CONN = 7 * 1024;
const HERE = path.dirname(fileURLToPath(import.meta.url));

// ---- file descriptors: re-run under a raised soft limit when needed
{
  const needed = IDLE + 1024;
  const soft = Number(spawnSync('sh', ['-c', 'ulimit -Sn'], { encoding: 'utf8' }).stdout.trim());
  if (Number.isFinite(soft) && soft < needed && env.LOAD_REEXEC !== '1') {
    const hard = spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim();
    const to = hard === 'unlimited' ? needed : Math.min(needed, Number(hard));
    process.stdout.write(`file descriptors: soft limit ${soft} < ${needed}; re-running under ulimit -n ${to}\n`);
    const child = spawn('sh', ['-c', `ulimit -n ${to} && exec "$0" "$@"`, process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...env, LOAD_REEXEC: '1' },
    });
    child.on('exit', (code) => process.exit(code ?? 1));
    await new Promise(() => {});
  }
}

const addresses = (third: number, n: number): string[] => Array.from({ length: n }, (_, i) => `127.0.${third}.${i + 1}`);
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(2)} KB`;
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const out = (s = ''): void => void process.stdout.write(`${s}\n`);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function writeConf(dir: string): string {
  const file = path.join(dir, 'lib_chan.conf');
  writeFileSync(
    file,
    [
      '%% npm run load: the counting service, a flood service for slow readers, a control channel.',
      '{port, 0}.',
      '{bind, "127.0.0.1"}.',
      `{module_path, ["${HANDLERS}"]}.`,
      '{identity, "server.key"}.',
      `{limits, [{maxConnections, ${IDLE + CLIENTS + 2000}}, {maxConnectionsPerAddress, 1000}, {handshakeTimeoutMs, 2000}]}.`,
      '{service, counter, password, "load-pw", mfa, ops, counter, notUsed}.',
      '{service, idle, password, "idle-pw", mfa, echo, start, notUsed, [{auth, [password]}]}.',
      '{service, flood, password, none, mfa, ops, flood, notUsed, [{limits, [{maxQueuedBytes, 262144}]}]}.',
      '{service, control, password, "control-pw", mfa, ops, control, notUsed}.',
    ].join('\n'),
  );
  return file;
}

interface Memory {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** V8 young generation and old space, reserved bytes. */
  newSpace: number;
  oldSpace: number;
}

function asMemory(t: Term): Memory {
  const m = t as Map<Term, Term>;
  const get = (k: string): number => {
    for (const [key, v] of m) if (isAtom(key, k)) return v as number;
    return NaN;
  };
  return {
    rss: get('rss'),
    heapTotal: get('heapTotal'),
    heapUsed: get('heapUsed'),
    external: get('external'),
    arrayBuffers: get('arrayBuffers'),
    newSpace: get('newSpace'),
    oldSpace: get('oldSpace'),
  };
}

interface Server {
  cli: CliProcess;
  port: number;
  key: string;
  control: Channel;
  dir: string;
  memory(gc?: boolean): Promise<Memory>;
  /** After `ms` with the server left idle, then a GC. */
  settled(ms: number): Promise<Memory>;
  stop(): Promise<number | null>;
}

async function startServer(): Promise<Server> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lib_chan-load-'));
  // LOAD_SERVER_NODE_ARGS: extra node flags for the server (e.g. --max-semi-space-size=1).
  const nodeArgs = ['--expose-gc', ...(env.LOAD_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  const { cli, port } = await startCliServer(writeConf(dir), { nodeArgs, args: ['--json', '--log-level', 'info'] });
  const key = String(cli.json.find((l) => l.event === 'configLoaded')!.publicKey);
  const control = await connect('127.0.0.1', port, 'control', 'control-pw', [], { serverKey: key, limits: { rpcTimeoutMs: 300_000 } });
  return {
    cli,
    port,
    key,
    control,
    dir,
    memory: async (gc = false) => asMemory(await control.rpc(atom(gc ? 'gc' : 'memory'))),
    settled: async (ms) => asMemory(await control.rpc(tuple(atom('gc'), ms))),
    async stop() {
      control.close();
      cli.kill('SIGTERM');
      const e = await cli.waitExit(60_000);
      rmSync(dir, { recursive: true, force: true });
      return e.code;
    },
  };
}

/** Fork a client process and run one job in it. */
class ClientProc {
  readonly child: ChildProcess;
  private readonly ready: Promise<void>;
  private resolveDone: ((v: unknown) => void) | undefined;
  private rejectDone: ((e: Error) => void) | undefined;

  constructor() {
    this.child = fork(path.join(HERE, 'load-client.ts'), [], {
      execArgv: ['--import', 'tsx', '--conditions=lib-chan-src'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    this.ready = new Promise((resolve, reject) => {
      this.child.on('message', (m: { type: string; result?: unknown; error?: string }) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'done') this.resolveDone?.(m.result);
        else if (m.type === 'failed') this.rejectDone?.(new Error(m.error));
      });
      this.child.once('exit', (code) => {
        const err = new Error(`client process exited (${code})`);
        reject(err);
        this.rejectDone?.(err);
      });
    });
  }

  async run<T>(job: Job): Promise<T> {
    await this.ready;
    const done = new Promise<T>((resolve, reject) => {
      this.resolveDone = resolve as (v: unknown) => void;
      this.rejectDone = reject;
    });
    this.child.send({ cmd: 'run', job });
    return done;
  }

  stop(): Promise<void> {
    return new Promise((r) => {
      if (this.child.exitCode !== null) return r();
      this.child.once('exit', () => r());
      if (this.child.connected) this.child.send({ cmd: 'stop' });
      else this.child.kill();
    });
  }
}

function countEvents(cli: CliProcess, from = 0): Record<string, number> {
  const c: Record<string, number> = {};
  for (const l of cli.json.slice(from)) {
    const k =
      l.event === 'handshake'
        ? `handshake ${String(l.result)}`
        : l.event === 'channelClosed'
          ? `channelClosed ${String(l.reason)}`
          : l.event === 'limitHit'
            ? `limitHit ${String(l.key)}`
            : String(l.event);
    c[k] = (c[k] ?? 0) + 1;
  }
  return c;
}

function table(rows: [string, string | number][]): void {
  for (const [k, v] of rows) out(`  ${k.padEnd(40)} ${typeof v === 'number' ? v.toLocaleString('en') : v}`);
}

// ------------------------------------------------------------------ load

async function loadPhase(): Promise<void> {
  out(`\n== load: ${CLIENTS} channels (${PROCS} client processes) + ${ABUSERS} abusive loops, ${SECONDS} s, think 0-${THINK_MS} ms`);
  const s = await startServer();
  const rssSamples: number[] = [];
  const before = await s.memory(true);
  const procs = Array.from({ length: PROCS }, () => new ClientProc());
  const abuser = ABUSERS > 0 ? new ClientProc() : undefined;
  const sampler = setInterval(
    () =>
      void s.memory().then(
        (m) => rssSamples.push(m.rss),
        () => {},
      ),
    500,
  );
  const t0 = Date.now();
  const deadline = t0 + SECONDS * 1000;
  try {
    const per = Math.ceil(CLIENTS / PROCS);
    const legitRuns = procs.map((p, i) =>
      p.run<LegitResult>({
        kind: 'legit',
        port: s.port,
        serverKey: s.key,
        password: 'load-pw',
        count: Math.min(per, CLIENTS - i * per),
        addresses: addresses(1, 20),
        legacyShare: 0.05,
        deadline,
        thinkMs: THINK_MS,
        keyPrefix: `p${i}`,
      }),
    );
    const abuseRun = abuser?.run<AbuseResult>({ kind: 'abuse', port: s.port, serverKey: s.key, count: ABUSERS, addresses: addresses(2, 10), deadline });
    const legit = await Promise.all(legitRuns);
    const abuse = abuseRun ? await abuseRun : undefined;
    const elapsed = (Date.now() - t0) / 1000;
    clearInterval(sampler);
    const after = await s.memory(true);

    const sum = (f: (r: LegitResult) => number): number => legit.reduce((n, r) => n + f(r), 0);
    const merge = (f: (r: LegitResult) => Record<string, number>): Record<string, number> => {
      const m: Record<string, number> = {};
      for (const r of legit) for (const [k, v] of Object.entries(f(r))) m[k] = (m[k] ?? 0) + v;
      return m;
    };
    const lat = legit.flatMap((r) => r.latencies).sort((a, b) => a - b);
    const casts = sum((r) => r.casts);
    const handled = sum((r) => r.handled);
    const rpcs = sum((r) => r.rpcs);
    out('\nmessages (legitimate channels):');
    table([
      ['channels connected', `${sum((r) => r.connected)} of ${CLIENTS}`],
      ['casts sent', casts],
      ['casts handled (counted by the service)', handled],
      ['casts lost', casts - handled],
      ['channels whose count != casts sent', sum((r) => r.mismatched)],
      ['rpcs answered', rpcs],
      ['messages sent in all (casts + rpcs)', casts + rpcs],
      ['throughput', `${Math.round((casts + rpcs) / elapsed).toLocaleString('en')} msg/s (${Math.round(rpcs / elapsed).toLocaleString('en')} rpc/s)`],
      ['rpc latency p50 / p99 / max', `${percentile(lat, 50).toFixed(2)} / ${percentile(lat, 99).toFixed(2)} / ${(lat.at(-1) ?? NaN).toFixed(1)} ms`],
    ]);
    const errs = { ...merge((r) => r.connectErrors), ...Object.fromEntries(Object.entries(merge((r) => r.rpcErrors)).map(([k, v]) => [`rpc ${k}`, v])) };
    out('\nerrors on legitimate channels, by kind:');
    if (Object.keys(errs).length === 0) out('  none');
    else table(Object.entries(errs));
    if (abuse) {
      out('\nabusive clients: attempts, and how each ended (client side):');
      table(Object.entries(abuse.attempts).map(([k, v]) => [`${k} attempts`, v]));
      table(Object.entries(abuse.outcomes).sort((a, b) => b[1] - a[1]));
    }
    out('\nserver log events:');
    table(Object.entries(countEvents(s.cli)).sort((a, b) => b[1] - a[1]));
    out('\nserver memory:');
    table([
      ['RSS before (after GC)', mb(before.rss)],
      ['RSS peak (sampled every 0.5 s)', mb(Math.max(...rssSamples, after.rss))],
      ['RSS after (after GC)', mb(after.rss)],
      ['heap used after (after GC)', mb(after.heapUsed)],
    ]);
  } finally {
    clearInterval(sampler);
    await Promise.all([...procs, ...(abuser ? [abuser] : [])].map((p) => p.stop()));
    const code = await s.stop();
    out(`\nserver stopped by SIGTERM: exit code ${code}`);
  }
}

// ------------------------------------------------------------------ idle memory

interface HeapRow {
  count: number;
  size: number;
}

/** Objects in a heap snapshot grouped by type and constructor (or closure) name. */
function summarizeSnapshot(file: string): Map<string, HeapRow> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const stride = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const out = new Map<string, HeapRow>();
  for (let i = 0; i < snap.nodes.length; i += stride) {
    const type = types[snap.nodes[i + iType]];
    const name = snap.strings[snap.nodes[i + iName]];
    const key =
      type === 'object' || type === 'closure' || type === 'native'
        ? `${type} ${name.slice(0, 60)}`
        : type === 'hidden' || type === 'array'
          ? `${type} ${name.slice(0, 40)}`
          : type;
    const row = out.get(key) ?? { count: 0, size: 0 };
    row.count++;
    row.size += snap.nodes[i + iSize];
    out.set(key, row);
  }
  return out;
}

async function idlePhase(): Promise<void> {
  out(`\n== idle: ${IDLE} authenticated secure channels that say nothing (server process only)`);
  const s = await startServer();
  let procs: ClientProc[] = [];
  const idleLines = (what: 'ack' | 'closed'): number =>
    s.cli.json.filter((l) => l.service === 'idle' && (what === 'ack' ? l.event === 'handshake' && l.result === 'ack' : l.event === 'channelClosed')).length;
  /** Open IDLE channels from fresh client processes; resolves once the server has logged every login. */
  const openWave = async (): Promise<{ connected: number; seconds: number; errors: string }> => {
    const acked = idleLines('ack');
    procs = Array.from({ length: PROCS }, () => new ClientProc());
    const per = Math.ceil(IDLE / PROCS);
    const t0 = Date.now();
    const results = await Promise.all(
      procs.map((p, i) =>
        p.run<{ connected: number; errors: Record<string, number> }>({
          kind: 'idle',
          port: s.port,
          serverKey: s.key,
          password: 'idle-pw',
          service: 'idle',
          count: Math.min(per, IDLE - i * per),
          addresses: addresses(3, 50),
        }),
      ),
    );
    const connected = results.reduce((n, r) => n + r.connected, 0);
    await s.cli.waitFor(() => (idleLines('ack') - acked >= connected ? true : undefined), 'every login logged', 120_000);
    const errors = results
      .filter((r) => Object.keys(r.errors).length > 0)
      .map((r) => JSON.stringify(r.errors))
      .join(' ');
    return { connected, seconds: (Date.now() - t0) / 1000, errors };
  };
  /** Close them all (the client processes exit); resolves once the server has logged every close. */
  const closeWave = async (connected: number): Promise<void> => {
    const closed = idleLines('closed');
    await Promise.all(procs.map((p) => p.stop()));
    await s.cli.waitFor(() => (idleLines('closed') - closed >= connected ? true : undefined), 'every idle channel closed', 120_000);
  };
  try {
    const settledBefore = await s.settled(SETTLE_MS);
    const before = await s.memory(true);
    const wave1 = await openWave();
    const after = await s.memory(true);
    const settledAfter = await s.settled(SETTLE_MS);
    const n = wave1.connected;
    const per1 = (a: number, b: number): number => (b - a) / n;
    const settledPer = per1(settledBefore.rss, settledAfter.rss);
    out(`\n${n} of ${IDLE} channels open in ${wave1.seconds.toFixed(1)} s${wave1.errors ? `; errors ${wave1.errors}` : ''}`);
    table([
      ['RSS before / after (after GC, at once)', `${mb(before.rss)} / ${mb(after.rss)}`],
      ['RSS per idle secure connection, at once', kb(per1(before.rss, after.rss))],
      ['  of which V8 heap used', kb(per1(before.heapUsed, after.heapUsed))],
      ['  V8 heap reserved (heapTotal)', kb(per1(before.heapTotal, after.heapTotal))],
      ['    young generation (new space) before / after', `${mb(before.newSpace)} / ${mb(after.newSpace)}`],
      ['    old space before / after', `${mb(before.oldSpace)} / ${mb(after.oldSpace)}`],
      ['  external (Buffers, ArrayBuffers)', kb(per1(before.external, after.external))],
      [
        '  the rest (libuv/OpenSSL/malloc, heap pages)',
        kb(per1(before.rss, after.rss) - per1(before.heapTotal, after.heapTotal) - per1(before.external, after.external)),
      ],
      [`RSS before / after, each after ${SETTLE_MS / 1000} s idle and a GC`, `${mb(settledBefore.rss)} / ${mb(settledAfter.rss)}`],
      ['RSS per idle secure connection, settled', kb(settledPer)],
      ['  of which V8 heap used', kb(per1(settledBefore.heapUsed, settledAfter.heapUsed))],
      ['    young generation (new space) before / after', `${mb(settledBefore.newSpace)} / ${mb(settledAfter.newSpace)}`],
      ['target (settled)', `<= ${kb(TARGET_BYTES_PER_CONN)} ${settledPer <= TARGET_BYTES_PER_CONN ? '(met)' : '(NOT met)'}`],
    ]);
    // A second wave on the same server: the allocator's high-water mark from the handshakes is reached
    // already, so what RSS gains now is what the connections hold.
    await closeWave(n);
    const closed = await s.memory(true);
    const wave2 = await openWave();
    const again = await s.memory(true);
    table([
      ['after closing them all (after GC)', mb(closed.rss)],
      [`second wave: ${wave2.connected} open again`, mb(again.rss)],
      ['RSS per connection, second wave', kb((again.rss - closed.rss) / wave2.connected)],
      ['  of which V8 heap used', kb((again.heapUsed - closed.heapUsed) / wave2.connected)],
    ]);

    if (env.LOAD_SNAPSHOT !== '0') {
      // What each connection holds: a snapshot with the channels, one after they are gone, the difference.
      // LOAD_KEEP_SNAPSHOTS=dir keeps them (for a look at the retainers in DevTools).
      const snapDir = env.LOAD_KEEP_SNAPSHOTS ?? s.dir;
      const withFile = path.join(snapDir, 'with.heapsnapshot');
      const withoutFile = path.join(snapDir, 'without.heapsnapshot');
      await s.control.rpc(tuple(atom('snapshot'), withFile));
      await closeWave(wave2.connected);
      await s.memory(true);
      await s.control.rpc(tuple(atom('snapshot'), withoutFile));
      const a = summarizeSnapshot(withFile);
      const b = summarizeSnapshot(withoutFile);
      const m = wave2.connected;
      const rows = [...a]
        .map(([k, r]) => {
          const o = b.get(k) ?? { count: 0, size: 0 };
          return { k, count: (r.count - o.count) / m, size: (r.size - o.size) / m };
        })
        .filter((r) => r.size > 8 || r.count > 0.5)
        .sort((x, y) => y.size - x.size);
      const total = rows.reduce((t, r) => t + Math.max(0, r.size), 0);
      out(`\nheap snapshot diff (with the ${m} channels minus without), per connection: ${kb(total)} of objects, top entries:`);
      out(`  ${'objects (type constructor)'.padEnd(62)} ${'count'.padStart(6)} ${'bytes'.padStart(8)}`);
      for (const r of rows.slice(0, 30)) out(`  ${r.k.padEnd(62)} ${r.count.toFixed(2).padStart(6)} ${r.size.toFixed(0).padStart(8)}`);
    }
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    const code = await s.stop();
    out(`\nserver stopped by SIGTERM: exit code ${code}`);
  }
}

// ------------------------------------------------------------------ bare Node floor

const BARE_SERVER = `
const net = require('node:net');
const socks = new Set();
const srv = net.createServer((s) => { socks.add(s); s.on('error', () => {}); s.on('close', () => socks.delete(s)); });
srv.listen(0, '127.0.0.1', () => console.log('PORT ' + srv.address().port));
process.on('message', (m) => { for (let i = 0; i < 3; i++) gc(); const u = process.memoryUsage(); process.send({ rss: u.rss, heapUsed: u.heapUsed, external: u.external, sockets: socks.size }); });
`;

async function barePhase(): Promise<void> {
  out(`\n== bare: a plain Node TCP server holding ${IDLE} idle sockets (the floor)`);
  const srv = spawn(process.execPath, ['--expose-gc', '-e', BARE_SERVER], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve) => {
    srv.stdout!.setEncoding('utf8');
    srv.stdout!.on('data', (d: string) => {
      const m = /PORT (\d+)/.exec(d);
      if (m) resolve(Number(m[1]));
    });
  });
  const mem = (): Promise<{ rss: number; heapUsed: number; sockets: number }> =>
    new Promise((r) => {
      srv.once('message', (m) => r(m as { rss: number; heapUsed: number; sockets: number }));
      srv.send('gc');
    });
  const before = await mem();
  const net = await import('node:net');
  const socks: InstanceType<typeof net.Socket>[] = [];
  const addrs = addresses(3, 50);
  for (let i = 0; i < IDLE; i++) {
    socks.push(
      await new Promise((resolve, reject) => {
        const s = net.connect({ port, host: '127.0.0.1', localAddress: addrs[i % addrs.length] }, () => resolve(s));
        s.once('error', reject);
      }),
    );
  }
  let after = await mem();
  while (after.sockets < IDLE) after = await mem();
  table([
    ['RSS before / after (after GC)', `${mb(before.rss)} / ${mb(after.rss)}`],
    ['RSS per idle bare socket', kb((after.rss - before.rss) / IDLE)],
    ['  of which V8 heap used', kb((after.heapUsed - before.heapUsed) / IDLE)],
  ]);
  for (const s of socks) s.destroy();
  srv.kill();
}

out(
  `lib_chan load test: node ${process.version}, ${os.cpus().length} CPUs, ${mb(os.totalmem())} RAM, phases ${[...PHASES].join(',')}${env.LOAD_SERVER_NODE_ARGS ? `, server node flags: ${env.LOAD_SERVER_NODE_ARGS}` : ''}`,
);
if (PHASES.has('load')) await loadPhase();
if (PHASES.has('idle')) await idlePhase();
if (PHASES.has('bare')) await barePhase();
process.exit(0);
