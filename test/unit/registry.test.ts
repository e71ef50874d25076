/** The registry's pure parts: URLs, the choice order, record parsing, backoff, the conf terms. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { parseRegistryUrl, parseRecord, backoffMs, instancesFrom, type GatewayRecord, type Instance } from '../../src/registry/registry.ts';
import { orderInstances } from '../../src/registry/choose.ts';
import { parseConfig } from '../../src/conf/load.ts';
import { isChanError } from '../../src/errors.ts';
import { HANDLERS } from '../helpers/start-server.ts';

test('registry URLs: the three forms, and clear refusals', () => {
  assert.deepEqual(parseRegistryUrl('local:'), { kind: 'local', hosts: [], path: 'default' });
  assert.deepEqual(parseRegistryUrl('local:lab'), { kind: 'local', hosts: [], path: 'lab' });
  assert.deepEqual(parseRegistryUrl('local://127.0.0.1:4370'), { kind: 'local', hosts: ['127.0.0.1:4370'], path: '127.0.0.1:4370' });
  assert.deepEqual(parseRegistryUrl('etcd://127.0.0.1:2379,10.0.0.2:2379/lib_chan/'), {
    kind: 'etcd',
    hosts: ['127.0.0.1:2379', '10.0.0.2:2379'],
    path: '/lib_chan',
  });
  assert.deepEqual(parseRegistryUrl('etcd://h:1'), { kind: 'etcd', hosts: ['h:1'], path: '/lib_chan' });
  assert.deepEqual(parseRegistryUrl('dns+srv:///Service.Consul'), { kind: 'dns+srv', hosts: [], path: 'service.consul' });
  assert.deepEqual(parseRegistryUrl('dns+srv://127.0.0.1:8600/service.consul'), { kind: 'dns+srv', hosts: ['127.0.0.1:8600'], path: 'service.consul' });
  for (const bad of ['etcd://nohostport/x', 'etcd://h:1/a b', 'http://x', 'local:../x', 'dns+srv://bad/zone', 'x'.repeat(3000)]) {
    assert.throws(
      () => parseRegistryUrl(bad),
      (e: unknown) => isChanError(e, 'badArgument'),
      bad.slice(0, 40),
    );
  }
});

const inst = (id: string, over: Partial<Instance> = {}): Instance => ({ id, host: '127.0.0.1', port: 1, health: 'serving', load: 0, ...over });
/** A deterministic random source. */
const seq = (...xs: number[]) => {
  let i = 0;
  return () => xs[i++ % xs.length];
};

test('choice: serving only, this host first, the less loaded of two, failed ones last', () => {
  const list = [
    inst('a', { load: 5 }),
    inst('b', { load: 1 }),
    inst('c', { health: 'draining' }),
    inst('d', { health: 'not_serving' }),
    inst('e', { gatewayHost: 'me', load: 9 }),
  ];
  const order = orderInstances(list, { localHost: 'me', random: seq(0, 0) });
  assert.deepEqual(
    order.map((i) => i.id),
    ['e', 'b', 'a'],
  );
  const avoided = orderInstances(list, { localHost: 'me', random: seq(0, 0), badUntil: new Map([['e', Date.now() + 10_000]]) });
  assert.deepEqual(
    avoided.map((i) => i.id),
    ['b', 'a', 'e'],
  );
  // Two choices over many draws: the lightly loaded one comes first more often, the other is not starved.
  let bFirst = 0;
  for (let k = 0; k < 200; k++) if (orderInstances([inst('a', { load: 5 }), inst('b', { load: 1 }), inst('x', { load: 3 })])[0].id === 'b') bFirst++;
  assert.ok(bFirst > 80 && bFirst < 200, `b first ${bFirst}/200`);
});

test('choice: SRV by priority, weighted within one', () => {
  const list = [inst('low', { priority: 20, weight: 100 }), inst('hi1', { priority: 10, weight: 0 }), inst('hi2', { priority: 10, weight: 100 })];
  assert.deepEqual(
    orderInstances(list, { random: seq(0.5) }).map((i) => i.id),
    ['hi2', 'hi1', 'low'],
  );
  assert.deepEqual(
    orderInstances(list, { random: seq(0) }).map((i) => i.id),
    ['hi1', 'hi2', 'low'],
  );
});

