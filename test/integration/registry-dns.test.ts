/**
 * `dns+srv://127.0.0.1:PORT/zone` against a real dnsmasq on a loopback port
 * serving two SRV records of different priority: the client tries the
 * lower priority first and fails over to the other; names lists both.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../../src/client/node.ts';
import { resetFailoverMemory } from '../../src/client/by-name.ts';
import { openRegistry } from '../../src/registry/open.ts';
import { isChanError } from '../../src/errors.ts';
import { encodePublicKey } from '../../src/auth/keys.ts';
import { atom, tuple } from '../../src/wire/etf/term.ts';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import { runCli } from '../helpers/cli-process.ts';
import { binary, binarySkip, startDnsmasq } from '../helpers/engines.ts';

const skip = binarySkip('dnsmasq', 'dnsmasq-base', 'the DNS SRV registry tests');

describe('dns+srv registry', { skip }, () => {
  let primary: TestServer;
  let backup: TestServer;
  let dns: Awaited<ReturnType<typeof startDnsmasq>>;
  let url: string;

  before(async () => {
    [primary, backup] = await Promise.all(
      ['primary', 'backup'].map((n) => startTestServer(`{service, nameServer, password, "pw", mfa, gateway, start, "${n}"}.`, { websocket: false })),
    );
    dns = await startDnsmasq(binary('dnsmasq'), [
      `_nameserver._tcp.lc.test,127.0.0.1,${primary.port},10,5`,
      `_nameserver._tcp.lc.test,127.0.0.1,${backup.port},20,5`,
    ]);
    url = `dns+srv://127.0.0.1:${dns.port}/lc.test`;
  });
  after(async () => {
    await dns?.stop();
    await Promise.all([primary?.close(), backup?.close()]);
  });

  test('priority first, then failover to the next record', async () => {
    const registry = await openRegistry(url);
    const found = await registry.resolve('nameServer');
    assert.deepEqual(
      found.map((i) => [i.port, i.priority, i.weight]).sort(),
      [
        [primary.port, 10, 5],
        [backup.port, 20, 5],
      ].sort(),
    );
    await assert.rejects(registry.list(), (e: unknown) => isChanError(e, 'badArgument'));
    assert.deepEqual(await registry.resolve('nobody'), []);
    await registry.close();

    const keys = [primary.server.publicKey!, backup.server.publicKey!];
    resetFailoverMemory();
    for (let i = 0; i < 3; i++) {
      const ch = await connect({ service: 'nameServer', registry: url }, 'pw', [], { serverKeys: keys });
      assert.equal(String(await ch.rpc(tuple(atom('whoami')))), 'primary');
      ch.close();
    }
    await primary.close();
    const events: string[] = [];
    const ch = await connect({ service: 'nameServer', registry: url }, 'pw', [], {
      serverKeys: keys,
      onEvent: (action, f) => events.push(`${action} ${String(f.code ?? f.serving ?? '')}`),
    });
    assert.equal(String(await ch.rpc(tuple(atom('whoami')))), 'backup');
    ch.close();
    assert.deepEqual(events, ['resolved 2', 'attemptFailed connectionRefused', 'connected ']);

    // The CLI by name, with the discovery steps on stderr.
    const call = await runCli(['call', '--registry', url, 'nameServer', '{whoami}', '--server-key', encodePublicKey('server', keys[1]), '--verbose'], {
      env: { LIB_CHAN_PASSWORD: 'pw' },
    });
    assert.equal(call.exit.code, 0, call.describe());
    assert.equal(call.stdout.trim(), '"backup"');
    assert.match(call.stderr, /"action":"attemptFailed".*"code":"connectionRefused"/);
    assert.match(call.stderr, /"action":"connected"/);

    const r = await runCli(['names', '--registry', url, 'nameServer']);
    assert.equal(r.exit.code, 0, r.describe());
    assert.match(r.stdout, /2 instances of nameServer/);
    assert.match(r.stdout, /priority 10 weight 5/);
  });
});
