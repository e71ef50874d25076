/**
 * The handler API, one suite run in both placements: inline (the handler on
 * the main thread) and `{isolation, worker}` (the handler in a service worker
 * thread). A handler must not be able to tell where it runs, so every case
 * here runs unchanged in both (as ranch's groups run one suite under two
 * transports). The fixture is test/fixtures/handlers/suite.ts, one behaviour
 * per ArgsC.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ChanError } from '../../src/errors.ts';
import type { Channel } from '../../src/chan/channel.ts';
import { KIND } from '../../src/chan/codec.ts';
import { atom, isAtom, isTuple, termEqual, tuple, type Term } from '../../src/wire/etf/term.ts';
import { TRANSPORTS } from '../helpers/transports.ts';
import { startTestServer, type LogLine, type TestServer } from '../helpers/start-server.ts';
import { deadline } from '../helpers/latch.ts';

const tcp = TRANSPORTS[0];
type Placement = 'inline' | 'worker';

const isRemote = (remoteCode: string) => (e: unknown) => e instanceof ChanError && e.code === 'remoteError' && e.details.remoteCode === remoteCode;
const byEvent =
  (event: string, extra: (l: LogLine) => boolean = () => true) =>
  (l: LogLine) =>
    l.event === event && extra(l);

/** The service options line for a placement, with `extra` options. */
function options(placement: Placement, extra: string[] = []): string {
  const all = placement === 'worker' ? ['{isolation, worker}', ...extra] : extra;
  return all.length === 0 ? '' : `, [${all.join(', ')}]`;
}

/** The next push on `ch`, within a deadline. */
function nextPush(ch: Channel, what: string): Promise<Term> {
  return deadline(
    ch[Symbol.asyncIterator]()
      .next()
      .then((r) => r.value as Term),
    5000,
    what,
  );
}

let tags = 0;

