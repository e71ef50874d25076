/**
 * Worker isolation (`{isolation, worker}`): what only a worker has. The
 * handler API itself (iteration, requests(), pushes, callbacks, crashes,
 * close reasons, shutdown) is one suite run inline and in a worker, in
 * handler-suite.test.ts. Here: handlers run in one worker per service; a
 * handler that spins or exhausts its heap is ended by the watchdog or V8
 * while other channels and services keep answering; the restart strategy
 * restarts a crashed worker or takes the service down until reload.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ChanError } from '../../src/errors.ts';
import type { Channel } from '../../src/chan/channel.ts';
import { atom, isTuple, termEqual, tuple } from '../../src/wire/etf/term.ts';
import { TRANSPORTS } from '../helpers/transports.ts';
import { startTestServer, type LogLine, type TestServer } from '../helpers/start-server.ts';
import { deadline } from '../helpers/latch.ts';

const tcp = TRANSPORTS[0];
const isCode = (code: string) => (e: unknown) => e instanceof ChanError && e.code === code;
const isRemote = (remoteCode: string) => (e: unknown) => e instanceof ChanError && e.code === 'remoteError' && e.details.remoteCode === remoteCode;

/** The thread a `spin` handler runs in (0 = the main thread). */
async function threadOf(ch: Channel): Promise<number> {
  const r = await ch.rpc(atom('whoami'));
  assert.ok(isTuple(r, 2, 'thread'), 'whoami answers {thread, Id}');
  return r.at(1) as number;
}

/** Tracks whether a promise has settled, without awaiting it. */
function watch<T>(p: Promise<T>): { settled: boolean; result: Promise<unknown> } {
  const w = {
    settled: false,
    result: p.then(
      (v) => v,
      (e: unknown) => e,
    ),
  };
  void w.result.then(() => (w.settled = true));
  return w;
}

const byEvent =
  (event: string, extra: (l: LogLine) => boolean = () => true) =>
  (l: LogLine) =>
    l.event === event && extra(l);

describe('worker isolation: handlers behave as inline', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer(`
{service, wthread, password, none, mfa, spin, start, notUsed, [{isolation, worker}]}.
{service, wcb, password, none, mfa, spin, callback, notUsed, [{isolation, worker}]}.
{service, wthrow, password, none, mfa, echo, throwOnMessage, notUsed, [{isolation, worker}]}.
`);
  });
  after(async () => {
    await ts.close();
  });

  test('the handler runs in a worker thread, one per service', async () => {
    const a = await tcp.connect(ts, 'wthread', null);
    const b = await tcp.connect(ts, 'wthread', null);
    const c = await tcp.connect(ts, 'wcb', null);
    try {
      const [ta, tb, tc] = [await threadOf(a), await threadOf(b), await threadOf(c)];
      assert.notEqual(ta, 0);
      assert.equal(ta, tb, 'channels of one service share its worker');
      assert.notEqual(tc, ta, 'each service has its own worker');
      assert.ok(termEqual(await c.rpc(atom('hi')), tuple(atom('cb'), atom('hi'))), 'callback style (mm.onMessage) works in a worker');
    } finally {
      a.close();
      b.close();
      c.close();
    }
  });

  test('a handler that throws closes only its channel, logged with its stack; the worker lives on', async () => {
    const witness = await tcp.connect(ts, 'wthread', null);
    const before = await threadOf(witness);
    const bad = await tcp.connect(ts, 'wthrow', null);
    await assert.rejects(bad.rpc(atom('boom'), { timeoutMs: 5000 }), isRemote('handlerCrashed'));
    const log = await ts.waitForLog(
      byEvent('handlerCrashed', (l) => l.service === 'wthrow'),
      'handlerCrashed log',
    );
    assert.equal(typeof log.peer, 'string');
    assert.match(String((log.err as { stack?: string }).stack), /handler refuses/);
    const again = await tcp.connect(ts, 'wthrow', null);
    again.close();
    assert.equal(await threadOf(witness), before);
    witness.close();
    assert.equal(ts.logs.filter(byEvent('workerCrashed')).length, 0, 'no worker died');
  });
});

