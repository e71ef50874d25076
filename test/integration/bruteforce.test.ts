/**
 * Brute-force defence: failed logins are counted per address prefix;
 * after maxLoginFailures the prefix is locked out of every service for
 * loginLockoutMs (logged once as loginLockout, counted in
 * server.guard.counts), even for the right password, while another address
 * is not affected. (The prefix and budget cases are in login-defence.test.ts
 * and unit/login-guard.test.ts.)
 * 127.0.0.2 plays the other host (Linux routes all of 127/8 to lo).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ChanError } from '../../src/errors.ts';
import { hashPassword } from '../../src/auth/password-hash-node.ts';
import { atom, isTuple, termEqual, tuple } from '../../src/wire/etf/term.ts';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import { Raw, connectFrom } from '../helpers/ops-client.ts';
import { deadline } from '../helpers/latch.ts';

const SERVICES = `
{service, vault, password, "right-pw-1", mfa, echo, start, notUsed}.
{service, other, password, "right-pw-2", mfa, echo, start, notUsed}.
`;

const isCode =
  (...codes: string[]) =>
  (e: unknown) =>
    e instanceof ChanError && codes.includes(e.code);

for (const protocol of ['legacy', 'secure'] as const) {
  describe(`brute force (${protocol})`, () => {
    let ts: TestServer;
    before(async () => {
      ts = await startTestServer(SERVICES, { extra: '{limits, [{maxLoginFailures, 3}]}.', websocket: false });
    });
    after(async () => {
      await ts.close();
    });

    const from = (addr: string, service: string, password: string) =>
      connectFrom(addr, ts.port, service, password, [], { protocol, serverKey: ts.server.publicKey });
    // What a locked-out client sees: legacy has only authFail; secure says rateLimited (limitExceeded).
    const lockedCode = protocol === 'legacy' ? 'authFail' : 'limitExceeded';

    test('the attacker is locked out of every service, even with the right password; another address is not', async () => {
      const before = { ...ts.server.guard.counts };
      for (let i = 0; i < 3; i++) await assert.rejects(from('127.0.0.1', 'vault', `guess-${i}`), isCode('authFail'));
      const lock = await ts.waitForLog((l) => l.event === 'loginLockout' && l.service === 'vault', 'loginLockout log');
      assert.equal(lock.address, '127.0.0.1');
      assert.equal(lock.key, 'maxLoginFailures');
      assert.equal(lock.lockoutMs, 60_000);
      assert.equal(lock.level, 40, 'logged at warn');

      // Locked: the right password does not get in from this address, and is not even checked.
      await assert.rejects(from('127.0.0.1', 'vault', 'right-pw-1'), isCode(lockedCode));
      // Secure: refused at the hello, before the service is known (login-defence.test.ts).
      await ts.waitForLog((l) => l.event === 'handshake' && l.result === 'rateLimited' && (protocol === 'secure' || l.service === 'vault'), 'rateLimited log');

      // Another address logs in to the same service.
      const ch = await from('127.0.0.2', 'vault', 'right-pw-1');
      assert.ok(termEqual(await ch.rpc(1), tuple(atom('echo'), 1)));
      ch.close();
      // The lock-out is the address's (the secure login names its service only after the key exchange).
      await assert.rejects(from('127.0.0.1', 'other', 'right-pw-2'), isCode(lockedCode));

      const c = ts.server.guard.counts;
      assert.equal(c.failures - before.failures, 3);
      assert.equal(c.lockouts - before.lockouts, 1);
      assert.ok(c.refusedWhileLocked - before.refusedWhileLocked >= 1);
      assert.equal(ts.logs.filter((l) => l.event === 'loginLockout').length, 1, 'one lockout, logged once');
    });

    test('logins that send no credential at all are refused and not counted toward the lock-out', async () => {
      const before = { ...ts.server.guard.counts };
      for (let i = 0; i < 5; i++) {
        await assert.rejects(connectFrom('127.0.0.3', ts.port, 'other', null, [], { protocol, serverKey: ts.server.publicKey }), isCode('authFail'));
      }
      assert.equal(ts.server.guard.counts.failures - before.failures, 0);
      const ch = await connectFrom('127.0.0.3', ts.port, 'other', 'right-pw-2', [], { protocol, serverKey: ts.server.publicKey });
      assert.ok(termEqual(await ch.rpc(3), tuple(atom('echo'), 3)));
      ch.close();
    });

    test('failures from one address never lock out another', async () => {
      for (let i = 0; i < 10; i++) await assert.rejects(from('127.0.0.3', 'other', `x${i}`), isCode('authFail', 'limitExceeded'));
      const ch = await from('127.0.0.4', 'other', 'right-pw-2');
      ch.close();
    });

    test('a success resets the count of failures', async () => {
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 2; i++) await assert.rejects(from('127.0.0.5', 'other', 'nope'), isCode('authFail'));
        (await from('127.0.0.5', 'other', 'right-pw-2')).close();
      }
      assert.equal(ts.logs.filter((l) => l.event === 'loginLockout' && l.address === '127.0.0.5').length, 0);
    });
  });
}

describe('brute force: concurrent guesses', () => {
  let ts: TestServer;
  before(async () => {
    // scrypt makes the secure check asynchronous: parallel guesses overlap while it runs.
    const hashed = `{service, hashed, password, {scrypt, "${await hashPassword('right-pw-3', { N: 16384, r: 8, p: 1 })}"}, mfa, echo, start, notUsed}.`;
    ts = await startTestServer(SERVICES + hashed, { extra: '{limits, [{maxLoginFailures, 3}]}.', websocket: false });
  });
  after(async () => {
    await ts.close();
  });

  test('legacy: logins that got their challenge before the lock-out cannot keep guessing after it', async () => {
    const raws = await Promise.all(Array.from({ length: 10 }, () => Raw.connect(ts.port, '127.0.0.6')));
    for (const r of raws) r.sendTerm(tuple(atom('startService'), atom('vault'), []));
    for (const r of raws) assert.ok(isTuple(await r.term(0), 2, 'challenge'));
    for (const r of raws) r.sendTerm(tuple(atom('response'), '0'.repeat(32)));
    for (const r of raws) await r.waitClosed();
    const results = ts.logs.filter((l) => l.event === 'handshake' && String(l.peer).startsWith('127.0.0.6:')).map((l) => l.result);
    assert.equal(results.filter((r) => r === 'authFail').length, 3, `results: ${results.join(', ')}`);
    assert.equal(results.filter((r) => r === 'rateLimited').length, 7);
  });

  for (const service of ['vault', 'hashed']) {
    test(`secure (${service}): parallel logins are refused once the lock-out starts`, async () => {
      const addr = service === 'vault' ? '127.0.0.7' : '127.0.0.8';
      const tries = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => connectFrom(addr, ts.port, service, `wrong-${i}`, [], { serverKey: ts.server.publicKey })),
      );
      const codes = tries.map((t) => (t.status === 'rejected' && t.reason instanceof ChanError ? t.reason.code : 'ok'));
      assert.equal(codes.filter((c) => c === 'authFail').length, 3, codes.join(', '));
      assert.equal(codes.filter((c) => c === 'limitExceeded').length, 7, codes.join(', '));
      // The right password from another address is checked as usual.
      (await connectFrom('127.0.0.9', ts.port, service, service === 'vault' ? 'right-pw-1' : 'right-pw-3', [], { serverKey: ts.server.publicKey })).close();
    });
  }
});

describe('brute force: the lock-out window', () => {
  test('a locked-out address gets in again once loginLockoutMs has passed', async () => {
    const ts = await startTestServer(SERVICES, { extra: '{limits, [{maxLoginFailures, 2}, {loginLockoutMs, 200}]}.', websocket: false });
    try {
      for (let i = 0; i < 2; i++) {
        await assert.rejects(connectFrom('127.0.0.1', ts.port, 'vault', 'bad', [], { protocol: 'legacy' }), isCode('authFail'));
      }
      const lock = await ts.waitForLog((l) => l.event === 'loginLockout', 'loginLockout log');
      // Retry with the right password until the window ends (refusals while locked are not failures).
      // The lock-out's own end, as the server logs it (the line's time may be a few ms after the lock began).
      const until = Number(lock.lockedUntil);
      assert.ok(until > 0 && until <= Number(lock.time) + 200, `lockedUntil ${until} ends at most loginLockoutMs after the line`);
      let ch;
      await deadline(
        (async () => {
          for (;;) {
            try {
              ch = await connectFrom('127.0.0.1', ts.port, 'vault', 'right-pw-1', [], { protocol: 'legacy' });
              return;
            } catch (e) {
              assert.ok(isCode('authFail')(e));
              await new Promise((r) => setTimeout(r, 20));
            }
          }
        })(),
        5000,
        'the lock-out to end',
      );
      assert.ok(Date.now() >= until, 'not before the lock-out ends');
      ch!.close();
      assert.equal(ts.server.guard.counts.failures, 2, 'refusals while locked were not counted as failures');
    } finally {
      await ts.close();
    }
  });

  test('a storm against one service from many addresses spends its guess budget, but a correct login still gets in', async () => {
    const ts = await startTestServer(SERVICES, { extra: '{limits, [{maxServiceLoginFailures, 3}]}.', websocket: false });
    try {
      const attackers = ['127.0.0.11', '127.0.0.12', '127.0.0.13', '127.0.0.14', '127.0.0.15', '127.0.0.16'];
      await Promise.allSettled(attackers.map((a) => connectFrom(a, ts.port, 'vault', 'nope', [], { serverKey: ts.server.publicKey })));
      assert.ok(ts.server.guard.counts.failures >= 3, 'the service is under attack');
      const ch = await connectFrom('127.0.0.20', ts.port, 'vault', 'right-pw-1', [], { serverKey: ts.server.publicKey });
      assert.ok(termEqual(await ch.rpc(1), tuple(atom('echo'), 1)));
      ch.close();
    } finally {
      await ts.close();
    }
  });
});
