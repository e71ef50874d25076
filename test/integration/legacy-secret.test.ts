/**
 * Issue 10, finding 4 (last part): a service that allows the legacy MD5 login
 * beyond loopback must not share its secret with the secure login (one
 * recorded MD5 exchange is an offline dictionary attack on it). Start-up
 * refuses such a conf, naming the service and the way out; with
 * {legacy_password, "..."} each login checks its own secret. The book's conf
 * (legacy on loopback only, by default) keeps working: see
 * test/interop/lib-chan.test.ts for the book's own Erlang client.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChanError } from '../../src/errors.ts';
import { startTestServer } from '../helpers/start-server.ts';
import { connectFrom } from '../helpers/ops-client.ts';

const isCode = (code: string) => (e: unknown) => e instanceof ChanError && e.code === code;

describe('legacy login secrets', () => {
  for (const [what, body] of [
    ['{legacy, allow} at the top', '{legacy, allow}.\n{service, vault, password, "shared-pw", mfa, echo, start, notUsed}.'],
    ['{legacy, allow} in the service', '{service, vault, password, "shared-pw", mfa, echo, start, notUsed, [{legacy, allow}]}.'],
  ] as const) {
    test(`start-up refuses a password shared by the secure login and a legacy login allowed beyond loopback (${what})`, async () => {
      await assert.rejects(startTestServer(body, { websocket: false }), (e: unknown) => {
        assert.ok(e instanceof ChanError && e.code === 'badConf', String(e));
        assert.equal(e.details.service, 'vault');
        assert.match(e.message, /legacy_password/);
        assert.doesNotMatch(e.message, /shared-pw/, 'the password is not shown');
        return true;
      });
    });
  }

  test("the same password on loopback only (the book's conf, by default) is accepted", async () => {
    const ts = await startTestServer('{service, vault, password, "shared-pw", mfa, echo, start, notUsed}.', { websocket: false });
    try {
      (await connectFrom('127.0.0.1', ts.port, 'vault', 'shared-pw', [], { protocol: 'legacy' })).close();
      (await connectFrom('127.0.0.1', ts.port, 'vault', 'shared-pw', [], { serverKey: ts.server.publicKey })).close();
    } finally {
      await ts.close();
    }
  });

  test('{legacy_password, "..."}: each login checks its own secret, and neither opens the other', async () => {
    const ts = await startTestServer('{service, vault, password, "secure-pw", mfa, echo, start, notUsed, [{legacy, allow}, {legacy_password, "md5-pw"}]}.', {
      websocket: false,
    });
    try {
      const key = ts.server.publicKey;
      (await connectFrom('127.0.0.40', ts.port, 'vault', 'md5-pw', [], { protocol: 'legacy' })).close();
      (await connectFrom('127.0.0.40', ts.port, 'vault', 'secure-pw', [], { serverKey: key })).close();
      await assert.rejects(connectFrom('127.0.0.41', ts.port, 'vault', 'secure-pw', [], { protocol: 'legacy' }), isCode('authFail'));
      await assert.rejects(connectFrom('127.0.0.42', ts.port, 'vault', 'md5-pw', [], { serverKey: key }), isCode('authFail'));
      const loaded = ts.server.config.services.get('vault')!;
      assert.doesNotMatch(JSON.stringify(loaded), /md5-pw|secure-pw/, 'neither secret is serialized');
    } finally {
      await ts.close();
    }
  });

  test('a legacy_password equal to the password, or without legacy in auth, is refused', async () => {
    await assert.rejects(
      startTestServer('{service, vault, password, "pw", mfa, echo, start, notUsed, [{legacy, allow}, {legacy_password, "pw"}]}.', { websocket: false }),
      isCode('badConf'),
    );
    await assert.rejects(
      startTestServer('{service, vault, password, "pw", mfa, echo, start, notUsed, [{auth, [password]}, {legacy_password, "other"}]}.', { websocket: false }),
      isCode('badConf'),
    );
  });

  test('a service with a {scrypt, Hash} may offer the legacy login with its own legacy_password', async () => {
    const hash = 'scrypt$1024$8$1$c2FsdHNhbHRzYWx0c2FsdA==$' + 'A'.repeat(43) + '=';
    const ts = await startTestServer(`{service, vault, password, {scrypt, "${hash}"}, mfa, echo, start, notUsed, [{legacy_password, "md5-pw"}]}.`, {
      websocket: false,
    });
    try {
      (await connectFrom('127.0.0.43', ts.port, 'vault', 'md5-pw', [], { protocol: 'legacy' })).close();
    } finally {
      await ts.close();
    }
  });
});