test('records: checked field by field; instances from records', () => {
  const good: GatewayRecord = {
    id: 'h/1/ab',
    host: 'h',
    pid: 1,
    endpoints: { tcp: 'tcp://[::1]:99', ws: 'ws://h:2/chan' },
    services: [{ name: 's', health: 'serving' }],
    load: 2,
    startedAt: 1,
    serverKey: 'lcsk1:x',
    fingerprint: 'SHA512:y',
  };
  assert.deepEqual(parseRecord(JSON.stringify(good)), good);
  assert.deepEqual(
    instancesFrom([good], 's').map((i) => [i.host, i.port, i.ws]),
    [['::1', 99, 'ws://h:2/chan']],
  );
  assert.deepEqual(instancesFrom([good], 'other'), []);
  for (const bad of [
    '{',
    'null',
    '[]',
    JSON.stringify({ ...good, services: [{ name: 's', health: 'great' }] }),
    JSON.stringify({ ...good, endpoints: { tcp: 'http://x' } }),
    JSON.stringify({ ...good, id: 'x'.repeat(600) }),
    JSON.stringify({ ...good, pad: 'x'.repeat(70_000) }),
  ]) {
    assert.equal(parseRecord(bad), undefined, bad.slice(0, 60));
  }
  // __proto__ in a record never reaches Object.prototype.
  const r = parseRecord(JSON.stringify(good).replace('"load"', '"__proto__":{"polluted":1},"load"'));
  assert.ok(r);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('backoff: jittered, doubling, capped', () => {
  assert.equal(
    backoffMs(0, 100, 5000, () => 0),
    50,
  );
  assert.equal(
    backoffMs(0, 100, 5000, () => 1),
    100,
  );
  assert.equal(
    backoffMs(3, 100, 5000, () => 1),
    800,
  );
  assert.equal(
    backoffMs(30, 100, 5000, () => 1),
    5000,
  );
});

test('conf: {registry, URL} and {singleton, true}', async () => {
  const file = path.join(HANDLERS, 'x.conf');
  const base = `{port, 1}.\n{module_path, "${HANDLERS}"}.\n`;
  const c = await parseConfig(
    `${base}{registry, "etcd://127.0.0.1:2379/lc"}.\n{service, s, password, none, mfa, gateway, start, x, [{singleton, true}]}.`,
    file,
  );
  assert.equal(c.registry, 'etcd://127.0.0.1:2379/lc');
  assert.equal(c.services.get('s')!.singleton, true);
  const plain = await parseConfig(`${base}{service, s, password, none, mfa, gateway, start, x}.`, file);
  assert.equal(plain.registry, undefined);
  assert.equal(plain.services.get('s')!.singleton, false);
  await assert.rejects(
    parseConfig(`${base}{service, s, password, none, mfa, gateway, start, x, [{singleton, true}]}.`, file),
    (e: unknown) => isChanError(e, 'badConf') && /needs a registry/.test((e as Error).message) && (e as { details: { line?: number } }).details.line === 3,
  );
  await assert.rejects(parseConfig(`${base}{registry, "http://x"}.`, file), (e: unknown) => isChanError(e, 'badConf') && /registry/.test((e as Error).message));
  await assert.rejects(parseConfig(`${base}{registry, "dns+srv:///zone"}.`, file), (e: unknown) => isChanError(e, 'badConf'));
});

test('etcd3 is loaded only behind the registry: no static import of it in src', async () => {
  const { readdirSync, readFileSync } = await import('node:fs');
  const src = path.join(HANDLERS, '../../../src');
  const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  const offenders = files.filter((f) => /^\s*import\s+(?!type\b)[^;]*from\s+'etcd3'/m.test(readFileSync(path.join(src, f), 'utf8')));
  assert.deepEqual(offenders, []);
  assert.ok(
    files.some((f) => /import\('etcd3'\)/.test(readFileSync(path.join(src, f), 'utf8'))),
    'etcd.ts imports it dynamically',
  );
});
