/**
 * `npm run bench`: the bench is the judge. Our server, client and every
 * contender run in separate processes on loopback; every row is measured
 * RUNS times, the rounds interleaved (round 1 of every row, then round 2,
 * ...), each row next to its limit or peer and every other round backwards,
 * so that the machine's drift hits both sides of a ratio alike. The median
 * is shown with its ratio: the median of the rounds' own ratios
 * (docs/benchmarks.md says what each row is and how to reproduce it).
 *
 *   npm run bench                        # everything (about 10 minutes)
 *   npm run bench -- --quick             # 1 short round: a smoke test of the bench itself
 *   npm run bench -- --json FILE         # also write every row as JSON
 *   npm run bench -- --only raw,ws,grpc,legacy,secure,erl,cores,floor
 *   npm run bench -- --runs N --seconds S
 *   npm run bench -- --match 'casts|bulk'   # only the measurements with a row id matching
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { connect } from '../../src/client/node.ts';
import type { Channel } from '../../src/chan/channel.ts';
import { atom, tuple } from '../../src/wire/etf/term.ts';
import { toHex } from '../../src/wire/bytes.ts';
import { startFloor, type FloorServer } from './floor.ts';
import { threadCost } from './thread-cost.ts';
import { besideTheirBases, median, pairedRatio } from './pairing.ts';
import { startServerProcess, cpuSeconds, type ServerProc } from './procs.ts';
import { BULK_PAYLOAD, LOOKUP, STORE, bulk, manySequential, oneWay, pipelined, rawTcpLink, rawWsLink, sequential, type Link } from './raw-client.ts';
import { grpcStreamLink, grpcUnaryLink } from './grpc.ts';
import { ErlBenchClient, startErlServer, type ErlWorkload } from './erl-bench.ts';

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = argv.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return undefined;
  return argv[i].includes('=') ? argv[i].split('=')[1] : argv[i + 1];
};
const QUICK = argv.includes('--quick');
const RUNS = Number(flag('--runs') ?? (QUICK ? 1 : 3));
const SECONDS = Number(flag('--seconds') ?? (QUICK ? 0.3 : 2));
const JSON_FILE = flag('--json');
const GROUPS = ['raw', 'ws', 'grpc', 'legacy', 'secure', 'erl', 'cores', 'floor'] as const;
const MATCH = flag('--match') === undefined ? undefined : new RegExp(flag('--match')!);
const ONLY = new Set((flag('--only') ?? GROUPS.join(',')).split(','));
/** Load-generator threads for the rows marked so (the Erlang client VM has two schedulers). */
const THREADS = 2;
const PIPELINE_DEPTH = 256;

type Better = 'higher' | 'lower';
interface RowSpec {
  id: string;
  what: string;
  unit: string;
  /** The row this one is compared with (its limit or peer). */
  ratioTo?: string;
  better?: Better;
}
/** One measurement, giving one value per row of `rows`. */
interface Case {
  rows: RowSpec[];
  measure(): Promise<Array<number | undefined>>;
}

const cases: Case[] = [];
const single = (row: RowSpec, f: () => Promise<number>): void => void cases.push({ rows: [row], measure: async () => [await f()] });

// ---- links ----
const blob = tuple(atom('store'), atom('blob'), BULK_PAYLOAD);
function chanLink(ch: Channel): Link {
  return {
    request: () => ch.rpc(LOOKUP, { timeoutMs: 60_000 }),
    oneWay: () => ch.cast(STORE),
    bulk: () => ch.cast(blob),
    close: () => ch.close(),
  };
}
type Proto = 'legacy' | 'secure';
async function open(srv: ServerProc, proto: Proto, via: 'tcp' | 'ws' = 'tcp'): Promise<Channel> {
  const options = { protocol: proto, serverKey: srv.key, knownHosts: false } as const;
  if (via === 'ws') return connect(`ws://127.0.0.1:${srv.wsPort}/chan`, 'nameServer', 'ABXy45', [], options);
  return connect('127.0.0.1', srv.port, 'nameServer', 'ABXy45', [], options);
}
async function ourLinks(srv: ServerProc, proto: Proto, n: number, via: 'tcp' | 'ws' = 'tcp'): Promise<Link[]> {
  const chans = await Promise.all(Array.from({ length: n }, () => open(srv, proto, via)));
  chans[0].cast(STORE);
  await Promise.all(chans.map((c) => c.rpc(LOOKUP)));
  return chans.map(chanLink);
}
async function withLinks<T>(make: () => Promise<Link[]>, f: (links: Link[]) => Promise<T>): Promise<T> {
  const links = await make();
  try {
    await links[0].request(); // warm the path
    return await f(links);
  } finally {
    for (const l of links) l.close();
  }
}
const times = <T>(n: number, f: () => Promise<T>): Promise<T[]> => Promise.all(Array.from({ length: n }, f));

