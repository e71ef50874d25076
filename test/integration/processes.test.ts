/**
 * `{processes, N}`: the gateway as several processes on one port. The
 * primary stops accepting (acceptInHelpersOnly) so that every connection
 * goes through a helper's login: a `{state, shared}` service's channels
 * must still meet in the primary (the name server's one table), with every
 * byte a client sent behind its login delivered in order; a
 * `{state, per_process}` service runs where the login ran. Then what the
 * primary owes its helpers: restart after a crash, and a shutdown that
 * leaves none running.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../../src/client/node.ts';
import type { Channel } from '../../src/chan/channel.ts';
import { atom, isAtom, termEqual, tuple } from '../../src/wire/etf/term.ts';
import { encodeTerm } from '../../src/wire/etf/encode.ts';
import { encodeFrame } from '../../src/wire/frame.ts';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import { Raw } from '../helpers/ops-client.ts';
import { alive } from '../helpers/latch.ts';

const CONF = [
  '{processes, 2}.',
  '{log_level, warn}.',
  '{service, nameServer, password, "ABXy45", mfa, mod_name_server, start_me_up, notUsed}.',
  '{service, open, password, none, mfa, mod_name_server, start_me_up, notUsed}.',
  '{service, here, password, none, mfa, procs, pid, notUsed, [{state, per_process}]}.',
  '{service, primary, password, none, mfa, procs, pid, notUsed}.',
].join('\n');

describe('{processes, 2}: logins in a helper, shared services in the primary', () => {
  let ts: TestServer;
  let helperPid: number;
  const open = (service: string, password: string | null, protocol: 'secure' | 'legacy'): Promise<Channel> =>
    connect('127.0.0.1', ts.port, service, password, [], { protocol, serverKey: ts.server.publicKey });

  before(async () => {
    ts = await startTestServer(CONF, { websocket: false });
    assert.equal(ts.server.processIds.length, 1);
    helperPid = ts.server.processIds[0];
    await ts.server.acceptInHelpersOnly();
  });
  after(async () => {
    await ts.close();
    assert.equal(alive(helperPid), false, 'the helper exits with the primary');
  });

  test('a per_process service runs in the helper that accepted; a shared one in the primary', async () => {
    for (const protocol of ['secure', 'legacy'] as const) {
      const here = await open('here', null, protocol);
      const primary = await open('primary', null, protocol);
      assert.equal(await here.rpc(atom('who')), helperPid, protocol);
      assert.equal(await primary.rpc(atom('who')), process.pid, protocol);
      here.close();
      primary.close();
    }
  });

  test('channels of the shared name server share one table, whichever protocol logged in', async () => {
    const a = await open('nameServer', 'ABXy45', 'secure');
    const b = await open('nameServer', 'ABXy45', 'legacy');
    a.cast(tuple(atom('store'), atom('joe'), 'writing a book'));
    assert.ok(termEqual(await a.rpc(tuple(atom('lookup'), atom('joe'))), tuple(atom('ok'), 'writing a book')));
    assert.ok(termEqual(await b.rpc(tuple(atom('lookup'), atom('joe'))), tuple(atom('ok'), 'writing a book')));
    b.cast(tuple(atom('store'), atom('jim'), 'reading it'));
    assert.ok(termEqual(await b.rpc(tuple(atom('lookup'), atom('jim'))), tuple(atom('ok'), 'reading it')));
    assert.ok(termEqual(await a.rpc(tuple(atom('lookup'), atom('jim'))), tuple(atom('ok'), 'reading it')));
    a.close();
    b.close();
  });

  test('many logins at once: each hand-over carries its own keys (the IPC channel queues them)', async () => {
    const chans = await Promise.all(
      Array.from({ length: 16 }, (_, i) => open(i % 4 === 0 ? 'open' : 'nameServer', i % 4 === 0 ? null : 'ABXy45', i % 2 === 0 ? 'secure' : 'legacy')),
    );
    for (const [i, ch] of chans.entries()) ch.cast(tuple(atom('store'), atom(`k${i}`), i));
    // Each channel's own lookup comes after its store: once all answer, every store is in the one table.
    await Promise.all(chans.map((ch, i) => ch.rpc(tuple(atom('lookup'), atom(`k${i}`)))));
    const got = await Promise.all(chans.map((ch, i) => ch.rpc(tuple(atom('lookup'), atom(`k${(i + 1) % 16}`)))));
    got.forEach((t, i) => assert.ok(termEqual(t, tuple(atom('ok'), (i + 1) % 16)), `channel ${i}`));
    for (const ch of chans) ch.close();
  });

  test('frames sent behind the login, and a frame split around the hand-over, arrive whole and in order', async () => {
    const raw = await Raw.connect(ts.port);
    const frames = [
      encodeFrame(encodeTerm(tuple(atom('startService'), atom('open'), []))),
      ...Array.from({ length: 20 }, (_, i) => encodeFrame(encodeTerm(tuple(atom('store'), i, `v${i}`)))),
    ];
    const last = encodeFrame(encodeTerm(tuple(atom('lookup'), 19)));
    // One write: the login, 20 casts and half of the lookup, which the helper reads before the hand-over.
    raw.write(Buffer.concat([...frames, last.subarray(0, 5)]));
    assert.ok(isAtom(await raw.term(0), 'ack'));
    raw.write(last.subarray(5));
    assert.ok(termEqual(await raw.term(1), tuple(atom('ok'), 'v19')));
    raw.sendTerm(tuple(atom('lookup'), 0));
    assert.ok(termEqual(await raw.term(2), tuple(atom('ok'), 'v0')));
    raw.destroy();
  });

  test('a wrong password is refused in the helper, with nothing handed over', async () => {
    await assert.rejects(open('nameServer', 'wrong', 'secure'), (e: Error & { code?: string }) => e.code === 'authFail');
    const ok = await open('nameServer', 'ABXy45', 'secure');
    assert.equal(await ok.rpc(tuple(atom('lookup'), atom('nobody'))), undefined);
    ok.close();
  });
});

describe('{processes, 2}: the primary keeps its helpers', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer(CONF, { websocket: false });
  });
  after(() => ts.close());

  test('a helper that dies is started again, and the gateway serves on', async () => {
    const [first] = ts.server.processIds;
    process.kill(first, 'SIGKILL');
    await ts.waitForLog((l) => l.event === 'processExited' && l.pid === first, 'the primary to see its helper exit');
    await ts.waitForLog((l) => l.event === 'processStarted' && l.pid !== first && l.index === 1, 'a new helper');
    assert.equal(ts.server.processIds.length, 1);
    assert.notEqual(ts.server.processIds[0], first);
    const ch = await connect('127.0.0.1', ts.port, 'nameServer', 'ABXy45', [], { serverKey: ts.server.publicKey });
    ch.cast(tuple(atom('store'), atom('k'), 1));
    assert.ok(termEqual(await ch.rpc(tuple(atom('lookup'), atom('k'))), tuple(atom('ok'), 1)));
    ch.close();
  });
});
