/**
 * Issue 10, finding 4 over real sockets: the attacks the old login defence
 * let through, each of which must now fail.
 *
 * - A locked-out address is refused at the secure hello, in plaintext,
 *   before the server does any X25519 (it used to get a full reply: two
 *   X25519 per attempt), and its lock-out covers every service.
 * - Rotating source addresses (127.0.x.y: Linux routes 127/8 to lo) does not
 *   push more password checks through one service than its guess budget
 *   (maxServiceLoginFailures at once, then loginGuessesPerSecond), with the
 *   legacy login as with the secure one (the old service-wide slow-down
 *   applied to secure logins only, and only to failures).
 * - Under attack the right password waits for its turn like a wrong one, so
 *   an attacker that gives up on slow answers learns nothing from a fast one.
 * - {legacy, loopback} behind a same-host proxy: with {trusted_proxies, [...]}
 *   the proxy's connections are not loopback, and over WebSocket its
 *   X-Forwarded-For address is what the lock-out counts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { ChanError } from '../../src/errors.ts';
import { connect } from '../../src/client/node.ts';
import { clientStart, decodeRefusal } from '../../src/auth/secure/handshake.ts';
import { nodeProvider } from '../../src/auth/crypto-node.ts';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import { Raw, connectFrom, until } from '../helpers/ops-client.ts';

const SERVICES = `
{service, vault, password, "right-pw-1", mfa, echo, start, notUsed}.
{service, other, password, "right-pw-2", mfa, echo, start, notUsed}.
`;
const isCode =
  (...codes: string[]) =>
  (e: unknown) =>
    e instanceof ChanError && codes.includes(e.code);

async function withServer(extra: string, fn: (ts: TestServer) => Promise<void>, opts: { websocket?: string | false } = { websocket: false }): Promise<void> {
  const ts = await startTestServer(SERVICES, { extra, ...opts });
  try {
    await fn(ts);
  } finally {
    await ts.close();
  }
}

describe('login defence: lock-outs before any key exchange', () => {
  test('a locked-out address gets a plaintext rateLimited refusal to its hello, and is locked out of every service', () =>
    withServer('{limits, [{maxLoginFailures, 2}]}.', async (ts) => {
      const key = ts.server.publicKey;
      for (let i = 0; i < 2; i++) await assert.rejects(connectFrom('127.0.0.30', ts.port, 'vault', `bad-${i}`, [], { serverKey: key }), isCode('authFail'));
      await ts.waitForLog((l) => l.event === 'loginLockout', 'loginLockout log');
      const raw = await Raw.connect(ts.port, '127.0.0.30');
      try {
        raw.sendFrame(clientStart({ provider: nodeProvider }).out);
        const refusal = decodeRefusal(await raw.frame(0));
        assert.ok(refusal, 'a plaintext refusal, not a reply (a reply costs the server two X25519)');
        assert.equal(refusal.code, 'rateLimited');
        await raw.waitClosed();
      } finally {
        raw.destroy();
      }
      // The secure login names its service only after the key exchange: the lock-out is the prefix's, for every service.
      await assert.rejects(connectFrom('127.0.0.30', ts.port, 'other', 'right-pw-2', [], { serverKey: key }), isCode('limitExceeded'));
      await assert.rejects(connectFrom('127.0.0.30', ts.port, 'other', 'right-pw-2', [], { protocol: 'legacy' }), isCode('authFail'));
      (await connectFrom('127.0.0.31', ts.port, 'vault', 'right-pw-1', [], { serverKey: key })).close();
    }));
});

for (const protocol of ['secure', 'legacy'] as const) {
  describe(`login defence (${protocol}): the per-service guess budget`, () => {
    test('40 addresses guessing at once get no more checks than the budget allows', () =>
      withServer('{limits, [{loginGuessesPerSecond, 5}, {maxServiceLoginFailures, 5}, {handshakeTimeoutMs, 2000}]}.', async (ts) => {
        const t0 = Date.now();
        const tries = await Promise.allSettled(
          Array.from({ length: 40 }, (_, i) =>
            connectFrom(`127.0.1.${i + 1}`, ts.port, 'vault', `wrong-${i}`, [], { protocol, serverKey: ts.server.publicKey }),
          ),
        );
        const elapsedS = (Date.now() - t0) / 1000;
        const checked = ts.server.guard.counts.failures;
        // An invariant of the token bucket, whatever the machine's speed: burst + rate x elapsed.
        assert.ok(checked <= 5 + 5 * elapsedS + 1, `${checked} passwords checked in ${elapsedS.toFixed(2)} s`);
        assert.ok(
          tries.every((t) => t.status === 'rejected'),
          'no wrong guess got in',
        );
        const refused = ts.logs.filter((l) => l.event === 'handshake' && l.result === 'rateLimited').length;
        assert.equal(refused, 40 - checked, 'every guess not checked was refused as rateLimited');
        assert.ok(ts.logs.filter((l) => l.event === 'handshake' && l.result === 'rateLimited').every((l) => l.level === 40));
      }));

    test('under attack the right password waits for its turn, like the wrong guesses before it', () =>
      withServer('{limits, [{loginGuessesPerSecond, 10}, {maxServiceLoginFailures, 2}, {handshakeTimeoutMs, 4000}]}.', async (ts) => {
        const order: string[] = [];
        const wrong = Array.from({ length: 8 }, (_, i) =>
          connectFrom(`127.0.2.${i + 1}`, ts.port, 'vault', `wrong-${i}`, [], { protocol, serverKey: ts.server.publicKey }).then(
            (ch) => ch.close(),
            (e: unknown) => void order.push(`wrong:${(e as ChanError).code}`),
          ),
        );
        const g = ts.server.guard;
        // Every wrong guess has been checked or is waiting for its turn before the right one is sent.
        await until(() => g.counts.checks + g.waiting + g.counts.budgetRefused === 8, 'the wrong guesses to be queued');
        const queuedAhead = g.waiting;
        assert.ok(queuedAhead > 0, 'the budget is spent: guesses wait');
        const right = connectFrom('127.0.2.100', ts.port, 'vault', 'right-pw-1', [], { protocol, serverKey: ts.server.publicKey }).then((ch) => {
          order.push('right:ack');
          ch.close();
        });
        await Promise.all([...wrong, right]);
        const rightAt = order.indexOf('right:ack');
        assert.ok(rightAt >= 0, `the right password got in: ${order.join(', ')}`);
        const failsBefore = order.slice(0, rightAt).filter((o) => o === 'wrong:authFail').length;
        assert.ok(failsBefore >= 2 + queuedAhead, `the ack came after the burst and the ${queuedAhead} queued guesses: ${order.join(', ')}`);
      }));
  });
}

describe('login defence: a login without any credential', () => {
  test('is refused (authFail, saying so) without counting toward the lock-out or taking a turn', () =>
    withServer('{limits, [{maxLoginFailures, 1}]}.', async (ts) => {
      await assert.rejects(connectFrom('127.0.0.90', ts.port, 'vault', null, [], { serverKey: ts.server.publicKey }), isCode('authFail'));
      const l = await ts.waitForLog((x) => x.event === 'handshake' && x.result === 'authFail', 'authFail log');
      assert.match(String(l.reason), /none was sent/);
      assert.deepEqual([ts.server.guard.counts.failures, ts.server.guard.counts.checks], [0, 0]);
      (await connectFrom('127.0.0.90', ts.port, 'vault', 'right-pw-1', [], { serverKey: ts.server.publicKey })).close();
    }));
});

describe('login defence: abandoned guesses', () => {
  test('a guess whose connection goes while it waits for its turn is never checked', () =>
    withServer('{limits, [{loginGuessesPerSecond, 2}, {maxServiceLoginFailures, 2}, {handshakeTimeoutMs, 4000}]}.', async (ts) => {
      const g = ts.server.guard;
      // The clients give up long before their turns come (the first at 500 ms).
      const tries = Array.from({ length: 10 }, (_, i) =>
        connectFrom(`127.0.5.${i + 1}`, ts.port, 'vault', `wrong-${i}`, [], { serverKey: ts.server.publicKey, limits: { connectTimeoutMs: 300 } }).then(
          (ch) => ch.close(),
          () => {},
        ),
      );
      await until(() => g.counts.checks + g.waiting + g.counts.budgetRefused === 10, 'every guess to be checked, queued or refused');
      const queued = g.waiting;
      assert.ok(queued > 0, 'some guesses waited');
      await Promise.all(tries);
      await until(() => g.waiting === 0, 'the waits to end', 5000);
      assert.equal(g.counts.checks, 2, `only the burst was checked, not the ${queued} abandoned guesses`);
    }));
});

describe('login defence: a same-host proxy', () => {
  test("{trusted_proxies, [...]}: the proxy's connections are not loopback for {legacy, loopback}", () =>
    withServer('{trusted_proxies, ["127.0.0.1"]}.', async (ts) => {
      await assert.rejects(connectFrom('127.0.0.1', ts.port, 'vault', 'right-pw-1', [], { protocol: 'legacy' }), isCode('legacyRefused'));
      const l = await ts.waitForLog((x) => x.event === 'handshake' && x.result === 'legacyRefused', 'legacyRefused log');
      assert.equal(l.service, 'vault');
      // Another loopback peer is still loopback, and the secure login through the proxy is unaffected.
      (await connectFrom('127.0.0.2', ts.port, 'vault', 'right-pw-1', [], { protocol: 'legacy' })).close();
      (await connectFrom('127.0.0.1', ts.port, 'vault', 'right-pw-1', [], { serverKey: ts.server.publicKey })).close();
    }));

  test('over WebSocket, the X-Forwarded-For address of a trusted proxy is what lock-outs count; from anyone else it is ignored', () =>
    withServer(
      '{trusted_proxies, ["127.0.0.1"]}. {limits, [{maxLoginFailures, 2}]}.',
      async (ts) => {
        const via = (forwardedFor: string) =>
          class extends WebSocket {
            constructor(url: string) {
              super(url, { headers: { 'X-Forwarded-For': `198.51.100.1, ${forwardedFor}` } });
            }
          };
        const url = `ws://127.0.0.1:${ts.server.wsPort}/chan`;
        const key = ts.server.publicKey;
        for (let i = 0; i < 2; i++)
          await assert.rejects(connect(url, 'vault', `bad-${i}`, [], { serverKey: key, webSocket: via('203.0.113.7') }), isCode('authFail'));
        const lock = await ts.waitForLog((l) => l.event === 'loginLockout', 'loginLockout log');
        assert.equal(lock.address, '203.0.113.7');
        await assert.rejects(connect(url, 'vault', 'right-pw-1', [], { serverKey: key, webSocket: via('203.0.113.7') }), isCode('limitExceeded'));
        // Another client behind the same proxy is not locked out.
        (await connect(url, 'vault', 'right-pw-1', [], { serverKey: key, webSocket: via('203.0.113.8') })).close();
        const seen = ts.logs.filter((l) => l.event === 'handshake' && l.result === 'ack').at(-1);
        assert.match(String(seen?.peer), /^203\.0\.113\.8 via 127\.0\.0\.1:/);
      },
      { websocket: '[{port, 0}, {path, "/chan"}, {bind, "127.0.0.1"}]' },
    ));
});
