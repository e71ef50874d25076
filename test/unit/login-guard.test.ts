/**
 * The login guard with a fake clock: lock-outs by address prefix (IPv4 /32
 * and IPv6 /64 by default, configurable), and the per-service guess budget
 * (a burst, then one turn per 1/rate s for right and wrong guesses alike,
 * refusal past the wait a login can afford, a success giving its turn back).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginGuard, addressPrefix } from '../../src/server/login-guard.ts';

const LIMITS = { maxLoginFailures: 3, loginLockoutMs: 1000, addressPrefixV4: 32, addressPrefixV6: 64 };

test('address prefixes: IPv4 /32, IPv6 /64, IPv4-mapped IPv6 as IPv4, zones dropped', () => {
  assert.equal(addressPrefix('10.1.2.3', 32, 64), '10.1.2.3/32');
  assert.equal(addressPrefix('10.1.2.3', 24, 64), '10.1.2.0/24');
  assert.equal(addressPrefix('::ffff:10.1.2.3', 32, 64), '10.1.2.3/32');
  assert.equal(addressPrefix('2001:db8:1:2:aaaa:bbbb:cccc:dddd', 32, 64), '2001:db8:1:2:0:0:0:0/64');
  assert.equal(addressPrefix('2001:db8:1:2::1', 32, 64), addressPrefix('2001:db8:1:2:ffff::9', 32, 64));
  assert.notEqual(addressPrefix('2001:db8:1:2::1', 32, 64), addressPrefix('2001:db8:1:3::1', 32, 64));
  assert.equal(addressPrefix('fe80::1%eth0', 32, 64), 'fe80:0:0:0:0:0:0:0/64');
  assert.equal(addressPrefix('::1', 32, 128), '0:0:0:0:0:0:0:1/128');
  assert.equal(addressPrefix('not-an-address', 32, 64), 'not-an-address');
});

test('an IPv6 attacker rotating within its /64 is one address; another /64 is not affected', () => {
  const now = 1_000_000;
  const g = new LoginGuard({ ...LIMITS, now: () => now });
  assert.equal(g.failed('2001:db8:0:1::1'), false);
  assert.equal(g.failed('2001:db8:0:1::2'), false);
  assert.equal(g.failed('2001:db8:0:1:ffff:ffff:ffff:ffff'), true, 'the third failure from the /64 locks it');
  assert.equal(g.check('2001:db8:0:1::1234'), 1000);
  assert.equal(g.check('2001:db8:0:2::1'), 0, 'the next /64 is free');
  assert.equal(g.check('10.0.0.1'), 0);
});

test('the prefix length is configurable (IPv4 /24)', () => {
  const now = 5;
  const g = new LoginGuard({ ...LIMITS, addressPrefixV4: 24, now: () => now });
  for (const a of ['192.0.2.1', '192.0.2.77']) g.failed(a);
  assert.equal(g.failed('192.0.2.200'), true);
  assert.ok(g.check('192.0.2.9') > 0);
  assert.equal(g.check('192.0.3.9'), 0);
});

test('failures are counted within the window, and a lock-out ends after loginLockoutMs', () => {
  let now = 1_000_000;
  const g = new LoginGuard({ ...LIMITS, now: () => now });
  g.failed('a.b');
  g.failed('a.b');
  now += 1001; // the window has passed: the count starts again
  assert.equal(g.failed('a.b'), false);
  assert.equal(g.failed('a.b'), false);
  assert.equal(g.failed('a.b'), true);
  now += 999;
  assert.equal(g.check('a.b'), 1);
  now += 1;
  assert.equal(g.check('a.b'), 0);
  assert.deepEqual({ ...g.counts }, { failures: 5, lockouts: 1, refusedWhileLocked: 1, checks: 0, budgetRefused: 0 });
});

test('guess budget: a burst at once, then one turn per 1/rate for any login, refused past the affordable wait', () => {
  let now = 0;
  const g = new LoginGuard({ ...LIMITS, now: () => now });
  const budget = { loginGuessesPerSecond: 10, maxServiceLoginFailures: 3 };
  assert.deepEqual(
    [0, 1, 2].map(() => g.reserve('vault', budget, 1000)),
    [0, 0, 0],
    'the burst',
  );
  assert.equal(g.reserve('vault', budget, 1000), 100, 'then one turn per 100 ms');
  assert.equal(g.reserve('vault', budget, 1000), 200);
  assert.equal(g.reserve('vault', budget, 150), undefined, 'a turn 300 ms away is refused to a login that can wait 150 ms');
  assert.equal(g.counts.budgetRefused, 1);
  assert.equal(g.reserve('other', budget, 0), 0, 'each service has its own budget');
  // Failures keep their turns; a success gives its turn back.
  g.checked('vault', budget, false);
  g.checked('vault', budget, true);
  assert.equal(g.reserve('vault', budget, 1000), 200, 'the refund moved the queue by one turn');
  now += 500; // 5 turns refilled
  assert.equal(g.reserve('vault', budget, 1000), 0);
  assert.equal(g.counts.checks, 2);
});

test('prefixOf answers for the limits in force: a reload that changes the prefix length changes the answer for the same address', () => {
  const g = new LoginGuard({ ...LIMITS, now: () => 0 });
  assert.equal(g.prefixOf('192.0.2.77'), '192.0.2.77/32');
  assert.equal(g.prefixOf('192.0.2.77'), '192.0.2.77/32');
  assert.equal(g.prefixOf('2001:db8:0:1::5'), '2001:db8:0:1:0:0:0:0/64');
  g.setLimits({ ...LIMITS, addressPrefixV4: 24, addressPrefixV6: 48 });
  assert.equal(g.prefixOf('2001:db8:0:1::5'), '2001:db8:0:0:0:0:0:0/48');
  assert.equal(g.prefixOf('192.0.2.77'), '192.0.2.0/24');
  assert.equal(g.prefixOf('192.0.3.1'), '192.0.3.0/24');
});
