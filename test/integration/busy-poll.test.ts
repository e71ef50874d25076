/** `{busy_poll, Microseconds}` on a running server: every read and send pokes it, and a reload changes it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { connect } from '../../src/client/node.ts';
import { atom, tuple } from '../../src/wire/etf/term.ts';
import { startTestServer } from '../helpers/start-server.ts';

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
