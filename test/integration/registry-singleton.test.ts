/**
 * A `{singleton, true}` service on three gateways (the first elected a real
 * process, killed -9; the others in this process) over one
 * real etcd member, each gateway reaching etcd through its own proxy:
 * exactly one gateway serves it at every sampled instant (every change of
 * the records, watched); the leader killed -9 -> another is elected with a
 * larger fencing token; the leader cut off from etcd (its proxy black-holes
 * the traffic, nothing is closed) -> it stops serving (logs demoted) before
 * the next leader is elected.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { connect } from '../../src/client/node.ts';
import { resetFailoverMemory } from '../../src/client/by-name.ts';
import type { GatewayRecord } from '../../src/registry/registry.ts';
import { atom, tuple } from '../../src/wire/etf/term.ts';
import { encodePublicKey } from '../../src/auth/keys.ts';
import { deadline } from '../helpers/latch.ts';
import { BlackholeProxy, EtcdCluster, binary, binarySkip } from '../helpers/engines.ts';
import { startGateway } from '../helpers/gateways.ts';
import { startTestServer } from '../helpers/start-server.ts';

/** A gateway as the test sees it: a process (the one killed -9) or in-process (the rest: faster to start). */
interface Gw {
  name: string;
  port: number;
  publicKey: string;
  lines(): Record<string, unknown>[];
  registryEvent(action: string, ms: number, after: number): Promise<Record<string, unknown>>;
  kill(): void;
  stop(): Promise<void>;
}

async function processGateway(name: string, url: string, services: string): Promise<Gw> {
  const g = await startGateway(name, url, { ttlMs: TTL_MS, services });
  return {
    name,
    port: g.port,
    publicKey: g.publicKey,
    lines: () => g.cli.json,
    registryEvent: g.registryEvent,
    kill: () => g.cli.kill('SIGKILL'),
    stop: () => g.stop(),
  };
}

async function inProcessGateway(name: string, url: string, services: string): Promise<Gw> {
  const ts = await startTestServer(services, { extra: `{registry, "${url}"}.\n{limits, [{registryTtlMs, ${TTL_MS}}]}.`, websocket: false });
  return {
    name,
    port: ts.port,
    publicKey: encodePublicKey('server', ts.server.publicKey!),
    lines: () => ts.logs,
    registryEvent: (action, ms, after) =>
      ts.waitForLog((l) => ts.logs.indexOf(l) >= after && l.event === 'registry' && l.action === action, `registry ${action} from ${name}`, ms),
    kill: () => {
      throw new Error('an in-process gateway cannot be killed -9');
    },
    stop: () => ts.close(),
  };
}

const skip = binarySkip('etcd', 'etcd-server etcd-client', 'the singleton tests');
const TTL_MS = 3000;