/**
 * Server CPU µs per operation while `f` runs (from /proc), then the bench
 * process's own (our client's) CPU µs per operation; `f` returns the rate and
 * count. CPU per operation is what A/B runs on a busy machine compare: the
 * rates swing with the neighbours' load, the CPU an operation costs much less.
 */
async function withCpu(pid: number, f: () => Promise<{ rate: number; count: number }>): Promise<[number, number | undefined, number | undefined]> {
  const c0 = cpuSeconds(pid);
  const u0 = process.cpuUsage();
  const r = await f();
  const u = process.cpuUsage(u0);
  const c1 = cpuSeconds(pid);
  if (r.count === 0) return [r.rate, undefined, undefined];
  return [r.rate, c0 === undefined || c1 === undefined ? undefined : ((c1 - c0) * 1e6) / r.count, (u.user + u.system) / r.count];
}
const counted = async (f: () => Promise<number>): Promise<{ rate: number; count: number }> => {
  const t0 = performance.now();
  const rate = await f();
  return { rate, count: (rate * (performance.now() - t0)) / 1000 };
};

/** connect + login + close, `parallel` loops for SECONDS: logins/s. */
async function loginLoad(srv: ServerProc, proto: Proto, parallel: number): Promise<number> {
  let n = 0;
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (performance.now() < end) {
        const ch = await open(srv, proto);
        ch.close();
        await ch.closed;
        n++;
      }
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

/** Many connections split over THREADS load-generator threads (test/bench/rpc-worker.ts). */
async function threadLoad(srv: ServerProc, proto: Proto, conns: number, mode: 'rpc' | 'login'): Promise<number> {
  const workers = Array.from(
    { length: THREADS },
    (_, i) =>
      new Worker(new URL('../../src/server/worker-boot.mjs', import.meta.url), {
        workerData: {
          entryUrl: new URL('./rpc-worker.ts', import.meta.url).href,
          port: srv.port,
          key: srv.key ? toHex(srv.key) : null,
          protocol: proto,
          conns: Math.floor(conns / THREADS) + (i < conns % THREADS ? 1 : 0),
          ms: SECONDS * 1000,
          mode,
        },
      }),
  );
  const next = (w: Worker): Promise<{ count?: number }> =>
    new Promise((resolve, reject) => {
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

// ---- the rows ----
function planRaw(raw: ServerProc): void {
  cases.push({
    rows: [
      { id: 'raw.tcp.seq', what: 'raw frames on node:net: sequential req/s, 1 connection', unit: 'req/s' },
      { id: 'raw.tcp.seq.p50', what: 'raw frames on node:net: sequential p50 latency', unit: 'µs', better: 'lower' },
    ],
    measure: () =>
      withLinks(
        () => times(1, () => rawTcpLink(raw.port)),
        async ([l]) => {
          const r = await sequential(l, SECONDS);
          return [r.rate, r.p50];
        },
      ),
  });
  for (const n of [8, 64])
    single({ id: `raw.tcp.rpc${n}`, what: `raw frames on node:net: sequential req/s, ${n} connections`, unit: 'req/s' }, () =>
      withLinks(
        () => times(n, () => rawTcpLink(raw.port)),
        (ls) => manySequential(ls, SECONDS),
      ),
    );
  single({ id: 'raw.tcp.pipelined', what: `raw frames on node:net: ${PIPELINE_DEPTH} requests in flight, 1 connection`, unit: 'req/s' }, () =>
    withLinks(
      () => times(1, () => rawTcpLink(raw.port)),
      ([l]) => pipelined(l, SECONDS, PIPELINE_DEPTH),
    ),
  );
  single({ id: 'raw.tcp.oneway', what: 'raw frames on node:net: one-way frames/s (batches of 1,000 + 1 request)', unit: 'frames/s' }, () =>
    withLinks(
      () => times(1, () => rawTcpLink(raw.port)),
      ([l]) => oneWay(l, SECONDS),
    ),
  );
  single({ id: 'raw.tcp.bulk', what: 'raw frames on node:net: bulk 64 KiB frames', unit: 'MB/s' }, () =>
    withLinks(
      () => times(1, () => rawTcpLink(raw.port)),
      ([l]) => bulk(l, SECONDS),
    ),
  );
}

function planRawWs(raw: ServerProc): void {
  cases.push({
    rows: [
      { id: 'raw.ws.seq', what: 'raw ws: sequential req/s, 1 connection', unit: 'req/s' },
      { id: 'raw.ws.seq.p50', what: 'raw ws: sequential p50 latency', unit: 'µs', better: 'lower' },
    ],
    measure: () =>
      withLinks(
        () => times(1, () => rawWsLink(raw.port)),
        async ([l]) => {
          const r = await sequential(l, SECONDS);
          return [r.rate, r.p50];
        },
      ),
  });
  single({ id: 'raw.ws.rpc8', what: 'raw ws: sequential req/s, 8 connections', unit: 'req/s' }, () =>
    withLinks(
      () => times(8, () => rawWsLink(raw.port)),
      (ls) => manySequential(ls, SECONDS),
    ),
  );
  single({ id: 'raw.ws.pipelined', what: `raw ws: ${PIPELINE_DEPTH} requests in flight, 1 connection`, unit: 'req/s' }, () =>
    withLinks(
      () => times(1, () => rawWsLink(raw.port)),
      ([l]) => pipelined(l, SECONDS, PIPELINE_DEPTH),
    ),
  );
  single({ id: 'raw.ws.oneway', what: 'raw ws: one-way messages/s (batches of 1,000 + 1 request)', unit: 'msgs/s' }, () =>
    withLinks(
      () => times(1, () => rawWsLink(raw.port)),
      ([l]) => oneWay(l, SECONDS),
    ),
  );
  single({ id: 'raw.ws.bulk', what: 'raw ws: bulk 64 KiB messages', unit: 'MB/s' }, () =>
    withLinks(
      () => times(1, () => rawWsLink(raw.port)),
      ([l]) => bulk(l, SECONDS),
    ),
  );
}

function planGrpc(port: number): void {
  single({ id: 'grpc.unary.seq', what: 'gRPC-js unary: sequential calls/s', unit: 'req/s', ratioTo: 'raw.tcp.seq' }, () =>
    withLinks(
      () => times(1, () => grpcUnaryLink(port)),
      async ([l]) => (await sequential(l, SECONDS)).rate,
    ),
  );
  single({ id: 'grpc.unary.pipelined', what: `gRPC-js unary: ${PIPELINE_DEPTH} calls in flight, 1 channel`, unit: 'req/s', ratioTo: 'raw.tcp.pipelined' }, () =>
    withLinks(
      () => times(1, () => grpcUnaryLink(port)),
      ([l]) => pipelined(l, SECONDS, PIPELINE_DEPTH),
    ),
  );
  single({ id: 'grpc.stream.seq', what: 'gRPC-js bidi stream: sequential req/s', unit: 'req/s', ratioTo: 'raw.tcp.seq' }, () =>
    withLinks(
      () => times(1, () => grpcStreamLink(port)),
      async ([l]) => (await sequential(l, SECONDS)).rate,
    ),
  );
  single({ id: 'grpc.stream.pipelined', what: `gRPC-js bidi stream: ${PIPELINE_DEPTH} requests in flight`, unit: 'req/s', ratioTo: 'raw.tcp.pipelined' }, () =>
    withLinks(
      () => times(1, () => grpcStreamLink(port)),
      ([l]) => pipelined(l, SECONDS, PIPELINE_DEPTH),
    ),
  );
  single(
    { id: 'grpc.stream.oneway', what: 'gRPC-js bidi stream: one-way messages/s (batches of 1,000 + 1 request)', unit: 'msgs/s', ratioTo: 'raw.tcp.oneway' },
    () =>
      withLinks(
        () => times(1, () => grpcStreamLink(port)),
        ([l]) => oneWay(l, SECONDS),
      ),
  );
  single({ id: 'grpc.stream.bulk', what: 'gRPC-js bidi stream: bulk 64 KiB messages', unit: 'MB/s', ratioTo: 'raw.tcp.bulk' }, () =>
    withLinks(
      () => times(1, () => grpcStreamLink(port)),
      ([l]) => bulk(l, SECONDS),
    ),
  );
}

/** Sequential rpcs on one of our channels: [rate, p50 latency]. */
const ourSequential = (srv: ServerProc, proto: Proto): Promise<number[]> =>
  withLinks(
    () => ourLinks(srv, proto, 1),
    async ([l]) => {
      const x = await sequential(l, SECONDS);
      return [x.rate, x.p50];
    },
  );

/** Our server with `{busy_poll, BUSY_POLL_US}` (src/transport/busy-poll.ts): the latency-bound rows again, against the default server's. */
const BUSY_POLL_US = 100;
function planBusyPoll(srv: ServerProc, erl: ErlBenchClient | undefined): void {
  for (const proto of ['legacy', 'secure'] as const) {
    if (!ONLY.has(proto) || (proto === 'secure' && !srv.key)) continue;
    cases.push({
      rows: [
        { id: `${proto}.seq.busypoll`, what: `${proto}: sequential rpc/s, 1 connection, {busy_poll, ${BUSY_POLL_US}}`, unit: 'rpc/s', ratioTo: `${proto}.seq` },
        {
          id: `${proto}.seq.busypoll.p50`,
          what: `${proto}: sequential rpc p50 latency, {busy_poll, ${BUSY_POLL_US}}`,
          unit: 'µs',
          better: 'lower',
          ratioTo: `${proto}.seq.p50`,
        },
      ],
      measure: () => ourSequential(srv, proto),
    });
  }
  if (!erl) return;
  for (const { key, what, unit, w } of ERL_WORKLOADS.filter((x) => ['rpc1', 'rpc8', 'login1'].includes(x.key))) {
    cases.push({
      rows: [
        { id: `erl.ours.busypoll.${key}`, what: `Erlang client -> our server with {busy_poll, ${BUSY_POLL_US}}: ${what}`, unit, ratioTo: `erl.erlang.${key}` },
      ],
      measure: async () => [(await erl.run(w, srv.port, SECONDS * 1000, srv.pid)).rate],
    });
  }
}

function planOurs(srv: ServerProc, proto: Proto, has: { raw: boolean; ws: boolean; erl: boolean; floor: boolean }): void {
  const p = proto;
  const r = (id: string, ok: boolean): string | undefined => (ok ? id : undefined);
  cases.push({
    rows: [
      { id: `${p}.seq`, what: `${p}: sequential rpc/s, 1 connection`, unit: 'rpc/s', ratioTo: r('raw.tcp.seq', has.raw) },
      { id: `${p}.seq.p50`, what: `${p}: sequential rpc p50 latency`, unit: 'µs', better: 'lower', ratioTo: r('raw.tcp.seq.p50', has.raw) },
    ],
    measure: () => ourSequential(srv, p),
  });
  cases.push({
    rows: [
      { id: `${p}.rpc8`, what: `${p}: rpc/s, 8 connections`, unit: 'rpc/s', ratioTo: r('raw.tcp.rpc8', has.raw) },
      {
        id: `${p}.cpu.rpc`,
        what: `${p}: server CPU per rpc (8 connections)`,
        unit: 'µs',
        better: 'lower',
        ratioTo: p === 'secure' ? 'legacy.cpu.rpc' : r('erl.erlang.cpu.rpc', has.erl),
      },
      {
        id: `${p}.ccpu.rpc`,
        what: `${p}: client CPU per rpc (8 connections)`,
        unit: 'µs',
        better: 'lower',
        ratioTo: p === 'secure' ? 'legacy.ccpu.rpc' : undefined,
      },
    ],
    measure: () =>
      withLinks(
        () => ourLinks(srv, p, 8),
        (ls) => withCpu(srv.pid, () => counted(() => manySequential(ls, SECONDS))),
      ),
  });
  single({ id: `${p}.rpc64`, what: `${p}: rpc/s, 64 connections`, unit: 'rpc/s', ratioTo: r('raw.tcp.rpc64', has.raw) }, () =>
    withLinks(
      () => ourLinks(srv, p, 64),
      (ls) => manySequential(ls, SECONDS),
    ),
  );
  for (const n of [8, 64])
    single(
      {
        id: `${p}.rpc${n}.threads`,
        what: `${p}: rpc/s, ${n} connections, ${THREADS} client threads`,
        unit: 'rpc/s',
        ratioTo: p === 'legacy' ? r(`erl.erlang.rpc${n}`, has.erl) : `legacy.rpc${n}.threads`,
      },
      () => threadLoad(srv, p, n, 'rpc'),
    );
  /** A rate row with the server's and the client's CPU per operation beside it. */
  const cpuCase = (
    key: string,
    what: string,
    unit: string,
    per: string,
    ratioTo: string | undefined,
    f: (l: Link) => Promise<number>,
    divide = 1,
    via: 'tcp' | 'ws' = 'tcp',
  ): void => {
    const pre = via === 'ws' ? 'ws.' : '';
    const name = `${via === 'ws' ? 'ws ' : ''}${p}`;
    const vsLegacy = p === 'secure';
    cases.push({
      rows: [
        { id: `${pre}${p}.${key}`, what: `${name}: ${what}`, unit, ratioTo },
        {
          id: `${pre}${p}.cpu.${key}`,
          what: `${name}: server CPU per ${per} (${key})`,
          unit: 'µs',
          better: 'lower',
          ratioTo: vsLegacy ? `${pre}legacy.cpu.${key}` : undefined,
        },
        {
          id: `${pre}${p}.ccpu.${key}`,
          what: `${name}: client CPU per ${per} (${key})`,
          unit: 'µs',
          better: 'lower',
          ratioTo: vsLegacy ? `${pre}legacy.ccpu.${key}` : undefined,
        },
      ],
      measure: () =>
        withLinks(
          () => ourLinks(srv, p, 1, via),
          async ([l]) => {
            const [rate, s, c] = await withCpu(srv.pid, () => counted(() => f(l)));
            return [rate, s === undefined ? s : s * divide, c === undefined ? c : c * divide];
          },
        ),
    });
  };
  if (p === 'secure')
    cpuCase('pipelined', `rpc/s, ${PIPELINE_DEPTH} in flight on 1 channel`, 'rpc/s', 'rpc', r('raw.tcp.pipelined', has.raw), (l) =>
      pipelined(l, SECONDS, PIPELINE_DEPTH),
    );
  cpuCase('casts', 'casts/s (batches of 1,000 + 1 rpc)', 'casts/s', 'cast', r('raw.tcp.oneway', has.raw), (l) => oneWay(l, SECONDS));
  // counted() counts MB for bulk: CPU per MB, shown per 64 KiB message.
  cpuCase(
    'bulk',
    'bulk 64 KiB binaries (casts + 1 rpc per 16)',
    'MB/s',
    '64 KiB message',
    r('raw.tcp.bulk', has.raw),
    (l) => bulk(l, SECONDS),
    BULK_PAYLOAD.length / 1e6,
  );
  const floor = p === 'legacy' ? 'floor.plain' : 'floor.secure';
  single({ id: `${p}.login1`, what: `${p}: connect+login+close/s, sequential`, unit: 'logins/s', ratioTo: r(`${floor}.login1`, has.floor) }, () =>
    loginLoad(srv, p, 1),
  );
  cases.push({
    rows: [
      { id: `${p}.login8`, what: `${p}: connect+login+close/s, 8 in parallel`, unit: 'logins/s', ratioTo: r(`${floor}.login8`, has.floor) },
      {
        id: `${p}.cpu.login`,
        what: `${p}: server CPU per login (8 in parallel)`,
        unit: 'µs',
        better: 'lower',
        ratioTo: p === 'legacy' ? r('erl.erlang.cpu.login', has.erl) : 'legacy.cpu.login',
      },
      {
        id: `${p}.ccpu.login`,
        what: `${p}: client CPU per login (8 in parallel)`,
        unit: 'µs',
        better: 'lower',
        ratioTo: p === 'secure' ? 'legacy.ccpu.login' : undefined,
      },
    ],
    measure: () => withCpu(srv.pid, () => counted(() => loginLoad(srv, p, 8))),
  });
  single(
    {
      id: `${p}.login8.threads`,
      what: `${p}: connect+login+close/s, 8 in parallel, ${THREADS} client threads`,
      unit: 'logins/s',
      ratioTo: p === 'legacy' ? r('erl.erlang.login8', has.erl) : r('floor.secure.login8', has.floor),
    },
    () => threadLoad(srv, p, 8, 'login'),
  );
  if (has.ws && srv.wsPort) {
    cases.push({
      rows: [
        { id: `ws.${p}.seq`, what: `ws ${p}: sequential rpc/s, 1 connection`, unit: 'rpc/s', ratioTo: r('raw.ws.seq', has.raw) },
        { id: `ws.${p}.seq.p50`, what: `ws ${p}: sequential rpc p50 latency`, unit: 'µs', better: 'lower', ratioTo: r('raw.ws.seq.p50', has.raw) },
      ],
      measure: () =>
        withLinks(
          () => ourLinks(srv, p, 1, 'ws'),
          async ([l]) => {
            const x = await sequential(l, SECONDS);
            return [x.rate, x.p50];
          },
        ),
    });
    single({ id: `ws.${p}.rpc8`, what: `ws ${p}: rpc/s, 8 connections`, unit: 'rpc/s', ratioTo: r('raw.ws.rpc8', has.raw) }, () =>
      withLinks(
        () => ourLinks(srv, p, 8, 'ws'),
        (ls) => manySequential(ls, SECONDS),
      ),
    );
    if (p === 'secure')
      cpuCase(
        'pipelined',
        `rpc/s, ${PIPELINE_DEPTH} in flight on 1 channel`,
        'rpc/s',
        'rpc',
        r('raw.ws.pipelined', has.raw),
        (l) => pipelined(l, SECONDS, PIPELINE_DEPTH),
        1,
        'ws',
      );
    cpuCase('casts', 'casts/s (batches of 1,000 + 1 rpc)', 'casts/s', 'cast', r('raw.ws.oneway', has.raw), (l) => oneWay(l, SECONDS), 1, 'ws');
    cpuCase('bulk', 'bulk 64 KiB binaries', 'MB/s', '64 KiB message', r('raw.ws.bulk', has.raw), (l) => bulk(l, SECONDS), BULK_PAYLOAD.length / 1e6, 'ws');
  }
}

const ERL_WORKLOADS: Array<{ key: string; what: string; unit: string; w: ErlWorkload; cpu?: 'rpc' | 'login' }> = [
  { key: 'rpc1', what: 'sequential rpc/s, 1 connection', unit: 'rpc/s', w: { kind: 'rpc', conns: 1 } },
  { key: 'rpc8', what: 'rpc/s, 8 connections', unit: 'rpc/s', w: { kind: 'rpc', conns: 8 }, cpu: 'rpc' },
  { key: 'rpc64', what: 'rpc/s, 64 connections', unit: 'rpc/s', w: { kind: 'rpc', conns: 64 } },
  { key: 'casts', what: 'casts/s (batches of 1,000 + 1 rpc, Nagle off)', unit: 'casts/s', w: { kind: 'casts' } },
  { key: 'login1', what: 'connect+login+close/s, sequential', unit: 'logins/s', w: { kind: 'login', parallel: 1 } },
  { key: 'login8', what: 'connect+login+close/s, 8 in parallel', unit: 'logins/s', w: { kind: 'login', parallel: 8 }, cpu: 'login' },
];

function planErl(client: ErlBenchClient, ours: ServerProc, erl: { port: number; pid: number }): void {
  for (const { key, what, unit, w, cpu } of ERL_WORKLOADS) {
    for (const [who, port, pid, label] of [
      ['ours', ours.port, ours.pid, 'our server'],
      ['erlang', erl.port, erl.pid, 'Erlang lib_chan server'],
    ] as const) {
      const rows: RowSpec[] = [
        { id: `erl.${who}.${key}`, what: `Erlang client -> ${label}: ${what}`, unit, ratioTo: who === 'ours' ? `erl.erlang.${key}` : undefined },
      ];
      if (cpu)
        rows.push({
          id: `erl.${who}.cpu.${cpu}`,
          what: `Erlang client -> ${label}: server CPU per ${cpu} (${key})`,
          unit: 'µs',
          better: 'lower',
          ratioTo: who === 'ours' ? `erl.erlang.cpu.${cpu}` : undefined,
        });
      cases.push({
        rows,
        measure: async () => {
          const r = await client.run(w, port, SECONDS * 1000, pid);
          return cpu ? [r.rate, r.cpuPerOp] : [r.rate];
        },
      });
    }
  }
}

/**
 * Every core (issue 13, point 3), with the Erlang client: the name server's
 * handlers in a worker thread ({isolation, worker}: every message crosses a
 * thread both ways) against inline, and our server as 2 processes
 * ({processes, 2}: logins in the helper, the name server's channels handed
 * to the primary) against 1, with the Erlang client (legacy logins) and
 * with our client's secure logins from 2 threads.
 */
function planCores(client: ErlBenchClient, isolated: ServerProc, p1: ServerProc, p2: ServerProc, pp2: ServerProc): void {
  const erlRow = (id: string, what: string, unit: string, ratioTo: string | undefined, srv: ServerProc, w: ErlWorkload, cpu = false): void => {
    const rows: RowSpec[] = [{ id, what, unit, ratioTo }];
    if (cpu) rows.push({ id: `${id}.cpu`, what: `${what}: server CPU per operation`, unit: 'µs', better: 'lower', ratioTo: ratioTo && 'erl.ours.cpu.rpc' });
    cases.push({
      rows,
      measure: async () => {
        const r = await client.run(w, srv.port, SECONDS * 1000, srv.pid);
        return cpu ? [r.rate, r.cpuPerOp] : [r.rate];
      },
    });
  };
  const iso = 'Erlang client -> our server, handlers in a worker thread';
  erlRow('cores.isolated.rpc1', `${iso}: sequential rpc/s, 1 connection`, 'rpc/s', 'erl.ours.rpc1', isolated, { kind: 'rpc', conns: 1 });
  erlRow('cores.isolated.rpc8', `${iso}: rpc/s, 8 connections`, 'rpc/s', 'erl.ours.rpc8', isolated, { kind: 'rpc', conns: 8 }, true);
  erlRow('cores.isolated.casts', `${iso}: casts/s`, 'casts/s', 'erl.ours.casts', isolated, { kind: 'casts' });
  for (const [name, n, srv, note] of [
    ['processes1', 1, p1, ''],
    ['processes2', 2, p2, ''],
    ['processes2pp', 2, pp2, ', the service {state, per_process}'],
  ] as const) {
    const what = `Erlang client -> our server as {processes, ${n}}${note}`;
    const to = n === 2 ? 'cores.processes1' : undefined;
    erlRow(`cores.${name}.rpc8`, `${what}: rpc/s, 8 connections`, 'rpc/s', to && `${to}.rpc8`, srv, { kind: 'rpc', conns: 8 });
    erlRow(`cores.${name}.rpc64`, `${what}: rpc/s, 64 connections`, 'rpc/s', to && `${to}.rpc64`, srv, { kind: 'rpc', conns: 64 });
    erlRow(`cores.${name}.login8`, `${what}: connect+login+close/s, 8 in parallel`, 'logins/s', to && `${to}.login8`, srv, { kind: 'login', parallel: 8 });
    single(
      {
        id: `cores.${name}.secure.login8`,
        what: `our client (${THREADS} threads) -> our server as {processes, ${n}}${note}: secure connect+login+close/s, 8 in parallel`,
        unit: 'logins/s',
        ratioTo: to && `${to}.secure.login8`,
      },
      () => threadLoad(srv, 'secure', 8, 'login'),
    );
  }
}

function planFloor(floor: FloorServer): void {
  for (const variant of ['plain', 'secure'] as const) {
    const what = variant === 'plain' ? 'floor, no crypto (4 bare frames on node:net)' : 'floor, secure handshake code on bare node:net';
    single({ id: `floor.${variant}.login1`, what: `${what}: connect+login+close/s, sequential`, unit: 'logins/s' }, () => floor.rate(variant, 1, SECONDS));
    single({ id: `floor.${variant}.login8`, what: `${what}: connect+login+close/s, 8 in parallel`, unit: 'logins/s' }, () => floor.rate(variant, 8, SECONDS));
  }
}

// ---- report ----
export interface JsonRow {
  id: string;
  what: string;
  value: number | null;
  unit: string;
  ratio_to: string | null;
  ratio: number | null;
  better: Better;
  runs: Array<number | null>;
}

const fmt = (x: number | undefined | null, unit = ''): string => {
  if (x === undefined || x === null || !Number.isFinite(x)) return '-';
  if (unit === 'MB/s' || unit === 'µs') return x < 100 ? x.toFixed(1) : Math.round(x).toLocaleString('en-US');
  return Math.round(x).toLocaleString('en-US');
};

async function main(): Promise<void> {
  const stoppers: Array<() => unknown> = [];
  const skipped: string[] = [];
  try {
    const has = { raw: ONLY.has('raw'), ws: ONLY.has('ws'), erl: ONLY.has('erl'), floor: ONLY.has('floor') };
    const needOurs = ONLY.has('legacy') || ONLY.has('secure') || has.erl || ONLY.has('cores');
    if (ONLY.has('cores')) has.erl = true;
    const ours = needOurs ? await startServerProcess() : undefined;
    if (ours) stoppers.push(ours.stop);
    if (has.raw) {
      const raw = await startServerProcess(['--raw']);
      stoppers.push(raw.stop);
      planRaw(raw);
      if (has.ws) {
        const rawWs = await startServerProcess(['--raw-ws']);
        stoppers.push(rawWs.stop);
        planRawWs(rawWs);
      }
    }
    if (ONLY.has('grpc')) {
      const g = await startServerProcess(['--grpc']);
      stoppers.push(g.stop);
      planGrpc(g.port);
    }
    let erlPlan: (() => void) | undefined;
    let erlClient: ErlBenchClient | undefined;
    if (has.erl && ours) {
      const client = await ErlBenchClient.start();
      if (typeof client === 'string') {
        has.erl = false;
        skipped.push(`erl rows SKIPPED: Erlang/OTP is not usable (${client})`);
      } else {
        stoppers.push(() => client.stop());
        const erl = await startErlServer();
        stoppers.push(erl.stop);
        erlClient = client;
        erlPlan = () => planErl(client, ours, erl);
        if (ONLY.has('cores')) {
          const isolated = await startServerProcess(['--conf', fileURLToPath(new URL('./bench-worker.conf', import.meta.url))]);
          stoppers.push(isolated.stop);
          const c1 = await startServerProcess(['--processes', '1']);
          stoppers.push(c1.stop);
          const c2 = await startServerProcess(['--processes', '2']);
          stoppers.push(c2.stop);
          const pp2 = await startServerProcess(['--processes', '2', '--conf', fileURLToPath(new URL('./bench-per-process.conf', import.meta.url))]);
          stoppers.push(pp2.stop);
          const plan = erlPlan;
          erlPlan = () => {
            plan();
            planCores(client, isolated, c1, c2, pp2);
          };
        }
      }
    }
    if (has.floor) {
      const floor = await startFloor();
      stoppers.push(floor.stop);
      planFloor(floor);
    }
    for (const proto of ['legacy', 'secure'] as const) {
      if (!ours || !ONLY.has(proto)) continue;
      if (proto === 'secure' && !ours.key) {
        skipped.push('secure rows SKIPPED: the server has no identity key');
        continue;
      }
      planOurs(ours, proto, has);
    }
    erlPlan?.();
    if (ours && (ONLY.has('legacy') || ONLY.has('secure') || erlClient)) {
      const polling = await startServerProcess(['--busy-poll', String(BUSY_POLL_US)]);
      stoppers.push(polling.stop);
      planBusyPoll(polling, erlClient);
    }
    if (ONLY.has('cores')) {
      for (const mode of ['clone', 'transfer', 'batch64', 'packed64'] as const) {
        single(
          {
            id: `cores.thread.${mode}`,
            what: `crossing a worker thread and back, 256 in flight, ${mode} (test/bench/thread-cost.ts)`,
            unit: 'µs',
            better: 'lower',
            ratioTo: mode === 'clone' ? undefined : 'cores.thread.clone',
          },
          async () => (await threadCost(mode, SECONDS)).wallUs,
        );
      }
    }
    if (MATCH) cases.splice(0, cases.length, ...cases.filter((c) => c.rows.some((r) => MATCH.test(r.id))));
    const planned = besideTheirBases(cases);

    const nRows = cases.reduce((a, c) => a + c.rows.length, 0);
    process.stderr.write(`lib_chan bench: ${cases.length} measurements (${nRows} rows), ${RUNS} interleaved round(s) of ${SECONDS} s each\n`);
    const values = new Map<string, Array<number | null>>();
    for (let round = 0; round < RUNS; round++) {
      // Every other round runs backwards: a row measured just after its base in one round is measured just before it
      // in the next, so neither side of a ratio always comes first (a warmed cache, a server that just went idle).
      for (const c of round % 2 === 0 ? planned : [...planned].reverse()) {
        let v: Array<number | undefined>;
        try {
          v = await c.measure();
        } catch (e) {
          process.stderr.write(`  ${c.rows[0].id}: FAILED ${(e as Error).message.slice(0, 500)}\n`);
          v = c.rows.map(() => undefined);
        }
        c.rows.forEach((r, i) => {
          const x = v[i];
          const list = values.get(r.id) ?? [];
          list.push(x === undefined || !Number.isFinite(x) ? null : x);
          values.set(r.id, list);
        });
        process.stderr.write(`  round ${round + 1}/${RUNS} ${c.rows.map((r, i) => `${r.id}=${fmt(v[i], r.unit)}`).join(' ')}\n`);
      }
    }

    const specs = cases.flatMap((c) => c.rows);
    const medians = new Map(specs.map((s) => [s.id, median((values.get(s.id) ?? []).filter((x): x is number => x !== null))]));
    const out: JsonRow[] = specs.map((s) => {
      const value = medians.get(s.id);
      const ratio = s.ratioTo ? pairedRatio(values.get(s.id) ?? [], values.get(s.ratioTo) ?? []) : undefined;
      return {
        id: s.id,
        what: s.what,
        value: value ?? null,
        unit: s.unit,
        ratio_to: s.ratioTo && medians.has(s.ratioTo) ? s.ratioTo : null,
        ratio: ratio ?? null,
        better: s.better ?? 'higher',
        runs: values.get(s.id) ?? [],
      };
    });
    const print = (s: string): void => void process.stdout.write(`${s}\n`);
    print(`lib_chan bench: ${RUNS} interleaved round(s) of ${SECONDS} s, median shown; node ${process.version}, ${new Date().toISOString()}\n`);
    print('| id | what | median | unit | runs | ratio | to |');
    print('|---|---|---|---|---|---|---|');
    for (const r of out) {
      const ratio = r.ratio === null ? '-' : `${(100 * r.ratio).toFixed(0)}%${r.better === 'lower' ? ' (lower is better)' : ''}`;
      print(
        `| ${r.id} | ${r.what} | ${fmt(r.value, r.unit)} | ${r.unit} | ${r.runs.map((x) => fmt(x, r.unit)).join(' / ')} | ${ratio} | ${r.ratio_to ?? '-'} |`,
      );
    }
    for (const s of skipped) print(`\n${s}`);
    if (JSON_FILE) {
      writeFileSync(
        JSON_FILE,
        `${JSON.stringify({ node: process.version, date: new Date().toISOString(), runs: RUNS, seconds: SECONDS, skipped, rows: out }, null, 2)}\n`,
      );
      process.stderr.write(`wrote ${out.length} rows to ${JSON_FILE}\n`);
    }
  } finally {
    for (const stop of stoppers.reverse()) await stop();
  }
}

await main();
// Worker threads and sockets of failed measurements must not keep the bench alive.
process.exit(0);
