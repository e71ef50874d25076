/** `{busy_poll, Microseconds}` on a running server (every read and send pokes it, a reload changes it), and the Node client's `busyPollUs`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { connect } from '../../src/client/node.ts';
import { atom, tuple } from '../../src/wire/etf/term.ts';
import { startTestServer } from '../helpers/start-server.ts';
import { BusyPoll } from '../../src/transport/busy-poll.ts';
import { ChanError } from '../../src/errors.ts';

test('busy poll - reads and sends of a channel poke it; off unless the conf says so; a reload changes the window', async () => {
  const ts = await startTestServer('{service, nameServer, password, "ABXy45", mfa, mod_name_server, start_me_up, notUsed}.', {
    extra: '{busy_poll, 100}.',
  });
  try {
    const poll = ts.server.busyPoll;
    assert.equal(poll.microseconds, 100);
    let pokes = 0;
    const poke = poll.poke;
    (poll as unknown as { poke: () => void }).poke = () => {
      pokes++;
      poke();
    };
    for (const [via, open] of [
      ['TCP', () => connect('127.0.0.1', ts.port, 'nameServer', 'ABXy45', [], { protocol: 'legacy' })],
      ['WebSocket', () => connect(`ws://127.0.0.1:${ts.server.wsPort}/chan`, 'nameServer', 'ABXy45', [], { serverKey: ts.server.publicKey })],
    ] as const) {
      const ch = await open();
      const before = pokes;
      ch.cast(tuple(atom('store'), atom('joe'), 'writing a book'));
      assert.deepEqual(await ch.rpc(tuple(atom('lookup'), atom('joe'))), tuple(atom('ok'), 'writing a book'));
      // The cast and the rpc read (one or two reads), the reply sent.
      assert.ok(pokes - before >= 2, `${via}: pokes for the rpc: ${pokes - before}`);
      ch.close();
    }

    const file = path.join(ts.dir, 'lib_chan.conf');
    writeFileSync(file, readFileSync(file, 'utf8').replace('{busy_poll, 100}.', ''));
    await ts.server.reload();
    assert.equal(poll.microseconds, 0, 'the conf without the term: off');
    assert.equal(ts.server.config.busyPollUs, 0);
  } finally {
    await ts.close();
  }
});

test('busy poll - the Node client: busyPollUs gives a channel a poller that every read and send pokes (TCP and WebSocket); a bad value is refused before connecting', async () => {
  const ts = await startTestServer('{service, nameServer, password, "ABXy45", mfa, mod_name_server, start_me_up, notUsed}.');
  // Pollers made from now on (the client's; the server's is older) count their pokes here.
  const poke = BusyPoll.prototype.poke;
  let pokes = 0;
  BusyPoll.prototype.poke = function (this: BusyPoll): void {
    pokes++;
    poke.call(this);
  };
  try {
    const lookup = tuple(atom('lookup'), atom('joe'));
    for (const [via, open] of [
      ['TCP', (o: { busyPollUs?: number }) => connect('127.0.0.1', ts.port, 'nameServer', 'ABXy45', [], { serverKey: ts.server.publicKey, ...o })],
      [
        'WebSocket',
        (o: { busyPollUs?: number }) =>
          connect(`ws://127.0.0.1:${ts.server.wsPort}/chan`, 'nameServer', 'ABXy45', [], { serverKey: ts.server.publicKey, ...o }),
      ],
    ] as const) {
      const plain = await open({});
      await plain.rpc(lookup);
      plain.close();
      assert.equal(pokes, 0, `${via}: no poller without the option`);
      const polled = await open({ busyPollUs: 200 });
      const before = pokes;
      await polled.rpc(lookup);
      assert.ok(pokes - before >= 2, `${via}: the rpc's send and its reply poke the poller (${pokes - before})`);
      polled.close();
      pokes = 0;
      for (const bad of [-1, 1.5, 10_001]) {
        await assert.rejects(open({ busyPollUs: bad }), (e: unknown) => {
          assert.ok(e instanceof ChanError && e.code === 'badArgument', String(e));
          assert.match(e.message, /busyPollUs must be an integer from 0 to 10000 \(microseconds\)/);
          return true;
        });
      }
    }
  } finally {
    BusyPoll.prototype.poke = poke;
    await ts.close();
  }
});
