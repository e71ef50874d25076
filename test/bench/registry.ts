/**
 * Registry figures for the README (`node --import tsx test/bench/registry.ts`;
 * never part of npm test): the time from a gateway's kill -9 until no client
 * is sent to it (its lease expires), and until a client by name is served
 * again; resolve latency per backend; and the cost of registration on the
 * rpc path (rpcs per second on a gateway with and without a registry).
 */
import { Etcd3 } from 'etcd3';
import { connect } from '../../src/client/node.ts';
import { resetFailoverMemory } from '../../src/client/by-name.ts';
import { openRegistry } from '../../src/registry/open.ts';
import { atom, tuple } from '../../src/wire/etf/term.ts';
import { EtcdCluster, binary } from '../helpers/engines.ts';
import { startGateway } from '../helpers/gateways.ts';
import { startTestServer } from '../helpers/start-server.ts';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms: number): string => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(1)} ms`);

async function failover(etcd: EtcdCluster, ttlMs: number, rounds: number): Promise<void> {
  const gone: number[] = [];
  const served: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const url = etcd.url(`bench-${ttlMs}-${r}`);
    const prefix = `/bench-${ttlMs}-${r}/gateways/`;
    const [a, b] = await Promise.all([startGateway('a', url, { ttlMs }), startGateway('b', url, { ttlMs })]);
    const idA = String((await a.registryEvent('registered')).gateway);
    const client = new Etcd3({ hosts: `http://${etcd.hosts}` });
    const w = await client.watch().prefix(prefix).create();
    const deleted = new Promise<number>((resolve) => w.on('delete', (kv) => kv.key.toString() === prefix + idA && resolve(performance.now())));
    const t0 = performance.now();
    a.cli.kill('SIGKILL');
    resetFailoverMemory();
    const ch = await connect({ service: 'nameServer', registry: url }, 'pw', [], { serverKeys: [a.publicKey, b.publicKey] });
    await ch.rpc(tuple(atom('whoami')));
    served.push(performance.now() - t0);
    ch.close();
    gone.push((await deleted) - t0);
    await w.cancel();
    client.close();
    await Promise.all([a.stop(), b.stop()]);
  }
  console.log(
    `| kill -9 -> no client sent there (record expired), TTL ${ttlMs / 1000} s | ${fmt(median(gone))} (min ${fmt(Math.min(...gone))}, max ${fmt(Math.max(...gone))}, ${rounds} runs) |`,
  );
  console.log(`| kill -9 -> next connect by name served (failover, TTL ${ttlMs / 1000} s) | ${fmt(median(served))} (max ${fmt(Math.max(...served))}) |`);
}

async function resolveLatency(etcd: EtcdCluster): Promise<void> {
  const url = etcd.url('bench-resolve');
  const gw = await startTestServer('{service, nameServer, password, "pw", mfa, gateway, start, "x"}.', { extra: `{registry, "${url}"}.`, websocket: false });
  const local = await startTestServer('{service, nameServer, password, "pw", mfa, gateway, start, "x"}.', {
    extra: `{registry, "local:bench${process.pid}"}.`,
    websocket: false,
  });
  await gw.waitForLog((l) => l.event === 'registry' && l.action === 'registered');
  const time = async (n: number, f: () => Promise<unknown>): Promise<number> => {
    const xs: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await f();
      xs.push(performance.now() - t);
    }
    return median(xs);
  };
  const oneShot = await time(50, async () => {
    const r = await openRegistry(url);
    await r.resolve('nameServer');
    await r.close();
  });
  const watched = await openRegistry(url, { watch: true });
  await watched.resolve('nameServer');
  const cached = await time(1000, () => watched.resolve('nameServer'));
  await watched.close();
  const kept = await openRegistry(url);
  const read = await time(200, () => kept.resolve('nameServer'));
  await kept.close();
  const localReg = await openRegistry(`local:bench${process.pid}`);
  const localQ = await time(200, () => localReg.resolve('nameServer'));
  console.log(`| resolve, etcd, open + read + close (what connect(url) does) | ${fmt(oneShot)} |`);
  console.log(`| resolve, etcd, registry kept open (one read) | ${fmt(read)} |`);
  console.log(`| resolve, etcd, watched cache (openRegistry(url, { watch: true })) | ${fmt(cached)} |`);
  console.log(`| resolve, local: (one query to the table holder) | ${fmt(localQ)} |`);
  await Promise.all([gw.close(), local.close()]);
}

async function rpcCost(etcd: EtcdCluster): Promise<void> {
  const run = async (extra: string): Promise<number> => {
    const ts = await startTestServer('{service, nameServer, password, "pw", mfa, gateway, start, "x"}.', { extra, websocket: false });
    const ch = await connect('127.0.0.1', ts.port, 'nameServer', 'pw', [], { serverKey: ts.server.publicKey });
    const msg = tuple(atom('echo'), 1);
    for (let i = 0; i < 2000; i++) await ch.rpc(msg);
    const rates: number[] = [];
    for (let k = 0; k < 5; k++) {
      const t = performance.now();
      const n = 4000;
      const batch: Promise<unknown>[] = [];
      for (let i = 0; i < n; i++) {
        batch.push(ch.rpc(msg));
        if (batch.length === 32) await Promise.all(batch.splice(0));
      }
      await Promise.all(batch);
      rates.push(n / ((performance.now() - t) / 1000));
    }
    ch.close();
    await ts.close();
    return median(rates);
  };
  // Interleaved, so a drifting machine does not favour one side.
  const without: number[] = [];
  const withReg: number[] = [];
  for (let r = 0; r < 3; r++) {
    without.push(await run(''));
    withReg.push(await run(`{registry, "${etcd.url('bench-rpc')}"}.`));
  }
  console.log(`| rpc/s on one channel (32 in flight), no registry | ${Math.round(median(without)).toLocaleString('en')} |`);
  console.log(`| rpc/s on one channel (32 in flight), registered in etcd | ${Math.round(median(withReg)).toLocaleString('en')} |`);
}

const etcd = await EtcdCluster.start(binary('etcd'), 1);
try {
  console.log('| measure | value |\n|---|---|');
  await failover(etcd, 2000, 5);
  await failover(etcd, 10_000, 2);
  await resolveLatency(etcd);
  await rpcCost(etcd);
} finally {
  await etcd.stop();
}
process.exit(0);
