/**
 * The etcd registry with one real etcd member (started here, stopped by
 * PID): gateways register with endpoints, key and health; clients connect by
 * name and spread over them; `lib_chan names` lists them; a graceful stop
 * publishes draining before it revokes; a poisoned entry gets
 * serverKeyMismatch and no password is sent; a gateway that loses etcd keeps
 * serving and registers again.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { connect } from '../../src/client/node.ts';
import { resetFailoverMemory } from '../../src/client/by-name.ts';
import type { GatewayRecord } from '../../src/registry/registry.ts';
import { openRegistry } from '../../src/registry/open.ts';
import { isChanError } from '../../src/errors.ts';
import { atom, tuple } from '../../src/wire/etf/term.ts';
import { encodePublicKey } from '../../src/auth/keys.ts';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import { runCli } from '../helpers/cli-process.ts';
import { deadline } from '../helpers/latch.ts';
import { BlackholeProxy, EtcdCluster, binary, binarySkip } from '../helpers/engines.ts';

const skip = binarySkip('etcd', 'etcd-server etcd-client', 'the etcd registry tests');

describe('etcd registry, one member', { skip }, () => {
  let etcd: EtcdCluster;
  let n = 0;
  /** A fresh prefix per test: the tests share the member, not their names. */
  const url = (): string => etcd.url(`t${process.pid}-${++n}`);

  before(async () => {
    etcd = await EtcdCluster.start(binary('etcd'), 1);
  });
  after(async () => {
    await etcd?.stop();
  });

  const gateway = (registry: string, name: string, extra = ''): Promise<TestServer> =>
    startTestServer(`{service, nameServer, password, "pw", mfa, gateway, start, "${name}"}.\n${extra}`, {
      extra: `{registry, "${registry}"}.\n{limits, [{registryTtlMs, 2000}]}.`,
    });

  const registered = (ts: TestServer): Promise<unknown> => ts.waitForLog((l) => l.event === 'registry' && l.action === 'registered', 'registered', 10_000);

  test('two gateways register; clients by name spread over both; names lists them', async () => {
    const reg = url();
    const [a, b] = await Promise.all([gateway(reg, 'gw1'), gateway(reg, 'gw2')]);
    try {
      await Promise.all([registered(a), registered(b)]);
      const keys = [a.server.publicKey!, b.server.publicKey!];
      const seen = new Map<string, number>();
      resetFailoverMemory();
      // A registry kept open (watched cache) for the loop; a URL string (one read per connect) after it.
      const open = await openRegistry(reg, { watch: true });
      for (let i = 0; i < 16; i++) {
        const ch = await connect({ service: 'nameServer', registry: open }, 'pw', [], { serverKeys: keys });
        const who = String(await ch.rpc(tuple(atom('whoami'))));
        seen.set(who, (seen.get(who) ?? 0) + 1);
        ch.close();
      }
      await open.close();
      const once = await connect({ service: 'nameServer', registry: reg }, 'pw', [], { serverKeys: keys });
      assert.match(String(await once.rpc(tuple(atom('whoami')))), /^gw[12]$/);
      once.close();
      assert.ok((seen.get('gw1') ?? 0) > 0 && (seen.get('gw2') ?? 0) > 0, `both gateways chosen: ${JSON.stringify([...seen])}`);

      const r = await runCli(['names', '--registry', reg, '--json']);
      assert.equal(r.exit.code, 0, r.describe());
      const listed = JSON.parse(r.stdout) as GatewayRecord[];
      assert.equal(listed.length, 2);
      for (const g of listed) {
        assert.match(g.endpoints.tcp!, /^tcp:\/\/127\.0\.0\.1:\d+$/);
        assert.match(g.endpoints.ws!, /^ws:\/\/127\.0\.0\.1:\d+\/chan$/);
        assert.match(g.fingerprint!, /^SHA512:/);
        assert.deepEqual(g.services, [{ name: 'nameServer', health: 'serving' }]);
      }
      assert.deepEqual(new Set(listed.map((g) => g.serverKey)), new Set(keys.map((k) => encodePublicKey('server', k))));
      const text = await runCli(['names', '--registry', reg]);
      assert.match(text.stdout, /2 gateways/);
      assert.match(text.stdout, /nameServer\s+serving/);

      // Over WebSocket too: the published ws:// endpoint.
      const ws = await connect({ service: 'nameServer', registry: reg }, 'pw', [], { serverKeys: keys, via: 'ws' });
      assert.match(String(await ws.rpc(tuple(atom('whoami')))), /^gw[12]$/);
      ws.close();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('a graceful stop publishes draining, then revokes: the record is gone at once', async () => {
    const reg = url();
    const a = await gateway(reg, 'gw1');
    const watcher = new Etcd3({ hosts: `http://${etcd.hosts}` });
    try {
      await registered(a);
      const prefix = reg.slice(reg.indexOf('/', 'etcd://'.length));
      const seen: string[] = [];
      const w = await watcher.watch().prefix(`${prefix}/gateways/`).create();
      w.on('put', (kv) => seen.push(`put ${(JSON.parse(kv.value.toString()) as GatewayRecord).services.map((s) => s.health).join(',')}`));
      const gone = new Promise<void>((r) =>
        w.on('delete', () => {
          seen.push('delete');
          r();
        }),
      );
      const closing = a.close();
      await deadline(gone, 5_000, 'the record deleted (revoked) on stop');
      await closing;
      await w.cancel();
      assert.deepEqual(seen, ['put draining', 'delete']);
      const registry = await openRegistry(reg);
      assert.deepEqual(await registry.list(), []);
      await registry.close();
    } finally {
      watcher.close();
    }
  });

  test('a poisoned entry (right name and published key, another server) gets serverKeyMismatch and no password', async () => {
    const reg = url();
    const good = await gateway(reg, 'gw1');
    // The impostor: a real lib_chan server with its own key; the registry entry copies the genuine key.
    const fake = await startTestServer('{service, nameServer, password, none, mfa, gateway, start, "fake"}.');
    const client = new Etcd3({ hosts: `http://${etcd.hosts}` });
    try {
      await registered(good);
      const prefix = reg.slice(reg.indexOf('/', 'etcd://'.length));
      const genuine = encodePublicKey('server', good.server.publicKey!);
      // Remove the genuine record so the only instance is the poisoned one.
      await good.close();
      const evil: GatewayRecord = {
        id: 'evil/1/x',
        host: 'elsewhere',
        pid: 1,
        endpoints: { tcp: `tcp://127.0.0.1:${fake.port}` },
        serverKey: genuine,
        services: [{ name: 'nameServer', health: 'serving' }],
        load: 0,
        startedAt: Date.now(),
      };
      await client.put(`${prefix}/gateways/evil`).value(JSON.stringify(evil));
      resetFailoverMemory();
      await assert.rejects(connect({ service: 'nameServer', registry: reg }, 'secret-pw', [], { serverKey: good.server.publicKey }), (e: unknown) => {
        assert.ok(isChanError(e, 'serverKeyMismatch'), String(e));
        return true;
      });
      // Without a pin, known-hosts must already list that gateway: a registry cannot introduce a key.
      await assert.rejects(connect({ service: 'nameServer', registry: reg }, 'secret-pw', [], { knownHosts: `${fake.dir}/none` }), (e: unknown) =>
        isChanError(e, 'serverKeyMismatch'),
      );
      const logins = await fake.waitForLog((l) => l.event === 'handshake', 'the fake server logged the aborted login');
      assert.notEqual(logins.result, 'ack');
      assert.ok(
        !fake.logs.some((l) => l.event === 'handshake' && (l.method === 'password' || l.result === 'authFail' || l.result === 'ack')),
        'no password reached the fake server',
      );
    } finally {
      client.close();
      await fake.close();
    }
  });

  test('etcd lost: the gateway keeps its channels and registers again when etcd is back', async () => {
    const own = await EtcdCluster.start(binary('etcd'), 1);
    const reg = own.url('lost');
    const a = await gateway(reg, 'gw1');
    try {
      await registered(a);
      const ch = await connect({ service: 'nameServer', registry: reg }, 'pw', [], { serverKey: a.server.publicKey });
      await own.members[0].engine.kill();
      await a.waitForLog((l) => l.event === 'registry' && l.action === 'registryUnreachable', 'registryUnreachable', 10_000);
      assert.equal(String(await ch.rpc(tuple(atom('whoami')))), 'gw1', 'the open channel still serves');
      // etcd restores the lease from disk and extends it on start: keepalives resume (registryReconnected), or
      // it expired and the gateway registers again (reregistered). Either way the record is there.
      const mark = a.logs.length;
      await own.restart(own.members[0]);
      await a.waitForLog(
        (l) => a.logs.indexOf(l) >= mark && l.event === 'registry' && (l.action === 'registryReconnected' || l.action === 'reregistered'),
        'back in etcd',
        15_000,
      );
      const registry = await openRegistry(reg);
      const found = await registry.list();
      assert.equal(found.length, 1);
      assert.equal(found[0].services[0].health, 'serving');
      await registry.close();
      ch.close();
    } finally {
      await a.close();
      await own.stop();
    }
  });

  test('a lease etcd no longer has (expired while the gateway was cut off, or revoked) is granted again and the record written again', async () => {
    const reg = url();
    const a = await gateway(reg, 'gw1');
    const client = new Etcd3({ hosts: `http://${etcd.hosts}` });
    try {
      const first = (await registered(a)) as { lease: string };
      const mark = a.logs.length;
      const after = (action: string): Promise<unknown> =>
        a.waitForLog((l) => a.logs.indexOf(l) >= mark && l.event === 'registry' && l.action === action, action, 10_000);
      // What a gateway finds when etcd expired its lease during an outage: the next keepalive answers TTL 0.
      await client.leaseClient.leaseRevoke({ ID: BigInt(`0x${first.lease}`).toString() });
      await after('leaseLost');
      const again = (await after('reregistered')) as { lease: string };
      assert.notEqual(again.lease, first.lease, 'a new lease');
      const registry = await openRegistry(reg);
      const found = await registry.list();
      assert.equal(found.length, 1, 'the record is written again under the new lease');
      await registry.close();
    } finally {
      client.close();
      await a.close();
    }
  });

  test('a watched cache that lost its watch reads the prefix again (events missed, history compacted)', async () => {
    const reg = url();
    const prefix = reg.slice(reg.indexOf('/', 'etcd://'.length));
    const a = await gateway(reg, 'gw1');
    const proxy = await BlackholeProxy.start(etcd.members[0].clientPort);
    const client = new Etcd3({ hosts: `http://${etcd.hosts}` });
    const seen: string[] = [];
    const waiters = new Set<() => void>();
    const next = (action: string, after: number): Promise<void> =>
      deadline(
        new Promise<void>((resolve) => {
          const check = (): void => {
            if (seen.slice(after).includes(action)) {
              waiters.delete(check);
              resolve();
            }
          };
          waiters.add(check);
          check();
        }),
        15_000,
        action,
      );
    const watched = await openRegistry(`etcd://127.0.0.1:${proxy.port}${prefix}`, {
      watch: true,
      onEvent: (e) => {
        seen.push(e);
        for (const f of [...waiters]) f();
      },
    });
    try {
      await registered(a);
      assert.equal((await watched.list()).length, 1);
      await next('cacheSynced', 0);
      // The watch goes silent; meanwhile a record appears and the history is compacted past it.
      proxy.cut();
      const put = await client
        .put(`${prefix}/gateways/late`)
        .value(
          JSON.stringify({
            id: 'late',
            host: 'h',
            pid: 2,
            endpoints: { tcp: 'tcp://127.0.0.1:9' },
            services: [{ name: 'nameServer', health: 'serving' }],
            load: 0,
            startedAt: 0,
          }),
        )
        .exec();
      await client.put(`${prefix}/filler`).value('x').exec();
      await client.kv.compact({ revision: put.header.revision, physical: true });
      const mark = seen.length;
      proxy.reset();
      proxy.heal();
      await next('watchLost', mark);
      await next('cacheSynced', mark);
      assert.deepEqual((await watched.list()).map((r) => r.id).sort(), ['late', String((await a.waitForLog((l) => l.action === 'registered')).gateway)].sort());
    } finally {
      await watched.close();
      client.close();
      await proxy.close();
      await a.close();
    }
  });
});