function handlerSuite(placement: Placement): void {
  describe(`handler API, ${placement}`, () => {
    let ts: TestServer;
    /** Log lines from index `mark` on (this test's, not an earlier one's). */
    const since = (mark: number, pred: (l: LogLine) => boolean) => (l: LogLine) => ts.logs.indexOf(l) >= mark && pred(l);
    const open = (behaviour: string, args: Term[] = [], opts: { protocol?: 'secure' | 'legacy'; service?: string } = {}) =>
      tcp.connect(ts, opts.service ?? 'suite', null, tuple(atom(behaviour), ...args), { protocol: opts.protocol ?? 'secure' });

    before(async () => {
      ts = await startTestServer(
        `
{service, suite, password, none, mfa, suite, start, {server, args}${options(placement)}}.
{service, rec, password, none, mfa, suite, start, notUsed${options(placement, ['{limits, [{maxInflightRpcs, 2}, {maxMailboxMessages, 5}]}'])}}.
{service, small, password, none, mfa, suite, start, notUsed${options(placement, ['{limits, [{maxMailboxBytes, 65536}]}'])}}.
`,
        { websocket: false },
      );
    });
    after(async () => {
      await ts.close();
    });

    for (const protocol of ['secure', 'legacy'] as const) {
      test(`${protocol}: book-style iteration answers with mm.reply(); mm.send() pushes`, async () => {
        const ch = await open('iterate', [], { protocol });
        try {
          assert.ok(termEqual(await ch.rpc(atom('hi')), tuple(atom('echo'), atom('hi'))));
          const big = tuple(atom('x'), 2n ** 70n, new Map<Term, Term>([[atom('k'), [1, 2.5, 'str']]]), new Uint8Array([1, 2, 3]));
          assert.ok(termEqual(await ch.rpc(big), tuple(atom('echo'), big)), 'terms arrive exactly as sent');
          if (protocol === 'secure') {
            const pushes: Term[] = [];
            ch.onPush((m) => void pushes.push(m));
            assert.ok(termEqual(await ch.rpc(tuple(atom('push'), 3)), tuple(atom('echo'), tuple(atom('push'), 3))));
            assert.deepEqual(
              pushes.map((p) => (isTuple(p, 2, 'pushed') ? p.at(1) : p)),
              [1, 2, 3],
              'pushes come before the reply, in order',
            );
          }
        } finally {
          ch.close();
        }
      });

      test(`${protocol}: requests() with reply and fail; casts arrive in order`, async () => {
        const ch = await open('requests', [], { protocol });
        try {
          for (let i = 1; i <= 3; i++) ch.cast(tuple(atom('note'), i));
          assert.deepEqual(await ch.rpc(atom('notes')), [1, 2, 3]);
          const meta = await ch.rpc(atom('meta'));
          assert.ok(termEqual(meta, tuple(atom('suite'), protocol === 'secure', true)), 'mm.service, mm.secure and mm.peer');
          if (protocol === 'secure') {
            await assert.rejects(ch.rpc(tuple(atom('fail'), atom('notToday'))), isRemote('notToday'));
            assert.ok(termEqual(await ch.rpc(1), tuple(atom('echo'), 1)), 'a failed call leaves the channel open');
          } else {
            const r = await ch.rpc(tuple(atom('fail'), atom('notToday')));
            assert.ok(isTuple(r, 3, 'error') && termEqual(r.at(1), atom('notToday')), 'legacy: fail sends {error, Code, Message}');
          }
        } finally {
          ch.close();
        }
      });
    }

    test('ArgsC and ArgsS reach the handler as given', async () => {
      const ch = await open('args', [tuple(atom('client'), 'args')]);
      try {
        assert.ok(termEqual(await ch.rpc(atom('args')), tuple(tuple(atom('args'), tuple(atom('client'), 'args')), tuple(atom('server'), atom('args')))));
      } finally {
        ch.close();
      }
    });

    test('callback style (mm.onMessage): a returned or resolved value answers', async () => {
      const ch = await open('callback');
      try {
        assert.ok(termEqual(await ch.rpc(1), tuple(atom('cb'), 1)));
        assert.ok(termEqual(await ch.rpc(tuple(atom('async'), 2)), tuple(atom('later'), 2)));
      } finally {
        ch.close();
      }
    });

    for (const behaviour of ['unencodable', 'unencodableReply', 'unencodablePush']) {
      test(`${behaviour}: a reply that cannot be encoded closes only its channel`, async () => {
        const mark = ts.logs.length;
        const witness = await open('requests');
        try {
          assert.ok(termEqual(await witness.rpc(0), tuple(atom('echo'), 0)));
          const bad = await open(behaviour);
          assert.ok(isTuple(await bad.rpc(1), 2), 'answers what it can encode');
          await assert.rejects(bad.rpc(atom('bad'), { timeoutMs: 10_000 }), isRemote('handlerCrashed'));
          const info = await deadline(bad.closed, 5000, 'the bad channel to close');
          assert.equal(info.reason, 'peerClosed', 'the server closed it with a close record');
          await ts.waitForLog(
            since(
              mark,
              byEvent('handlerCrashed', (l) => l.service === 'suite'),
            ),
            'handlerCrashed log',
          );
          assert.ok(termEqual(await witness.rpc(2), tuple(atom('echo'), 2)), 'the other channel of the service still answers');
          assert.equal(ts.logs.filter(byEvent('workerCrashed')).length, 0, 'no worker died');
          assert.equal(witness.isOpen, true);
        } finally {
          witness.close();
        }
      });
    }

    for (const behaviour of ['thrower', 'throwerCallback']) {
      test(`${behaviour}: a handler that throws answers every waiting secure rpc with handlerCrashed, then closes`, async () => {
        const mark = ts.logs.length;
        const ch = await open(behaviour);
        assert.ok(termEqual(await ch.rpc(0), tuple(atom(behaviour === 'thrower' ? 'echo' : 'cb'), 0)));
        const held = [ch.rpc(atom('hold'), { timeoutMs: 10_000 }), ch.rpc(atom('hold'), { timeoutMs: 10_000 })];
        const boom = ch.rpc(atom('boom'), { timeoutMs: 10_000 });
        for (const p of [...held, boom]) await assert.rejects(p, isRemote('handlerCrashed'), 'not connectionLost: the error reply names handlerCrashed');
        const info = await deadline(ch.closed, 5000, 'the channel to close');
        assert.equal(info.reason, 'peerClosed', 'closed with a close record after the error replies');
        const log = await ts.waitForLog(
          since(
            mark,
            byEvent('channelClosed', (l) => l.service === 'suite' && l.reason === 'handlerCrashed'),
          ),
          'channelClosed handlerCrashed',
        );
        assert.equal(typeof log.peer, 'string');
        const crash = await ts.waitForLog(
          since(
            mark,
            byEvent('handlerCrashed', (l) => l.service === 'suite' && /refuses boom/.test(String((l.err as { stack?: string } | undefined)?.stack))),
          ),
          'handlerCrashed log with the stack',
        );
        assert.equal(typeof crash.peer, 'string');
        assert.equal(ts.logs.filter(byEvent('workerCrashed')).length, 0, 'no worker died');
      });
    }

    test('a handler that throws before taking a message closes its channel, logged with the stack', async () => {
      const mark = ts.logs.length;
      const ch = await open('crashOnStart');
      await deadline(ch.closed, 5000, 'the channel to close');
      await ts.waitForLog(
        since(
          mark,
          byEvent('handlerCrashed', (l) => /crashes on start/.test(String((l.err as { stack?: string } | undefined)?.stack))),
        ),
        'handlerCrashed log',
      );
      const log = await ts.waitForLog(
        since(
          mark,
          byEvent('channelClosed', (l) => l.service === 'suite'),
        ),
        'channelClosed',
      );
      assert.equal(log.reason, 'handlerCrashed');
    });

    for (const [ask, reason] of [
      ['bye', 'handlerClosed'],
      ['return', 'handlerReturned'],
    ] as const) {
      test(`mm.close() and a handler that returns close the channel gracefully (${reason})`, async () => {
        const mark = ts.logs.length;
        const ch = await open('closer');
        assert.ok(termEqual(await ch.rpc(1), tuple(atom('echo'), 1)));
        ch.cast(atom(ask));
        const info = await deadline(ch.closed, 5000, 'the channel to close');
        assert.equal(info.reason, 'peerClosed', 'with a close record');
        const log = await ts.waitForLog(
          since(
            mark,
            byEvent('channelClosed', (l) => l.service === 'suite'),
          ),
          'channelClosed',
        );
        assert.equal(log.reason, reason);
      });
    }

    test('messages the handler has not taken are bounded by maxMailboxMessages', async () => {
      const mark = ts.logs.length;
      const ch = await open('deaf', [], { service: 'rec' });
      for (let i = 0; i < 5; i++) ch.cast(i);
      const probe = await open('recorder', ['probe'], { service: 'rec' });
      assert.ok(termEqual(await probe.rpc(1), 1));
      probe.close();
      assert.equal(ch.isOpen, true, 'up to the limit is fine');
      for (let i = 0; i < 15; i++) ch.cast(i);
      await deadline(ch.closed, 5000, 'the channel to close');
      const log = await ts.waitForLog(
        since(
          mark,
          byEvent('channelClosed', (l) => l.service === 'rec' && l.reason === 'limitExceeded'),
        ),
        'channelClosed',
      );
      assert.equal((log.details as { key?: string }).key, 'maxMailboxMessages');
    });

    test('messages the handler has not taken are bounded by maxMailboxBytes', async () => {
      const mark = ts.logs.length;
      const ch = await open('deaf', [], { service: 'small' });
      const chunk = new Uint8Array(20_000).fill(7);
      for (let i = 0; i < 3; i++) ch.cast(chunk);
      const probe = await open('requests', [], { service: 'small' });
      assert.ok(termEqual(await probe.rpc(1), tuple(atom('echo'), 1)));
      probe.close();
      assert.equal(ch.isOpen, true, 'under the limit is fine');
      for (let i = 0; i < 3; i++) ch.cast(chunk);
      await deadline(ch.closed, 5000, 'the channel to close');
      const log = await ts.waitForLog(
        since(
          mark,
          byEvent('channelClosed', (l) => l.service === 'small' && l.reason === 'limitExceeded'),
        ),
        'channelClosed',
      );
      assert.equal((log.details as { key?: string }).key, 'maxMailboxBytes');
    });

    test('the handler sees why its channel closed: the reason and the error code', async () => {
      const tag = `t${++tags}`;
      const ch = await open('recorder', [tag], { service: 'rec' });
      // Three calls the handler never answers: the third crosses maxInflightRpcs=2.
      const calls = [1, 2, 3].map(() => ch.rpc(atom('hold'), { timeoutMs: 10_000 }).catch((e: unknown) => e));
      await deadline(ch.closed, 5000, 'the server to close the channel');
      await Promise.all(calls);
      const quiet = `t${++tags}`;
      const q = await open('recorder', [quiet], { service: 'rec' });
      q.close();
      const reader = await open('recorder', ['reader'], { service: 'rec' });
      try {
        assert.ok(
          termEqual(await reader.rpc(tuple(atom('closeOf'), tag)), tuple(atom('limitExceeded'), atom('limitExceeded'))),
          'the code of the error, not "closed"',
        );
        assert.ok(termEqual(await reader.rpc(tuple(atom('closeOf'), quiet)), tuple(atom('peerClosed'), atom('none'))));
      } finally {
        reader.close();
      }
    });

    test('a secure call id that is still waiting is refused when sent again (protocolError)', async () => {
      const mark = ts.logs.length;
      const ch = await open('recorder', [`t${++tags}`]);
      const raw = ch as unknown as { write(kind: number, id: number, term: Term): void };
      raw.write(KIND.call, 77, atom('hold'));
      raw.write(KIND.call, 77, atom('hold'));
      await deadline(ch.closed, 5000, 'the server to close the channel');
      const log = await ts.waitForLog(
        since(
          mark,
          byEvent('channelClosed', (l) => l.service === 'suite' && l.reason === 'protocolError'),
        ),
        'channelClosed protocolError',
      );
      assert.equal((log.details as { phase?: string }).phase, 'data');
    });
  });

  describe(`handler API, ${placement}: graceful shutdown`, () => {
    for (const [behaviour, reason] of [
      ['later', 'shutdown'],
      ['laterIterate', 'handlerReturned'],
    ] as const) {
      test(`${behaviour}: close() waits for the answer in progress, then the channel closes (${reason})`, async () => {
        const ts = await startTestServer(`{service, suite, password, none, mfa, suite, start, notUsed${options(placement)}}.`, { websocket: false });
        try {
          const ch = await tcp.connect(ts, 'suite', null, tuple(atom(behaviour)));
          const answer = ch.rpc(tuple(atom('later'), 100), { timeoutMs: 10_000 });
          const computing = await nextPush(ch, 'the handler to start computing');
          assert.ok(isAtom(computing, 'computing'));
          const closing = ts.server.close(10_000);
          assert.ok(termEqual(await answer, tuple(atom('done'), 100)), 'the answer in progress was sent');
          await closing;
          const line = await ts.waitForLog(
            byEvent('channelClosed', (l) => l.service === 'suite'),
            'channelClosed',
          );
          assert.equal(line.reason, reason);
          assert.equal(ts.logs.filter(byEvent('workerCrashed')).length, 0);
        } finally {
          await ts.close();
        }
      });
    }
  });
}

handlerSuite('inline');
handlerSuite('worker');
