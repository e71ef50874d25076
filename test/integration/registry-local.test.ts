/**
 * The embedded `local:` registry: two gateways (real processes) on one host
 * share a table held by the first; a client finds them by name; the holder
 * killed with -9 -> its names are gone at once, the other gateway holds the
 * table from then on (registering again by itself), and clients keep finding
 * it. A local: singleton is served by one of the host's gateways at a time
 * (in-process gateways: the -9 case is the first test's).
 */
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../../src/client/node.ts';
import { resetFailoverMemory } from '../../src/client/by-name.ts';
import { openRegistry } from '../../src/registry/open.ts';
import { atom, tuple } from '../../src/wire/etf/term.ts';
import { runCli } from '../helpers/cli-process.ts';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import { startGateway, type GatewayProcess } from '../helpers/gateways.ts';

const whoami = tuple(atom('whoami'));

describe('local: registry', () => {
  const started: GatewayProcess[] = [];
  after(async () => {
    await Promise.all(started.map((g) => g.stop()));
  });

  test('two gateways, a client by name, the holder killed -9', async () => {
    const reg = `local:t${process.pid}a`;
    const first = await startGateway('gw1', reg);
    started.push(first);
    await first.registryEvent('registered');
    assert.equal((await first.registryEvent('registered')).how, 'heldTable');
    const second = await startGateway('gw2', reg);
    started.push(second);
    assert.equal((await second.registryEvent('registered')).how, 'joinedTable');
    const keys = [first.publicKey, second.publicKey];

    const r = await runCli(['names', '--registry', reg]);
    assert.equal(r.exit.code, 0, r.describe());
    assert.match(r.stdout, /2 gateways/);
    const registry = await openRegistry(reg);
    assert.equal((await registry.resolve('nameServer')).length, 2);

    resetFailoverMemory();
    const ch = await connect({ service: 'nameServer', registry: reg }, 'pw', [], { serverKeys: keys });
    assert.match(String(await ch.rpc(whoami)), /^gw[12]$/);
    ch.close();

    // The holder dies: the other takes the table over at once and registers again; the dead one's name is free.
    const mark = second.cli.json.length;
    first.cli.kill('SIGKILL');
    await second.registryEvent('reregistered', 10_000, mark);
    // This client's own view converges a moment later (its connection to the dead holder is gone; it asks the new one).
    let left = await registry.resolve('nameServer');
    for (const end = Date.now() + 5000; left.length !== 1 && Date.now() < end; left = await registry.resolve('nameServer')) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.deepEqual(
      left.map((i) => i.port),
      [second.port],
    );
    for (let i = 0; i < 4; i++) {
      const c = await connect({ service: 'nameServer', registry: reg }, 'pw', [], { serverKeys: keys });
      assert.equal(String(await c.rpc(whoami)), 'gw2');
      c.close();
    }
    // A third gateway joins the table the survivor now holds.
    const third = await startGateway('gw3', reg);
    started.push(third);
    assert.equal((await third.registryEvent('registered')).how, 'joinedTable');
    assert.equal((await registry.resolve('nameServer')).length, 2);
    await registry.close();
  });

  test('a singleton isolated in a worker thread: its handler gets the fencing token too', async () => {
    const reg = `local:t${process.pid}w`;
    const ts = await startTestServer(`{service, counter, password, none, mfa, gateway, start, "w1", [{singleton, true}, {isolation, worker}]}.`, {
      extra: `{registry, "${reg}"}.`,
      websocket: false,
    });
    try {
      await ts.waitForLog((l) => l.event === 'registry' && l.action === 'elected', 'elected', 10_000);
      const ch = await connect('127.0.0.1', ts.port, 'counter', null, [], { serverKey: ts.server.publicKey! });
      const token = await ch.rpc(tuple(atom('token')));
      ch.close();
      assert.equal(typeof token, 'string', `the worker's handler saw ${String(token)}`);
      assert.ok(BigInt(token as string) > 0n);
    } finally {
      await ts.close();
    }
  });

  test('a local: singleton runs on one gateway of the host; stopped -> another takes it with a larger token', async () => {
    const reg = `local:t${process.pid}b`;
    const gw = (name: string): Promise<TestServer> =>
      startTestServer(`{service, counter, password, none, mfa, gateway, start, "${name}", [{singleton, true}]}.`, {
        extra: `{registry, "${reg}"}.`,
        websocket: false,
      });
    const elected = (ts: TestServer): Promise<unknown> => ts.waitForLog((l) => l.event === 'registry' && l.action === 'elected', 'elected', 10_000);
    const a = await gw('s1');
    await elected(a);
    const b = await gw('s2');
    try {
      await b.waitForLog((l) => l.event === 'registry' && l.action === 'registered', 'registered');
      const keys = [a.server.publicKey!, b.server.publicKey!];
      const registry = await openRegistry(reg);
      const health = async (): Promise<string[]> => (await registry.resolve('counter')).map((i) => `${i.port}:${i.health}`).sort();
      assert.deepEqual(await health(), [`${a.port}:serving`, `${b.port}:not_serving`].sort());
      // The gateway that does not lead refuses logins to it.
      await assert.rejects(
        connect('127.0.0.1', b.port, 'counter', null, [], { serverKey: keys[1] }),
        (e: unknown) => (e as { code?: string }).code === 'badService',
      );
      const ch = await connect({ service: 'counter', registry: reg }, null, [], { serverKeys: keys });
      assert.equal(String(await ch.rpc(whoami)), 's1');
      const token1 = String(await ch.rpc(tuple(atom('token'))));
      ch.close();
      // a resigns (b is elected in a's table), then a's table closes: b holds the table and is elected in it.
      await a.close();
      await b.waitForLog((l) => l.event === 'registry' && l.action === 'reregistered' && l.how === 'heldTable', 'b holds the table', 10_000);
      const ch2 = await connect({ service: 'counter', registry: reg }, null, [], { serverKeys: keys });
      assert.equal(String(await ch2.rpc(whoami)), 's2');
      const token2 = String(await ch2.rpc(tuple(atom('token'))));
      assert.ok(BigInt(token2) > BigInt(token1), `fencing tokens grow: ${token1} then ${token2}`);
      ch2.close();
      await registry.close();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
