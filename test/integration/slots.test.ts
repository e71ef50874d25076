/**
 * Issue 10, finding 9 (slots): connections an attacker can hold without a
 * credential. Sockets waiting for their WebSocket upgrade are bounded per
 * address (maxConnectionsPerAddress), as accepted connections are; channels
 * that logged in without a credential may take at most maxAnonymousChannels
 * (they never expire by themselves), so a few addresses cannot fill every
 * slot and lock password users out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ChanError } from '../../src/errors.ts';
import { connect } from '../../src/client/node.ts';
import type { Channel } from '../../src/chan/channel.ts';
import { startTestServer } from '../helpers/start-server.ts';
import { connectFrom } from '../helpers/ops-client.ts';
import { deadline } from '../helpers/latch.ts';

const SERVICES = '{service, open, password, none, mfa, echo, start, notUsed}.\n{service, vault, password, "pw", mfa, echo, start, notUsed}.';
const isCode = (c: string) => (e: unknown) => e instanceof ChanError && e.code === c;

function rawFrom(port: number, localAddress: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress }, () => resolve(s));
    s.once('error', reject);
  });
}

test('WebSocket: sockets that never upgrade are bounded per address; another address still connects', async () => {
  // A long handshake timeout: only the per-address bound can close the extra socket in time.
  const ts = await startTestServer(SERVICES, {
    extra: '{limits, [{maxConnectionsPerAddress, 3}, {handshakeTimeoutMs, 60000}]}.',
    websocket: '[{port, 0}, {path, "/chan"}, {bind, "127.0.0.1"}]',
  });
  const socks: net.Socket[] = [];
  try {
    for (let i = 0; i < 3; i++) socks.push(await rawFrom(ts.server.wsPort, '127.0.0.70'));
    const extra = await rawFrom(ts.server.wsPort, '127.0.0.70');
    socks.push(extra);
    await deadline(new Promise((r) => extra.once('close', r)), 5000, 'the fourth idle socket from one address to be closed');
    const hit = await ts.waitForLog((l) => l.event === 'limitHit' && l.key === 'maxConnectionsPerAddress' && l.listener === 'ws', 'limitHit log');
    assert.equal(hit.phase, 'upgrade');
    assert.equal(
      socks.slice(0, 3).every((s) => !s.destroyed),
      true,
      'the first three still wait',
    );
    (await connect(`ws://127.0.0.1:${ts.server.wsPort}/chan`, 'vault', 'pw', [], { serverKey: ts.server.publicKey })).close();
  } finally {
    for (const s of socks) s.destroy();
    await ts.close();
  }
});

test('channels without a credential take at most maxAnonymousChannels; password logins still get in', async () => {
  const ts = await startTestServer(SERVICES, { extra: '{limits, [{maxAnonymousChannels, 2}]}.', websocket: false });
  const open: Channel[] = [];
  try {
    const key = ts.server.publicKey;
    open.push(await connectFrom('127.0.0.80', ts.port, 'open', null, [], { serverKey: key }));
    open.push(await connectFrom('127.0.0.81', ts.port, 'open', null, [], { protocol: 'legacy' }));
    await assert.rejects(connectFrom('127.0.0.82', ts.port, 'open', null, [], { serverKey: key }), isCode('limitExceeded'));
    await assert.rejects(connectFrom('127.0.0.83', ts.port, 'open', null, [], { protocol: 'legacy' }), isCode('authFail'));
    const busy = ts.logs.filter((l) => l.event === 'handshake' && l.result === 'serverBusy');
    assert.equal(busy.length, 2);
    open.push(await connectFrom('127.0.0.84', ts.port, 'vault', 'pw', [], { serverKey: key }));
    // A slot freed is a slot to take.
    open.shift()!.close();
    await ts.waitForLog((l) => l.event === 'channelClosed' && String(l.peer).startsWith('127.0.0.80:'), 'the first channel to close');
    open.push(await connectFrom('127.0.0.85', ts.port, 'open', null, [], { serverKey: key }));
  } finally {
    for (const ch of open) ch.close();
    await ts.close();
  }
});

test('maxConnectionsPerAddress counts an address prefix as one client (addressPrefixV4 24 here; IPv6 /64 by default)', async () => {
  const ts = await startTestServer(SERVICES, { extra: '{limits, [{maxConnectionsPerAddress, 2}, {addressPrefixV4, 24}]}.', websocket: false });
  const socks: net.Socket[] = [];
  try {
    socks.push(await rawFrom(ts.port, '127.0.3.1'), await rawFrom(ts.port, '127.0.3.2'));
    const third = await rawFrom(ts.port, '127.0.3.3');
    socks.push(third);
    await deadline(new Promise((r) => third.once('close', r)), 5000, 'the third connection from the /24 to be closed');
    const hit = await ts.waitForLog((l) => l.event === 'limitHit' && l.key === 'maxConnectionsPerAddress', 'limitHit log');
    assert.match(String(hit.peer), /^127\.0\.3\.3:/);
    // Another /24 is another client.
    (await connectFrom('127.0.4.1', ts.port, 'vault', 'pw', [], { serverKey: ts.server.publicKey })).close();
  } finally {
    for (const s of socks) s.destroy();
    await ts.close();
  }
});
