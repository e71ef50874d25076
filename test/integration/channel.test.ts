/**
 * The name server, pushes, errors and abuse over real sockets on loopback,
 * for every transport and both protocols.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ChanError } from '../../src/errors.ts';
import { atom, isTuple, termEqual, tuple, type Term } from '../../src/wire/etf/term.ts';
import { encodeTerm } from '../../src/wire/etf/encode.ts';
import { decodeTerm } from '../../src/wire/etf/decode.ts';
import { TRANSPORTS } from '../helpers/transports.ts';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import { RawClient } from '../helpers/raw-socket.ts';
import { deadline } from '../helpers/latch.ts';

const PROTOCOLS = ['secure', 'legacy'] as const;

const SERVICES = `
{service, nameServer, password, "ABXy45", mfa, mod_name_server, start_me_up, notUsed}.
{service, chat, password, none, mfa, mod_chat, start, "lobby"}.
{service, echo, password, "pw", mfa, echo, start, {server, args}}.
{service, ignore, password, none, mfa, echo, ignore, notUsed}.
{service, thrower, password, none, mfa, echo, throwOnMessage, notUsed}.
{service, crasher, password, none, mfa, echo, crashOnStart, notUsed}.
{service, cb, password, none, mfa, echo, callback, notUsed}.
{service, secureOnly, password, "pw", mfa, echo, start, notUsed, [{auth, [password]}]}.
`;

const isCode = (code: string) => (e: unknown) => e instanceof ChanError && e.code === code;

for (const transport of TRANSPORTS) {
  for (const protocol of PROTOCOLS) {
    describe(`${transport.name} / ${protocol}`, () => {
      let ts: TestServer;
      before(async () => {
        ts = await startTestServer(SERVICES);
      });
      after(async () => {
        await ts.close();
      });
      const open = (service: string, password: string | null, argsC: Term = [], extra = {}) =>
        transport.connect(ts, service, password, argsC, { protocol, ...extra });

      test("the book's name-server session", async () => {
        const ch = await open('nameServer', 'ABXy45');
        try {
          ch.cast(tuple(atom('store'), atom('joe'), 'writing a book'));
          assert.ok(termEqual(await ch.rpc(tuple(atom('lookup'), atom('joe'))), tuple(atom('ok'), 'writing a book')));
          assert.equal(await ch.rpc(tuple(atom('lookup'), atom('jim'))), undefined);
        } finally {
          ch.close();
        }
      });

      test('ArgsC and ArgsS reach the handler', async () => {
        const ch = await open('echo', 'pw', tuple(atom('client'), 'args'));
        try {
          const r = await ch.rpc(tuple(atom('args')));
          assert.ok(termEqual(r, tuple(tuple(atom('client'), 'args'), tuple(atom('server'), atom('args')))));
        } finally {
          ch.close();
        }
      });

      test('wrong password is authFail, and the server logs it', async () => {
        await assert.rejects(open('nameServer', 'wrong'), isCode('authFail'));
        await ts.waitForLog((l) => l.event === 'handshake' && l.result === 'authFail', 'authFail log');
      });

      test('unknown service is badService', async () => {
        await assert.rejects(open('noSuchService', 'x'), isCode('badService'));
      });

      test('a handler that throws closes only its channel; the name server keeps answering', async () => {
        const good = await open('nameServer', 'ABXy45');
        const bad = await open('thrower', null);
        try {
          const p = bad.rpc(atom('boom'), { timeoutMs: 5000 });
          // Secure: the waiting call gets an error reply naming handlerCrashed; legacy cannot carry one.
          await assert.rejects(
            p,
            (e: unknown) =>
              e instanceof ChanError &&
              (protocol === 'secure' ? e.code === 'remoteError' && e.details.remoteCode === 'handlerCrashed' : e.code === 'connectionLost'),
          );
          await ts.waitForLog((l) => l.event === 'handlerCrashed' && l.service === 'thrower', 'handlerCrashed log');
          assert.equal(await good.rpc(tuple(atom('lookup'), atom('nobody'))), undefined);
        } finally {
          good.close();
          bad.close();
        }
      });

      test('a handler that crashes on start closes its channel with a logged reason', async () => {
        const ch = await open('crasher', null);
        const info = await deadline(ch.closed, 5000, 'channel close');
        // The server closed it (this client never called close()).
        assert.notEqual(info.reason, 'closed');
        assert.equal(ch.isOpen, false);
        await ts.waitForLog((l) => l.event === 'handlerCrashed' && l.service === 'crasher', 'crash log');
      });

      test('rpc times out when the handler never answers', async () => {
        const ch = await open('ignore', null);
        try {
          await assert.rejects(ch.rpc(atom('hello'), { timeoutMs: 50 }), isCode('timeout'));
        } finally {
          ch.close();
        }
      });

      test('callback-style handler answers with its return value', async () => {
        const ch = await open('cb', null);
        try {
          assert.ok(termEqual(await ch.rpc(1), tuple(atom('cb'), 1)));
        } finally {
          ch.close();
        }
      });

      test('pushes reach the other members of the chat room', async () => {
        const a = await open('chat', null, 'alice');
        const b = await open('chat', null, 'bob');
        try {
          const it = a[Symbol.asyncIterator]();
          const joined = await deadline(it.next(), 5000, 'join push');
          assert.ok(isTuple(joined.value, 2, 'joined'));
          b.cast(tuple(atom('say'), 'hello'));
          const said = await deadline(it.next(), 5000, 'said push');
          assert.ok(termEqual(said.value, tuple(atom('said'), 'bob', 'hello')));
          const who = await b.rpc(atom('who'));
          assert.deepEqual([...(who as string[])].sort(), ['alice', 'bob']);
        } finally {
          a.close();
          b.close();
        }
      });

      test('server close ends the client channel: pending rpcs reject', async () => {
        const ch = await open('ignore', null);
        const p = ch.rpc(atom('x'), { timeoutMs: 10_000 });
        ch.close();
        await assert.rejects(p, isCode('closed'));
        assert.throws(() => ch.cast(1), isCode('closed'));
      });

      if (protocol === 'secure') {
        test('many rpcs in flight on one channel, each gets its own answer; pushes are never replies', async () => {
          const ch = await open('echo', 'pw');
          try {
            const pushes: Term[] = [];
            ch.onPush((m) => pushes.push(m));
            const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => ch.rpc(i % 5 === 0 ? tuple(atom('push'), 2) : i)));
            replies.forEach((r, i) => assert.ok(termEqual(r, tuple(atom('echo'), i % 5 === 0 ? tuple(atom('push'), 2) : i)), `reply ${i}`));
            assert.equal(pushes.length, 20);
          } finally {
            ch.close();
          }
        });

        test('a burst of casts and rpcs in one tick (sent in batch records) is taken in order: each lookup finds the store just before it', async () => {
          const ch = await open('nameServer', 'ABXy45');
          try {
            // Values of 2 KiB now and then are records sent alone, between batches; 2,000 records make several batches each way.
            const value = (i: number): Term => (i % 97 === 0 ? 'v'.repeat(2048) : `v${i}`);
            const answers: Array<Promise<Term>> = [];
            for (let i = 0; i < 1000; i++) {
              // One key written again and again: a record taken out of its place would show as another value.
              ch.cast(tuple(atom('store'), atom('k'), value(i)));
              answers.push(ch.rpc(tuple(atom('lookup'), atom('k'))));
            }
            const got = await Promise.all(answers);
            got.forEach((r, i) => assert.ok(termEqual(r, tuple(atom('ok'), value(i))), `lookup ${i}`));
          } finally {
            ch.close();
          }
        });

        test('a service that forbids the legacy login still takes the secure one', async () => {
          const ch = await open('secureOnly', 'pw');
          ch.close();
        });
      } else {
        test('legacy rpcs queue one at a time, in order', async () => {
          const ch = await open('echo', 'pw');
          try {
            const replies = await Promise.all([1, 2, 3, 4].map((i) => ch.rpc(i)));
            replies.forEach((r, i) => assert.ok(termEqual(r, tuple(atom('echo'), i + 1))));
          } finally {
            ch.close();
          }
        });

        test('a legacy rpc that times out closes the channel (a late reply cannot be matched)', async () => {
          const ch = await open('ignore', null);
          await assert.rejects(ch.rpc(1, { timeoutMs: 30 }), isCode('timeout'));
          await deadline(ch.closed, 5000, 'close');
          assert.equal(ch.isOpen, false);
        });

        test('a legacy login to a service that forbids it gets legacyRefused', async () => {
          await assert.rejects(open('secureOnly', 'pw'), isCode('legacyRefused'));
          await ts.waitForLog((l) => l.event === 'handshake' && l.result === 'legacyRefused', 'legacyRefused log');
        });
      }
    });
  }
}

describe('abuse over raw TCP: each closes only its own connection, with a logged reason', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer(SERVICES, { extra: '{limits, [{handshakeTimeoutMs, 300}, {maxFrameBytes, 65536}]}.' });
  });
  after(async () => {
    await ts.close();
  });

  async function stillServes(): Promise<void> {
    const ch = await TRANSPORTS[0].connect(ts, 'nameServer', 'ABXy45', [], { protocol: 'legacy' });
    try {
      assert.equal(await ch.rpc(tuple(atom('lookup'), atom('nobody'))), undefined);
    } finally {
      ch.close();
    }
  }

  test('a first frame that is not a term', async () => {
    const raw = await RawClient.connect(ts.port);
    raw.sendFrame(new Uint8Array([1, 2, 3]));
    await raw.waitClosed();
    await ts.waitForLog((l) => l.event === 'handshake' && l.result === 'protocolError', 'protocolError log');
    await stillServes();
  });

  test('a malformed term', async () => {
    const raw = await RawClient.connect(ts.port);
    raw.sendFrame(new Uint8Array([131, 108, 0xff, 0xff, 0xff, 0xff, 97]));
    await raw.waitClosed();
    await ts.waitForLog((l) => l.event === 'handshake' && l.result === 'badTerm', 'badTerm log');
    await stillServes();
  });

  test('a first term that is not startService', async () => {
    const raw = await RawClient.connect(ts.port);
    raw.sendFrame(encodeTerm(tuple(atom('hello'), atom('world'))));
    await raw.waitClosed();
    await stillServes();
  });

  test('an oversized length prefix, before any handshake', async () => {
    const raw = await RawClient.connect(ts.port);
    raw.write(new Uint8Array([0x10, 0, 0, 0])); // announces 256 MiB
    await raw.waitClosed();
    await ts.waitForLog((l) => l.event === 'handshake' && l.result === 'frameTooLarge', 'frameTooLarge log');
    await stillServes();
  });

  test('a stalled handshake is closed after handshakeTimeoutMs', async () => {
    const raw = await RawClient.connect(ts.port);
    raw.sendFrame(encodeTerm(tuple(atom('startService'), atom('nameServer'), [])));
    await raw.waitClosed();
    assert.ok(raw.frames.length === 1 && isTuple(decodeTerm(raw.frames[0]), 2, 'challenge'));
    await ts.waitForLog((l) => l.event === 'handshake' && l.result === 'handshakeTimeout', 'handshakeTimeout log');
    await stillServes();
  });

  test('garbage after a successful login closes that channel with badTerm', async () => {
    const raw = await RawClient.connect(ts.port);
    raw.sendFrame(encodeTerm(tuple(atom('startService'), atom('chat'), 'mallory')));
    raw.sendFrame(new Uint8Array([131, 250]));
    await raw.waitClosed();
    await ts.waitForLog((l) => l.event === 'channelClosed' && l.reason === 'badTerm', 'channelClosed badTerm');
    await stillServes();
  });

  test('the client gets a clear error when the server is gone', async () => {
    const other = await startTestServer(SERVICES);
    const port = other.port;
    await other.close();
    await assert.rejects(TRANSPORTS[0].connect({ ...ts, port } as TestServer, 'nameServer', 'ABXy45', [], { protocol: 'legacy' }), isCode('connectionRefused'));
  });
});