describe('singleton on three gateways', { skip }, () => {
  let etcd: EtcdCluster;
  let watcher: Etcd3;
  let stopWatch: () => Promise<void> = async () => {};
  const proxies: BlackholeProxy[] = [];
  let gws: Gw[] = [];
  /** id -> health of the singleton, as etcd holds it now. */
  const health = new Map<string, string>();
  const violations: string[] = [];
  let samples = 0;
  const waiters = new Set<() => void>();
  /** Until etcd's records show exactly one gateway serving it (the election is published by a put after it). */
  const untilOneServing = (): Promise<void> =>
    deadline(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if ([...health.values()].filter((h) => h === 'serving').length !== 1) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      }),
      10_000,
      'one gateway serving in the registry',
    );

  before(async () => {
    etcd = await EtcdCluster.start(binary('etcd'), 1);
    watcher = new Etcd3({ hosts: `http://${etcd.hosts}` });
    const prefix = '/single/gateways/';
    const w = await watcher.watch().prefix(prefix).create();
    stopWatch = () => w.cancel();
    const sample = (): void => {
      samples++;
      const serving = [...health].filter(([, h]) => h === 'serving').map(([id]) => id);
      if (serving.length > 1) violations.push(serving.join(' and '));
      for (const f of [...waiters]) f();
    };
    w.on('put', (kv) => {
      const r = JSON.parse(kv.value.toString()) as GatewayRecord;
      health.set(r.id, r.services.find((s) => s.name === 'counter')!.health);
      sample();
    });
    w.on('delete', (kv) => {
      health.delete(kv.key.toString().slice(prefix.length));
      sample();
    });
    for (let i = 0; i < 3; i++) proxies.push(await BlackholeProxy.start(etcd.members[0].clientPort));
    const svc = (name: string): string => `{service, counter, password, none, mfa, gateway, start, "${name}", [{singleton, true}]}.`;
    const url = (i: number): string => `etcd://127.0.0.1:${proxies[i].port}/single`;
    // The process starts first and is elected first: it is the one killed -9.
    const first = await processGateway('g1', url(0), svc('g1'));
    await first.registryEvent('elected', 4 * TTL_MS + 10_000, 0);
    gws = [first, await inProcessGateway('g2', url(1), svc('g2')), await inProcessGateway('g3', url(2), svc('g3'))];
  });
  after(async () => {
    // Proxies first: a gateway cut off then fails its last calls at once instead of waiting out their deadlines.
    await Promise.all(proxies.map((p) => p.close()));
    await Promise.all(gws.map((g) => g.stop()));
    await stopWatch();
    watcher?.close();
    await etcd?.stop();
  });

  /** The gateway that logged `elected` (after line `marks[i]` of each), once one has. */
  const nextLeader = (among: Gw[], marks: number[]): Promise<Gw> =>
    deadline(
      Promise.any(
        among.map(async (g, i) => {
          await g.registryEvent('elected', 4 * TTL_MS + 10_000, marks[i]);
          return g;
        }),
      ),
      4 * TTL_MS + 10_000,
      'a leader elected',
    );

  const rpcTo = async (svcKeys: string[], msg: string): Promise<string> => {
    await untilOneServing();
    resetFailoverMemory();
    const ch = await connect({ service: 'counter', registry: etcd.url('single') }, null, [], { serverKeys: svcKeys });
    try {
      return String(await ch.rpc(tuple(atom(msg))));
    } finally {
      ch.close();
    }
  };

  test('one leader at a time; killed -> another; cut off -> it steps down before the next starts', async () => {
    const keys = gws.map((g) => g.publicKey);
    const first = await nextLeader(gws, [0, 0, 0]);
    assert.equal(await rpcTo(keys, 'whoami'), first.name);
    const token1 = BigInt(await rpcTo(keys, 'token'));
    // The others refuse logins to it.
    for (const g of gws.filter((x) => x !== first)) {
      await assert.rejects(
        connect('127.0.0.1', g.port, 'counter', null, [], { serverKey: g.publicKey }),
        (e: unknown) => (e as { code?: string }).code === 'badService',
      );
    }

    // Killed: another is elected after the lease expires, with a larger fencing token.
    let rest = gws.filter((g) => g !== first);
    let marks = rest.map((g) => g.lines().length);
    first.kill();
    const second = await nextLeader(rest, marks);
    assert.equal(await rpcTo(keys, 'whoami'), second.name);
    assert.ok(BigInt(await rpcTo(keys, 'token')) > token1);

    // Cut off: it steps down by itself (no renewal for TTL/2) before etcd expires its lease and elects the third.
    const third = rest.find((g) => g !== second)!;
    const held = await connect('127.0.0.1', second.port, 'counter', null, [], { serverKey: second.publicKey });
    const mark2 = second.lines().length;
    marks = [third.lines().length];
    proxies[gws.indexOf(second)].cut();
    const demoted = await second.registryEvent('demoted', 4 * TTL_MS + 10_000, mark2);
    await held.closed;
    const next = await nextLeader([third], marks);
    const elected = next
      .lines()
      .slice(marks[0])
      .find((l) => l.event === 'registry' && l.action === 'elected')!;
    assert.ok(Number(demoted.time) < Number(elected.time), `the cut-off leader stepped down (${demoted.time}) before the next was elected (${elected.time})`);
    assert.equal(await rpcTo(keys, 'whoami'), third.name);
    rest = [];

    assert.ok(samples > 3, `sampled ${samples} record changes`);
    assert.deepEqual(violations, [], 'never two gateways serving the singleton at once');
  });
});
