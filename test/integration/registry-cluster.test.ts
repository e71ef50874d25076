/**
 * A real three-member etcd cluster: the raft leader killed -9 -> the
 * gateways stay registered (past their TTL) and clients keep resolving and
 * connecting; two members killed (no quorum) -> the gateways keep serving
 * the channels they have, and register again when quorum is back.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../../src/client/node.ts';
import { resetFailoverMemory } from '../../src/client/by-name.ts';
import { openRegistry } from '../../src/registry/open.ts';
import { atom, tuple } from '../../src/wire/etf/term.ts';
import { startTestServer, type LogLine, type TestServer } from '../helpers/start-server.ts';
import { EtcdCluster, binary, binarySkip } from '../helpers/engines.ts';

const skip = binarySkip('etcd', 'etcd-server etcd-client', 'the etcd cluster tests');
const whoami = tuple(atom('whoami'));
/** A gateway's registry events that say whether etcd answers it (true) or not (false). */
const HEALTH = new Map([
  ['registered', true],
  ['reregistered', true],
  ['leaseRenewed', true],
  ['registryReconnected', true],
  ['registryUnreachable', false],
  ['leaseLost', false],
]);

describe('three etcd members', { skip }, () => {
  let etcd: EtcdCluster;
  let gws: TestServer[] = [];

  before(async () => {
    etcd = await EtcdCluster.start(binary('etcd'), 3);
    gws = await Promise.all(
      ['gw1', 'gw2'].map((n) =>
        startTestServer(`{service, nameServer, password, "pw", mfa, gateway, start, "${n}"}.`, {
          extra: `{registry, "${etcd.url('cluster')}"}.\n{limits, [{registryTtlMs, 2000}]}.`,
          websocket: false,
        }),
      ),
    );
    await Promise.all(gws.map((g) => g.waitForLog((l) => l.event === 'registry' && l.action === 'registered', 'registered', 10_000)));
  });
  after(async () => {
    await Promise.all(gws.map((g) => g.close()));
    await etcd?.stop();
  });

  const keys = (): Uint8Array[] => gws.map((g) => g.server.publicKey!);
  const callByName = async (): Promise<string> => {
    resetFailoverMemory();
    const ch = await connect({ service: 'nameServer', registry: etcd.url('cluster') }, 'pw', [], { serverKeys: keys() });
    try {
      return String(await ch.rpc(whoami));
    } finally {
      ch.close();
    }
  };

  test('the raft leader killed: still registered, still resolved', async () => {
    const leader = etcd.leader();
    assert.ok(leader, 'etcdctl names the raft leader');
    const marks = gws.map((g) => g.logs.length);
    await leader.engine.kill();
    // Keep resolving and connecting across the election and past a whole TTL (each gateway renews meanwhile).
    const renewedAfter = gws.map((g, i) =>
      g.waitForLog((l) => g.logs.indexOf(l) >= marks[i] && l.event === 'registry' && l.action === 'leaseRenewed', 'a renewal after the kill', 15_000),
    );
    for (let i = 0; i < 5; i++) assert.match(await callByName(), /^gw[12]$/);
    await Promise.all(renewedAfter);
    assert.ok(!gws.some((g, i) => g.logs.slice(marks[i]).some((l) => l.action === 'leaseLost')), 'no lease was lost');
    const registry = await openRegistry(etcd.url('cluster'));
    assert.equal((await registry.resolve('nameServer')).length, 2);
    await registry.close();
    await etcd.restart(leader);
  });

  test('two members killed: channels keep serving; registered again when quorum is back', async () => {
    const open = await connect('127.0.0.1', gws[0].port, 'nameServer', 'pw', [], { serverKey: gws[0].server.publicKey });
    const victims = etcd.members.slice(0, 2);
    await Promise.all(victims.map((m) => m.engine.kill()));
    // The gateway's latest word on etcd is a failure. Not "a failure logged after the kill": it logs the first failure
    // of a run and then every 20th, and it may still be in the run the previous test began (a call to the member that
    // test restarted, refused while gRPC's reconnect backoff lasts), which this outage only continues.
    const health = (l: LogLine): boolean => l.event === 'registry' && HEALTH.has(String(l.action));
    const latest = (logs: LogLine[]): LogLine | undefined => logs.filter(health).pop();
    await gws[0].waitForLog((l) => health(l) && !HEALTH.get(String(l.action)) && latest(gws[0].logs) === l, 'the registry lost', 20_000);
    assert.equal(String(await open.rpc(whoami)), 'gw1', 'the open channel serves without a registry');
    await Promise.all(victims.map((m) => etcd.restart(m)));
    // Quorum is back: a renewal that succeeds from now on means the record is stored (a lost lease is granted
    // again, and the record written, before its first renewal). A gateway may not even have noticed the outage.
    const mark2 = gws.map((g) => g.logs.length);
    await Promise.all(
      gws.map((g, i) =>
        g.waitForLog((l) => g.logs.indexOf(l) >= mark2[i] && l.event === 'registry' && l.action === 'leaseRenewed', 'a renewal with quorum back', 30_000),
      ),
    );
    assert.match(await callByName(), /^gw[12]$/);
    const registry = await openRegistry(etcd.url('cluster'));
    assert.equal((await registry.resolve('nameServer')).length, 2);
    await registry.close();
    open.close();
  });
});
