/**
 * Health in the registry (local:, in-process gateways): a worker service
 * that gave up after its restart intensity is published `not_serving` (and
 * clients by name do not choose it), a conf reload updates the
 * registration, the registry events are counted in the metrics; and a
 * reconnecting channel's pushes resume on its new channel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { connect } from '../../src/client/node.ts';
import { openRegistry } from '../../src/registry/open.ts';
import { isChanError } from '../../src/errors.ts';
import { atom, termEqual, tuple } from '../../src/wire/etf/term.ts';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';

test('not_serving after the restart intensity; a reload re-registers; events counted', async () => {
  const reg = `local:health${process.pid}`;
  const ts = await startTestServer(
    '{service, fragile, password, none, mfa, spin, start, notUsed, [{isolation, worker}, {restart, [{intensity, 0}, {period_ms, 60000}]}]}.',
    {
      extra: `{registry, "${reg}"}.\n{metrics, [{port, 0}]}.`,
      websocket: false,
    },
  );
  const registry = await openRegistry(reg);
  const healthOf = async (service: string): Promise<string | undefined> => (await registry.resolve(service))[0]?.health;
  try {
    await ts.waitForLog((l) => l.event === 'registry' && l.action === 'registered', 'registered');
    assert.equal(await healthOf('fragile'), 'serving');
    const ch = await connect('127.0.0.1', ts.port, 'fragile', null, [], { serverKey: ts.server.publicKey });
    await assert.rejects(ch.rpc(atom('uncaught'), { timeoutMs: 10_000 }));
    await ts.waitForLog((l) => l.event === 'serviceDown', 'serviceDown');
    // Published by the once-a-second refresh.
    await ts.waitForLog((l) => l.action === 'published' && (l.services as string[]).includes('fragile:not_serving'), 'fragile published not_serving', 10_000);
    assert.equal(await healthOf('fragile'), 'not_serving');
    await assert.rejects(connect({ service: 'fragile', registry: reg }, null, [], { serverKey: ts.server.publicKey }), (e: unknown) =>
      isChanError(e, 'serviceUnavailable'),
    );

    // Reload with another service: the record follows at once.
    const file = path.join(ts.dir, 'lib_chan.conf');
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n{service, extra, password, none, mfa, gateway, start, x}.\n`);
    await ts.server.reload();
    await ts.waitForLog((l) => l.action === 'published' && (l.services as string[]).includes('extra:serving'), 'extra published after the reload', 5_000);
    assert.equal(await healthOf('extra'), 'serving');
    assert.equal(await healthOf('fragile'), 'serving', 'the reload started the worker service again');

    const text = await (await fetch(`http://127.0.0.1:${ts.server.metricsPort}/metrics`)).text();
    assert.match(text, /lib_chan_registry_events_total\{action="registered"\} 1/);
  } finally {
    await registry.close();
    await ts.close();
  }
});

test('reconnect: pushes resume on the new channel; cast while reconnecting fails at once', async () => {
  const reg = `local:push${process.pid}`;
  const gw = (): Promise<TestServer> =>
    startTestServer('{service, pusher, password, none, mfa, echo, start, notUsed}.', { extra: `{registry, "${reg}"}.`, websocket: false });
  const a = await gw();
  const b = await gw();
  try {
    await b.waitForLog((l) => l.event === 'registry' && l.action === 'registered', 'b registered');
    const servers = [a, b];
    const rc = await connect({ service: 'pusher', registry: reg, reconnect: true }, null, [], { serverKeys: servers.map((s) => s.server.publicKey!) });
    const pushes = rc[Symbol.asyncIterator]();
    await rc.rpc(tuple(atom('push'), 1));
    assert.ok(termEqual((await pushes.next()).value, tuple(atom('pushed'), 1)));
    const first = servers.find((s) => rc.peer.endsWith(`:${s.port}`))!;
    const reconnecting = new Promise<void>((r) => rc.onStatus((s) => s.type === 'disconnected' && r()));
    const reconnected = new Promise<void>((r) => rc.onStatus((s) => s.type === 'reconnected' && r()));
    await first.close();
    await reconnecting;
    if (!rc.isOpen)
      assert.throws(
        () => rc.cast(atom('x')),
        (e: unknown) => isChanError(e, 'connectionLost') && (e as { details: { reconnecting?: boolean } }).details.reconnecting === true,
      );
    await reconnected;
    await rc.rpc(tuple(atom('push'), 2));
    assert.ok(termEqual((await pushes.next()).value, tuple(atom('pushed'), 1)));
    assert.ok(termEqual((await pushes.next()).value, tuple(atom('pushed'), 2)));
    assert.equal(rc.reconnects, 1);
    rc.close();
    await rc.closed;
    assert.equal((await pushes.next()).done, true);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});
