/**
 * Message schemas (`{schema, "file.json"}`): a JSON Schema over the JSON view
 * of terms, compiled once at start-up. A valid message reaches the handler; an
 * invalid rpc gets an error reply with the validation message; an invalid cast
 * is dropped or closes the channel (`{on_invalid, drop | close}`), logged;
 * nothing invalid ever reaches the handler (the fixture counts what does).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ChanError } from '../../src/errors.ts';
import type { Channel } from '../../src/chan/channel.ts';
import { atom, isTuple, termEqual, tuple, type Term } from '../../src/wire/etf/term.ts';
import { TRANSPORTS } from '../helpers/transports.ts';
import { HANDLERS, startTestServer, type LogLine, type TestServer } from '../helpers/start-server.ts';
import { deadline } from '../helpers/latch.ts';

const tcp = TRANSPORTS[0];
const SCHEMA = path.join(HANDLERS, 'counter.schema.json');
const byEvent =
  (event: string, extra: (l: LogLine) => boolean = () => true) =>
  (l: LogLine) =>
    l.event === event && extra(l);

/** How many messages reached the handler (the `count` query itself is not counted). */
async function count(ch: Channel): Promise<number> {
  const r = await ch.rpc(atom('count'));
  assert.ok(isTuple(r, 2, 'count'));
  return r.at(1) as number;
}

const SERVICES = `
{service, counter, password, none, mfa, counter, start, notUsed, [{schema, "${SCHEMA}"}, {on_invalid, drop}, {legacy, allow}]}.
{service, strict, password, none, mfa, counter, start, notUsed, [{schema, "${SCHEMA}"}, {on_invalid, close}, {legacy, allow}]}.
{service, wcounter, password, none, mfa, counter, start, notUsed, [{schema, "${SCHEMA}"}, {isolation, worker}]}.
`;

describe('message schemas', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer(SERVICES);
  });
  after(async () => {
    await ts.close();
  });

  for (const service of ['counter', 'wcounter']) {
    test(`${service}: a valid message reaches the handler; an invalid rpc gets badMessage with the validation text and never does`, async () => {
      const ch = await tcp.connect(ts, service, null);
      try {
        assert.ok(termEqual(await ch.rpc(tuple(atom('add'), 5)), atom('ok')));
        const map = new Map<Term, Term>([
          [atom('op'), atom('ping')],
          [atom('note'), 'hi'],
        ]);
        assert.ok(termEqual(await ch.rpc(map), atom('ok')), 'a map is a JSON object in the view');
        assert.equal(await count(ch), 2);
        for (const bad of [
          tuple(atom('add'), -1),
          tuple(atom('add'), 'five'),
          atom('hello'),
          tuple(atom('add'), 1, 2),
          new Map<Term, Term>([[atom('op'), atom('pong')]]),
        ]) {
          await assert.rejects(ch.rpc(bad), (e: unknown) => {
            assert.ok(e instanceof ChanError);
            assert.equal(e.code, 'remoteError');
            assert.equal(e.details.remoteCode, 'badMessage');
            assert.match(e.message, /message/, 'the reply carries the validation message');
            return true;
          });
        }
        assert.equal(await count(ch), 2, 'no invalid message reached the handler');
        const log = await ts.waitForLog(
          byEvent('messageRejected', (l) => l.service === service),
          'messageRejected log',
        );
        assert.equal(typeof log.problem, 'string');
        assert.equal(typeof log.peer, 'string');
      } finally {
        ch.close();
      }
    });
  }

  test('on_invalid drop: an invalid cast is dropped and logged; the channel stays open', async () => {
    const ch = await tcp.connect(ts, 'counter', null);
    try {
      const before = ts.logs.filter(byEvent('messageRejected', (l) => l.service === 'counter')).length;
      ch.cast(tuple(atom('add'), -7));
      ch.cast(tuple(atom('add'), 1));
      assert.equal(await count(ch), 1, 'only the valid cast arrived');
      assert.equal(ts.logs.filter(byEvent('messageRejected', (l) => l.service === 'counter')).length, before + 1);
    } finally {
      ch.close();
    }
  });

  test('on_invalid close: an invalid cast closes the channel, logged with the reason', async () => {
    const ch = await tcp.connect(ts, 'strict', null);
    ch.cast(tuple(atom('add'), 1));
    assert.equal(await count(ch), 1);
    ch.cast(atom('nonsense'));
    await deadline(ch.closed, 5000, 'the channel to close');
    const log = await ts.waitForLog(
      byEvent('channelClosed', (l) => l.service === 'strict'),
      'channelClosed log',
    );
    assert.equal(log.reason, 'protocolError');
    assert.equal((log.details as { phase?: string }).phase, 'schema');
    assert.ok(ts.logs.some(byEvent('messageRejected', (l) => l.service === 'strict')));
  });

  test('legacy (no rpc/cast distinction on the wire): an invalid message follows on_invalid', async () => {
    const dropper = await tcp.connect(ts, 'counter', null, [], { protocol: 'legacy' });
    try {
      dropper.cast(atom('nonsense'));
      assert.equal(await count(dropper), 0, 'dropped');
    } finally {
      dropper.close();
    }
    const closer = await tcp.connect(ts, 'strict', null, [], { protocol: 'legacy' });
    closer.cast(atom('nonsense'));
    await deadline(closer.closed, 5000, 'the legacy channel to close');
  });

  test('a schema with an $id survives a reload (each service compiles its own)', async () => {
    await ts.server.reload();
    const ch = await tcp.connect(ts, 'counter', null);
    try {
      await assert.rejects(ch.rpc(atom('hello')), (e: unknown) => e instanceof ChanError && e.details.remoteCode === 'badMessage');
      assert.ok(termEqual(await ch.rpc(tuple(atom('add'), 2)), atom('ok')));
    } finally {
      ch.close();
    }
  });
});