describe('worker isolation: watchdog', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer(`
{service, spinner, password, none, mfa, spin, start, notUsed, [{isolation, worker}, {limits, [{watchdogMs, 5000}]}]}.
{service, hog, password, none, mfa, spin, start, notUsed, [{isolation, worker}, {limits, [{workerMaxHeapMb, 16}]}]}.
{service, echo, password, none, mfa, echo, start, notUsed}.
`);
  });
  after(async () => {
    await ts.close();
  });

  test('while one handler spins, an inline service and the same service (on a fresh worker) answer; the watchdog then ends the spin', async () => {
    const a = await tcp.connect(ts, 'spinner', null);
    const inline = await tcp.connect(ts, 'echo', null);
    try {
      const spinThread = await threadOf(a);
      const spin = watch(a.rpc(atom('spin'), { timeoutMs: 20_000 }));
      assert.ok(termEqual(await inline.rpc(atom('hi')), tuple(atom('echo'), atom('hi'))), 'inline service answers during the spin');
      assert.equal(spin.settled, false);
      await ts.waitForLog(
        byEvent('workerUnresponsive', (l) => l.service === 'spinner'),
        'workerUnresponsive log',
      );
      const b = await tcp.connect(ts, 'spinner', null);
      try {
        const fresh = await threadOf(b);
        assert.notEqual(fresh, spinThread, 'a fresh worker takes the new channel');
        assert.equal(spin.settled, false, 'the spinning handler is still spinning while the fresh worker answers');
        assert.ok(termEqual(await inline.rpc(atom('again')), tuple(atom('echo'), atom('again'))));
        // The watchdog ends the spin: the waiting call learns why, the channel closes.
        const err = await deadline(spin.result, 10_000, 'the spinning call to end');
        assert.ok(isRemote('handlerCrashed')(err), `spinning call rejected with remoteError handlerCrashed, got ${String(err)}`);
        await deadline(a.closed, 5000, 'the spinning channel to close');
        const crash = await ts.waitForLog(
          byEvent('workerCrashed', (l) => l.service === 'spinner'),
          'workerCrashed log',
        );
        assert.equal(crash.reason, 'watchdog');
        assert.equal(crash.key, 'watchdogMs');
        const closed = await ts.waitForLog(
          byEvent('handlerCrashed', (l) => l.service === 'spinner' && l.reason === 'watchdog'),
          'handlerCrashed log',
        );
        assert.equal(typeof closed.peer, 'string');
        const chClosed = await ts.waitForLog(
          byEvent('channelClosed', (l) => l.service === 'spinner' && l.reason === 'handlerCrashed'),
          'channelClosed log',
        );
        assert.equal((chClosed.details as { key?: string }).key, 'watchdogMs');
        assert.equal(await threadOf(b), fresh, 'the fresh worker is untouched');
      } finally {
        b.close();
      }
    } finally {
      a.close();
      inline.close();
    }
  });

  test('a handler that exhausts workerMaxHeapMb: its worker ends, its channel closes, the service restarts', async () => {
    const a = await tcp.connect(ts, 'hog', null);
    const first = await threadOf(a);
    await assert.rejects(a.rpc(atom('oom'), { timeoutMs: 20_000 }), isRemote('handlerCrashed'));
    const crash = await ts.waitForLog(
      byEvent('workerCrashed', (l) => l.service === 'hog'),
      'workerCrashed log',
      10_000,
    );
    assert.equal(crash.reason, 'outOfMemory');
    await ts.waitForLog(
      byEvent('workerRestarted', (l) => l.service === 'hog'),
      'workerRestarted log',
    );
    const b = await tcp.connect(ts, 'hog', null);
    try {
      assert.notEqual(await threadOf(b), first);
    } finally {
      b.close();
    }
  });
});

describe('worker isolation: restart strategy', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer(`
{service, fragile, password, "pw", mfa, spin, start, notUsed, [{isolation, worker}, {restart, [{intensity, 1}, {period_ms, 60000}]}]}.
{service, echo, password, none, mfa, echo, start, notUsed}.
`);
  });
  after(async () => {
    await ts.close();
  });

  const crashOnce = async (): Promise<void> => {
    const ch = await tcp.connect(ts, 'fragile', 'pw');
    await assert.rejects(ch.rpc(atom('uncaught'), { timeoutMs: 10_000 }), isRemote('handlerCrashed'));
  };

  test('restarted after a crash; more than intensity crashes in period_ms take the service down until reload', async () => {
    await crashOnce();
    const first = await ts.waitForLog(
      byEvent('workerCrashed', (l) => l.service === 'fragile'),
      'first crash',
    );
    assert.equal(first.reason, 'uncaught');
    await ts.waitForLog(
      byEvent('workerRestarted', (l) => l.service === 'fragile'),
      'restart',
    );
    await crashOnce();
    const down = await ts.waitForLog(
      byEvent('serviceDown', (l) => l.service === 'fragile'),
      'serviceDown log',
    );
    assert.equal(down.crashes, 2);
    assert.equal(down.intensity, 1);
    await assert.rejects(tcp.connect(ts, 'fragile', 'pw'), isCode('badService'));
    await assert.rejects(tcp.connect(ts, 'fragile', 'pw', [], { protocol: 'legacy' }), isCode('badService'));
    const refused = ts.logs.filter(byEvent('handshake', (l) => l.result === 'serviceDown'));
    assert.equal(refused.length, 2);
    assert.match(String(refused[0].reason), /crashed 2 times within 60000 ms/);
    const other = await tcp.connect(ts, 'echo', null);
    assert.ok(termEqual(await other.rpc(1), tuple(atom('echo'), 1)), 'other services keep answering');
    other.close();
    await ts.server.reload();
    const back = await tcp.connect(ts, 'fragile', 'pw');
    try {
      assert.notEqual(await threadOf(back), 0, 'after a reload the service is up again');
    } finally {
      back.close();
    }
  });
});

describe('worker isolation: shutdown', () => {
  test("server.close() ends the worker handler's iteration; it finishes and the channel closes cleanly", async () => {
    const ts = await startTestServer('{service, wecho, password, none, mfa, echo, start, notUsed, [{isolation, worker}]}.');
    const ch = await tcp.connect(ts, 'wecho', null);
    assert.ok(termEqual(await ch.rpc(1), tuple(atom('echo'), 1)));
    await ts.close();
    const log = await ts.waitForLog(
      byEvent('channelClosed', (l) => l.service === 'wecho'),
      'channelClosed',
    );
    assert.equal(log.reason, 'handlerReturned');
    assert.equal(ts.logs.filter(byEvent('workerCrashed')).length, 0);
  });
});
