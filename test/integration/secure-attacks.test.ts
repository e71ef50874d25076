/**
 * The secure channel under attack, end to end over real sockets on
 * 127.0.0.1 (issue 3, point 7; docs/protocol.md 4.1 Claims). A middlebox
 * (test/helpers/middlebox.ts) sits between our client and our server and
 * flips, drops, reorders, replays or truncates frame N in either direction,
 * during the handshake and on data records; impostor servers, a fake
 * legacy server and the Erlang lib_chan server try to learn a credential or
 * force a downgrade. Every test asserts the client's error code, the reason
 * the server logged for that very connection (matched by its peer address),
 * and that other clients are still served.
 *
 * Frame numbering per connection (the middlebox counts from 0):
 *   client->server: 0 hello, 1 auth, 2.. records
 *   server->client: 0 reply, 1 result, 2.. records
 * In the handshake the client->server direction is lock-step (the client
 * sends the auth only after the reply, and records only after the result),
 * so a client->server reorder there is just a drop; it is covered by the
 * server->client reorder of the result with the first push.
 */
import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChanError, type ErrorCode } from '../../src/errors.ts';
import { connect, type NodeConnectOptions } from '../../src/client/node.ts';
import type { Channel } from '../../src/chan/channel.ts';
import { atom, termEqual, tuple, type Term } from '../../src/wire/etf/term.ts';
import { encodeTerm } from '../../src/wire/etf/encode.ts';
import { generateKeyFile } from '../../src/auth/keys-node.ts';
import { encodePublicKey } from '../../src/auth/keys.ts';
import { nodeProvider } from '../../src/auth/crypto-node.ts';
import { hashPassword } from '../../src/auth/password-hash-node.ts';
import { clientStart, serverOnAuth, serverOnHello, serverResult, type ServerAwaitAuth } from '../../src/auth/secure/handshake.ts';
import { startTestServer, type LogLine, type TestServer } from '../helpers/start-server.ts';
import { Middlebox, type Fault } from '../helpers/middlebox.ts';
import { FakeServer } from '../helpers/fake-server.ts';
import { RawClient } from '../helpers/raw-socket.ts';
import { deadline } from '../helpers/latch.ts';
import { ErlServer, erlSkip } from '../helpers/erl-peer.ts';

const HOST = '127.0.0.1';
const MAGIC_V1 = [0x4c, 0x43, 0x53, 0x43, 0x01];
const HELLO_BYTES = 37;
const REPLY_BYTES = 102;
const HASHED_PASSWORD = 'correct horse battery staple';
const ERL_CONF = fileURLToPath(new URL('../fixtures/interop/lib_chan.conf', import.meta.url));

// Handshake timeout of the "strict" server: tests that stall a login wait this long.
const STRICT_HANDSHAKE_MS = 400;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lib_chan-attacks-'));
const CLIENT_KEY_FILE = path.join(dir, 'client.key');
const OTHER_KEY_FILE = path.join(dir, 'other.key');
const clientKey = generateKeyFile(CLIENT_KEY_FILE, 'client', nodeProvider);
generateKeyFile(OTHER_KEY_FILE, 'client', nodeProvider);

function services(hash: string): string {
  return `
{service, nameServer, password, "ABXy45", mfa, mod_name_server, start_me_up, notUsed}.
{service, echo, password, "pw", mfa, echo, start, notUsed}.
{service, greeter, password, "pw", mfa, greeter, start, notUsed}.
{service, hashed, password, {scrypt, "${hash}"}, mfa, echo, start, notUsed, [{auth, [password]}]}.
{service, keyed, password, none, mfa, echo, start, notUsed, [{auth, [key]}, {client_keys, ["${encodePublicKey('client', clientKey.publicKey)}"]}]}.
{service, secureOnly, password, "pw", mfa, echo, start, notUsed, [{auth, [password]}]}.
{service, noLegacy, password, "pw", mfa, echo, start, notUsed, [{legacy, deny}]}.
`;
}

let ts: TestServer; // default limits
let strict: TestServer; // short handshakeTimeoutMs
let bystander: Channel; // logged in before every attack; must keep working
const boxes: { close(): Promise<void> }[] = [];

before(async () => {
  const hash = await hashPassword(HASHED_PASSWORD, { N: 16384, r: 8, p: 1 });
  [ts, strict] = await Promise.all([
    startTestServer(services(hash), { websocket: false }),
    startTestServer(services(hash), { websocket: false, extra: `{limits, [{handshakeTimeoutMs, ${STRICT_HANDSHAKE_MS}}]}.` }),
  ]);
  bystander = await secure(ts, 'nameServer', 'ABXy45');
  bystander.cast(tuple(atom('store'), atom('joe'), 'writing a book'));
});

after(async () => {
  bystander?.close();
  await Promise.all([ts?.close(), strict?.close()]);
  fs.rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await Promise.all(boxes.splice(0).map((b) => b.close()));
});

// ---- helpers ----

/** Connect straight to `server` with its key pinned. */
function secure(server: TestServer, service: string, password: string | null, options: NodeConnectOptions = {}): Promise<Channel> {
  return connect(HOST, server.port, service, password, [], { serverKey: server.server.publicKey, ...options });
}

/** A middlebox in front of `server` (closed after the test). */
async function middlebox(server: { port: number }, faults: Fault[] = []): Promise<Middlebox> {
  const mb = await Middlebox.start({ port: server.port }, faults);
  boxes.push(mb);
  return mb;
}

/** Connect through `mb`, pinning `server`'s key (the middlebox is invisible to a working login). */
function through(mb: Middlebox, server: TestServer, service: string, password: string | null, options: NodeConnectOptions = {}): Promise<Channel> {
  return connect(HOST, mb.port, service, password, [], { serverKey: server.server.publicKey, ...options });
}

/** An assert.rejects predicate: a ChanError with this code (and whatever `more` checks). */
function code(expected: ErrorCode, more: (e: ChanError) => void = () => {}): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof ChanError, `expected ChanError ${expected}, got ${String(e)}`);
    assert.equal(e.code, expected, `expected ${expected}, got ${e.code}: ${e.message}`);
    more(e);
    return true;
  };
}

/** The server's log line of `event` about the connection `peer`. */
function logOf(server: TestServer, event: string, peer: string, what = `${event} log for ${peer}`): Promise<LogLine> {
  const pred = (l: LogLine): boolean => l.event === event && l.peer === peer;
  // The newest such line: an earlier connection of this file may have had the same ephemeral port.
  const last = [...server.logs].reverse().find(pred);
  return last ? Promise.resolve(last) : server.waitForLog(pred, what);
}

function detailsOf(l: LogLine): Record<string, unknown> {
  return (l.details ?? {}) as Record<string, unknown>;
}

/** No login was acknowledged for this connection. */
function assertNoAck(server: TestServer, peer: string): void {
  const acks = server.logs.filter((l) => l.event === 'handshake' && l.peer === peer && l.result === 'ack');
  assert.deepEqual(acks, [], `the server acknowledged a login from ${peer}`);
}

/** The existing channel still answers, and a new client still logs in, on `server`. */
async function stillServed(server: TestServer = ts): Promise<void> {
  if (server === ts) {
    const r = await bystander.rpc(tuple(atom('lookup'), atom('joe')), { timeoutMs: 5000 });
    assert.ok(termEqual(r, tuple(atom('ok'), 'writing a book')), 'the bystander channel still answers');
  }
  const ch = await secure(server, 'echo', 'pw');
  try {
    assert.ok(termEqual(await ch.rpc(7), tuple(atom('echo'), 7)));
  } finally {
    ch.close();
  }
}

function bytesContain(hay: Uint8Array, needle: string): boolean {
  return Buffer.from(hay).includes(Buffer.from(needle, 'utf8'));
}

/** Exactly one frame, the 37-byte secure hello, went from the client: no auth, no legacy term, no password. */
function assertOnlyHello(frames: Uint8Array[]): void {
  assert.equal(frames.length, 1, `the client sent ${frames.length} frames: ${frames.map((f) => f.length).join(', ')} bytes`);
  assert.equal(frames[0].length, HELLO_BYTES);
  assert.deepEqual([...frames[0].subarray(0, 5)], MAGIC_V1);
}

// ---- happy paths ----

describe('logins that must work', () => {
  test("password: the book's name-server session; the login is confidential on the wire", async () => {
    const mb = await middlebox(ts);
    const ch = await through(mb, ts, 'nameServer', 'ABXy45');
    try {
      ch.cast(tuple(atom('store'), atom('jim'), 'reading a book'));
      assert.ok(termEqual(await ch.rpc(tuple(atom('lookup'), atom('jim'))), tuple(atom('ok'), 'reading a book')));
      assert.equal(await ch.rpc(tuple(atom('lookup'), atom('nobody'))), undefined);
    } finally {
      ch.close();
    }
    const pipe = mb.pipes[0];
    await deadline(pipe.clientClosed, 5000, 'client close');
    const [hello, auth] = pipe.frames.c2s;
    assert.deepEqual([...hello.subarray(0, 5)], MAGIC_V1);
    assert.equal(auth.length, 80, 'auth of nameServer/ABXy45 is 16 + 64 bytes (docs/protocol.md 4.10)');
    assert.equal(pipe.frames.s2c[0].length, REPLY_BYTES);
    for (const f of [...pipe.frames.c2s, ...pipe.frames.s2c]) {
      for (const secret of ['ABXy45', 'nameServer', 'reading a book']) assert.ok(!bytesContain(f, secret), `"${secret}" in clear on the wire`);
    }
    const ack = await logOf(ts, 'handshake', pipe.upstreamPeer);
    assert.equal(ack.result, 'ack');
    assert.equal(ack.method, 'secure-password');
    assert.ok(!JSON.stringify(ts.logs).includes('ABXy45'), 'the password is in the server log');
  });

  test('client key, given as a key pair and as a key file (lib_chan keygen --client, listed as lcck1:...)', async () => {
    for (const opts of [{ clientKey }, { clientKeyFile: CLIENT_KEY_FILE }]) {
      const ch = await secure(ts, 'keyed', null, opts);
      try {
        assert.ok(termEqual(await ch.rpc(atom('hi')), tuple(atom('echo'), atom('hi'))));
      } finally {
        ch.close();
      }
    }
    const acks = ts.logs.filter((l) => l.event === 'handshake' && l.service === 'keyed' && l.result === 'ack');
    assert.equal(acks.length, 2);
    assert.ok(acks.every((l) => l.method === 'secure-key'));
  });

  test('hashed password ({scrypt, Hash} in the conf)', async () => {
    const ch = await secure(ts, 'hashed', HASHED_PASSWORD);
    try {
      assert.ok(termEqual(await ch.rpc(1), tuple(atom('echo'), 1)));
    } finally {
      ch.close();
    }
    await assert.rejects(secure(ts, 'hashed', HASHED_PASSWORD.toUpperCase()), code('authFail'));
    await ts.waitForLog((l) => l.event === 'handshake' && l.service === 'hashed' && l.result === 'authFail', 'authFail for hashed');
  });

  test('trust on first use: the first connect pins the key in known_hosts, the second matches it', async () => {
    const file = path.join(dir, 'tofu', 'known_hosts');
    const hostport = `${HOST}:${ts.port}`;
    for (let i = 0; i < 2; i++) {
      const ch = await connect(HOST, ts.port, 'echo', 'pw', [], { knownHosts: file });
      try {
        assert.ok(termEqual(await ch.rpc(i), tuple(atom('echo'), i)));
      } finally {
        ch.close();
      }
      const lines = fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.trim() && !l.startsWith('#'));
      assert.deepEqual(lines, [`${hostport} ${encodePublicKey('server', ts.server.publicKey!)}`], `known_hosts after connect ${i + 1}`);
    }
  });

  test('pinned key, as lcsk1:... text', async () => {
    const ch = await connect(HOST, ts.port, 'echo', 'pw', [], { serverKey: encodePublicKey('server', ts.server.publicKey!), knownHosts: false });
    try {
      assert.ok(termEqual(await ch.rpc('x'), tuple(atom('echo'), 'x')));
    } finally {
      ch.close();
    }
  });
});

// ---- refusals ----

describe('refused logins', () => {
  test('wrong password -> authFail', async () => {
    const mb = await middlebox(ts);
    await assert.rejects(
      through(mb, ts, 'nameServer', 'abxy45'),
      code('authFail', (e) => assert.equal(e.details.result, 'authFail')),
    );
    const l = await logOf(ts, 'handshake', (await mb.pipe()).upstreamPeer);
    assert.equal(l.result, 'authFail');
    assert.equal(l.service, 'nameServer');
    await stillServed();
  });

  test('a client key the service does not list -> authFail', async () => {
    const mb = await middlebox(ts);
    await assert.rejects(
      through(mb, ts, 'keyed', null, { clientKeyFile: OTHER_KEY_FILE }),
      code('authFail', (e) => assert.equal(e.details.result, 'authFail')),
    );
    const l = await logOf(ts, 'handshake', (await mb.pipe()).upstreamPeer);
    assert.equal(l.result, 'authFail');
    assert.equal(l.method, 'key');
    await stillServed();
  });

  test('a login method the service does not accept -> authFail (methodRefused), even for a service without a password', async () => {
    const cases: [string, string | null, NodeConnectOptions][] = [
      ['keyed', 'anything', {}], // {auth, [key]}: password refused
      ['keyed', null, {}], // {auth, [key]} with password none: no credential at all is refused too
      ['secureOnly', null, { clientKey }], // {auth, [password]}: key refused
    ];
    for (const [service, password, opts] of cases) {
      const mb = await middlebox(ts);
      await assert.rejects(
        through(mb, ts, service, password, opts),
        code('authFail', (e) => assert.equal(e.details.result, 'methodRefused', `${service}: ${e.message}`)),
      );
      const l = await logOf(ts, 'handshake', (await mb.pipe()).upstreamPeer);
      assert.equal(l.result, 'methodRefused', service);
      assertNoAck(ts, (await mb.pipe()).upstreamPeer);
    }
    await stillServed();
  });

  test('unknown service -> badService', async () => {
    const mb = await middlebox(ts);
    await assert.rejects(through(mb, ts, 'noSuchService', 'x'), code('badService'));
    const l = await logOf(ts, 'handshake', (await mb.pipe()).upstreamPeer);
    assert.equal(l.result, 'badService');
    await stillServed();
  });
});

// ---- the wrong server ----

describe('a server with the wrong key (man in the middle): serverKeyMismatch, and no credential leaves the client', () => {
  let impostor: TestServer;
  before(async () => {
    impostor = await startTestServer(
      `
{service, nameServer, password, "ABXy45", mfa, mod_name_server, start_me_up, notUsed}.
{service, echo, password, "pw", mfa, echo, start, notUsed}.`,
      { websocket: false },
    );
  });
  after(async () => {
    await impostor.close();
  });

  test('an impostor with its own identity key behind the real address', async () => {
    assert.notDeepEqual(impostor.server.publicKey, ts.server.publicKey);
    const mb = await middlebox(impostor);
    await assert.rejects(
      through(mb, ts, 'nameServer', 'ABXy45'),
      code('serverKeyMismatch', (e) => {
        assert.equal(e.details.side, 'client');
        assert.notEqual(e.details.expectedFingerprint, e.details.actualFingerprint);
      }),
    );
    const pipe = await mb.pipe();
    await deadline(pipe.clientClosed, 5000, 'the client to hang up');
    assertOnlyHello(pipe.frames.c2s);
    const l = await logOf(impostor, 'handshake', pipe.upstreamPeer);
    assert.equal(l.result, 'connectionLost', 'the impostor saw the client leave without logging in');
    assertNoAck(impostor, pipe.upstreamPeer);
  });

  test('the real server, but the pin is another key', async () => {
    const mb = await middlebox(ts);
    await assert.rejects(through(mb, ts, 'nameServer', 'ABXy45', { serverKey: impostor.server.publicKey }), code('serverKeyMismatch'));
    const pipe = await mb.pipe();
    await deadline(pipe.clientClosed, 5000, 'the client to hang up');
    assertOnlyHello(pipe.frames.c2s);
    assert.equal((await logOf(ts, 'handshake', pipe.upstreamPeer)).result, 'connectionLost');
    assertNoAck(ts, pipe.upstreamPeer);
    await stillServed();
  });

  test('known_hosts: the key pinned on first use changes -> an error naming the host and the file, which is left unchanged', async () => {
    const file = path.join(dir, 'mitm', 'known_hosts');
    const mb = await middlebox(ts);
    const hostport = `${HOST}:${mb.port}`;
    const first = await connect(HOST, mb.port, 'echo', 'pw', [], { knownHosts: file });
    first.close();
    const pinned = fs.readFileSync(file);
    assert.ok(pinned.toString().includes(`${hostport} ${encodePublicKey('server', ts.server.publicKey!)}`));
    mb.target = { host: HOST, port: impostor.port }; // the attacker takes over the address
    await assert.rejects(
      connect(HOST, mb.port, 'echo', 'pw', [], { knownHosts: file }),
      code('serverKeyMismatch', (e) => {
        assert.ok(e.message.includes(hostport), `host missing from: ${e.message}`);
        assert.ok(e.message.includes(file), `file missing from: ${e.message}`);
        assert.equal(e.details.file, file);
        assert.equal(e.details.peer, hostport);
      }),
    );
    assert.deepEqual(fs.readFileSync(file), pinned, 'the known-hosts file changed');
    const pipe = await mb.pipe(1);
    await deadline(pipe.clientClosed, 5000, 'the client to hang up');
    assertOnlyHello(pipe.frames.c2s);
    assertNoAck(impostor, pipe.upstreamPeer);
  });
});

// ---- a recorded handshake, replayed ----

test('a recorded login replayed on a new connection is rejected: the auth does not decrypt under the new keys', async () => {
  const mb = await middlebox(ts);
  const ch = await through(mb, ts, 'nameServer', 'ABXy45');
  assert.ok(termEqual(await ch.rpc(tuple(atom('lookup'), atom('joe'))), tuple(atom('ok'), 'writing a book')));
  ch.close();
  const rec = await mb.pipe();
  await deadline(rec.clientClosed, 5000, 'the recorded client to hang up');
  assert.ok(rec.frames.c2s.length >= 3, 'recorded hello, auth and a record');

  const raw = await RawClient.connect(ts.port);
  const peer = `${HOST}:${raw.socket.localPort}`;
  for (const f of rec.frames.c2s) raw.sendFrame(f);
  await raw.waitClosed();
  // The server answered the replayed hello with a fresh reply, and nothing after it.
  assert.equal(raw.frames.length, 1, `the server sent ${raw.frames.length} frames to the replay`);
  assert.equal(raw.frames[0].length, REPLY_BYTES);
  assert.notDeepEqual(raw.frames[0], rec.frames.s2c[0], 'the server reused its ephemeral key');
  const l = await logOf(ts, 'handshake', peer);
  assert.equal(l.result, 'badRecord');
  assert.equal(detailsOf(l).phase, 'auth');
  assertNoAck(ts, peer);
  assert.ok(!ts.logs.some((x) => x.event === 'channelClosed' && x.peer === peer), 'a channel was opened for the replay');
  await stillServed();
});

// ---- tampering after the login ----

describe('tampering with records after the login closes the connection with the right reason', () => {
  // client->server: the client casts (frame 2), then calls (frame 3); the server detects.
  const C2S: [string, Fault, ErrorCode, number | undefined][] = [
    ['a flipped bit', { dir: 'c2s', frame: 2, action: 'flip' }, 'badRecord', 0],
    ['a dropped record', { dir: 'c2s', frame: 2, action: 'drop' }, 'badRecord', 0],
    ['reordered records', { dir: 'c2s', frame: 2, action: 'reorder' }, 'badRecord', 0],
    ['a replayed record', { dir: 'c2s', frame: 2, action: 'replay' }, 'badRecord', 1],
    ['a truncated record', { dir: 'c2s', frame: 2, action: 'truncate' }, 'connectionLost', undefined],
  ];
  for (const [what, fault, reason, counter] of C2S) {
    test(`client->server, ${what}: the server closes with ${reason}`, async () => {
      const mb = await middlebox(ts, [fault]);
      const ch = await through(mb, ts, 'echo', 'pw');
      ch.cast(atom('one'));
      await assert.rejects(ch.rpc(atom('two')), code('connectionLost'));
      const pipe = await mb.pipe();
      const l = await logOf(ts, 'channelClosed', pipe.upstreamPeer);
      assert.equal(l.reason, reason, `server logged ${String(l.reason)}: ${String(l.error)} (${pipe.applied.join('; ')})`);
      if (counter === undefined) assert.equal(detailsOf(l).phase, 'frame', 'the stream ended mid-frame');
      else {
        assert.equal(detailsOf(l).counter, counter);
        assert.equal(detailsOf(l).side, 'server');
      }
      assert.equal((await ch.closed).reason, 'connectionLost');
      await stillServed();
    });
  }

  // server->client: the client calls {push, 1}; the server pushes (frame 2), then replies (frame 3); the client detects.
  const S2C: [string, Fault, ErrorCode, number | undefined][] = [
    ['a flipped bit', { dir: 's2c', frame: 2, action: 'flip' }, 'badRecord', 0],
    ['a dropped record', { dir: 's2c', frame: 2, action: 'drop' }, 'badRecord', 0],
    ['reordered records', { dir: 's2c', frame: 2, action: 'reorder' }, 'badRecord', 0],
    ['a replayed record', { dir: 's2c', frame: 2, action: 'replay' }, 'badRecord', 1],
    ['a truncated record', { dir: 's2c', frame: 2, action: 'truncate' }, 'connectionLost', undefined],
  ];
  for (const [what, fault, expected, counter] of S2C) {
    test(`server->client, ${what}: the client closes with ${expected}`, async () => {
      const mb = await middlebox(ts, [fault]);
      const ch = await through(mb, ts, 'echo', 'pw');
      const pushes: Term[] = [];
      ch.onPush((m) => pushes.push(m));
      await assert.rejects(
        ch.rpc(tuple(atom('push'), 1)),
        code(expected, (e) => {
          if (counter === undefined) assert.equal(e.details.phase, 'frame', 'the stream ended mid-frame');
          else {
            assert.equal(e.details.counter, counter);
            assert.equal(e.details.side, 'client');
          }
        }),
      );
      const info = await ch.closed;
      assert.equal(info.reason, expected);
      // Only an intact, in-order record is ever delivered: the replay case saw the push once.
      assert.equal(pushes.length, counter === 1 ? 1 : 0);
      const l = await logOf(ts, 'channelClosed', (await mb.pipe()).upstreamPeer);
      assert.equal(l.reason, 'connectionLost', 'the server saw the client vanish without a close record');
      await stillServed();
    });
  }

  test('a stream cut at a record boundary (the close record dropped) is connectionLost, a real close is peerClosed', async () => {
    const mb = await middlebox(ts);
    for (const dropClose of [false, true]) {
      // client->server: 0 hello, 1 auth, 2 call, 3 close
      mb.faults = dropClose ? [{ dir: 'c2s', frame: 3, action: 'drop' }] : [];
      const ch = await through(mb, ts, 'echo', 'pw');
      assert.ok(termEqual(await ch.rpc(1), tuple(atom('echo'), 1)));
      ch.close();
      const pipe = await mb.pipe(dropClose ? 1 : 0);
      const l = await logOf(ts, 'channelClosed', pipe.upstreamPeer);
      assert.equal(l.reason, dropClose ? 'connectionLost' : 'peerClosed');
    }
  });
});

// ---- tampering during the handshake ----

describe('tampering with the handshake fails the login on the side that receives the bad frame', () => {
  test('client->server hello, a flipped bit in e_c: the reply does not decrypt at the client (badRecord)', async () => {
    const mb = await middlebox(ts, [{ dir: 'c2s', frame: 0, action: 'flip', bit: 20 * 8 + 3 }]);
    await assert.rejects(
      through(mb, ts, 'echo', 'pw'),
      code('badRecord', (e) => assert.equal(e.details.phase, 'reply')),
    );
    const pipe = await mb.pipe();
    assert.equal(pipe.frames.c2s.length, 1, 'the client sent its auth after a bad reply');
    const l = await logOf(ts, 'handshake', pipe.upstreamPeer);
    assert.equal(l.result, 'connectionLost');
    await stillServed();
  });

  test('client->server auth, a flipped bit: the server refuses with badRecord', async () => {
    const mb = await middlebox(ts, [{ dir: 'c2s', frame: 1, action: 'flip' }]);
    await assert.rejects(through(mb, ts, 'echo', 'pw'), code('connectionLost'));
    const pipe = await mb.pipe();
    const l = await logOf(ts, 'handshake', pipe.upstreamPeer);
    assert.equal(l.result, 'badRecord');
    assert.equal(detailsOf(l).phase, 'auth');
    assert.equal(detailsOf(l).side, 'server');
    assertNoAck(ts, pipe.upstreamPeer);
    await stillServed();
  });

  test('client->server auth, dropped: the server closes after handshakeTimeoutMs', async () => {
    const mb = await middlebox(strict, [{ dir: 'c2s', frame: 1, action: 'drop' }]);
    await assert.rejects(through(mb, strict, 'echo', 'pw'), code('connectionLost'));
    const l = await logOf(strict, 'handshake', (await mb.pipe()).upstreamPeer);
    assert.equal(l.result, 'handshakeTimeout');
    assert.ok((l.durationMs as number) >= STRICT_HANDSHAKE_MS - 5, `closed after ${String(l.durationMs)} ms`);
    await stillServed(strict);
  });

  test('client->server hello, replayed: the copy is taken for the auth and refused (badRecord)', async () => {
    const mb = await middlebox(ts, [{ dir: 'c2s', frame: 0, action: 'replay' }]);
    await assert.rejects(through(mb, ts, 'echo', 'pw'), code('connectionLost'));
    const pipe = await mb.pipe();
    const l = await logOf(ts, 'handshake', pipe.upstreamPeer);
    assert.equal(l.result, 'badRecord');
    assert.equal(detailsOf(l).phase, 'auth');
    assertNoAck(ts, pipe.upstreamPeer);
    await stillServed();
  });

  test('client->server auth, replayed: the login succeeds once, the copy fails as a record (badRecord)', async () => {
    const mb = await middlebox(ts, [{ dir: 'c2s', frame: 1, action: 'replay' }]);
    const ch = await through(mb, ts, 'echo', 'pw');
    const info = await deadline(ch.closed, 5000, 'the channel to close');
    assert.equal(info.reason, 'connectionLost');
    const pipe = await mb.pipe();
    assert.equal((await logOf(ts, 'handshake', pipe.upstreamPeer)).result, 'ack');
    const l = await logOf(ts, 'channelClosed', pipe.upstreamPeer);
    assert.equal(l.reason, 'badRecord');
    assert.equal(detailsOf(l).counter, 0);
    await stillServed();
  });

  test('client->server auth, truncated: the server sees the stream end mid-frame (connectionLost)', async () => {
    const mb = await middlebox(ts, [{ dir: 'c2s', frame: 1, action: 'truncate' }]);
    await assert.rejects(through(mb, ts, 'echo', 'pw'), code('connectionLost'));
    const pipe = await mb.pipe();
    const l = await logOf(ts, 'handshake', pipe.upstreamPeer);
    assert.equal(l.result, 'connectionLost');
    assert.equal(detailsOf(l).phase, 'frame');
    assertNoAck(ts, pipe.upstreamPeer);
    await stillServed();
  });

  const REPLY_AND_RESULT: [string, Fault, string, string][] = [
    // [what, fault, service, phase the client detects it in]
    ['reply, a flipped bit', { dir: 's2c', frame: 0, action: 'flip' }, 'echo', 'reply'],
    ['reply, replayed (the copy is taken for the result)', { dir: 's2c', frame: 0, action: 'replay' }, 'echo', 'result'],
    ['result, a flipped bit', { dir: 's2c', frame: 1, action: 'flip' }, 'echo', 'result'],
    ['result, dropped (the first push is taken for it)', { dir: 's2c', frame: 1, action: 'drop' }, 'greeter', 'result'],
    ['result, reordered with the first push', { dir: 's2c', frame: 1, action: 'reorder' }, 'greeter', 'result'],
  ];
  for (const [what, fault, service, phase] of REPLY_AND_RESULT) {
    test(`server->client ${what}: the client fails with badRecord`, async () => {
      const mb = await middlebox(ts, [fault]);
      await assert.rejects(
        through(mb, ts, service, 'pw'),
        code('badRecord', (e) => {
          assert.equal(e.details.phase, phase);
          assert.equal(e.details.side, 'client');
        }),
      );
      const pipe = await mb.pipe();
      await deadline(pipe.clientClosed, 5000, 'the client to hang up');
      // After a bad reply the client sends nothing more; after a bad result, no record.
      assert.equal(pipe.frames.c2s.length, phase === 'reply' ? 1 : 2);
      // The server saw the client leave: before its login (bad reply), or right after its ack.
      const l = await logOf(ts, phase === 'reply' ? 'handshake' : 'channelClosed', pipe.upstreamPeer);
      assert.equal(phase === 'reply' ? l.result : l.reason, 'connectionLost');
      await stillServed();
    });
  }

  test('server->client result, replayed: the login succeeds, the copy fails as the first record (badRecord)', async () => {
    const mb = await middlebox(ts, [{ dir: 's2c', frame: 1, action: 'replay' }]);
    const ch = await through(mb, ts, 'echo', 'pw');
    const info = await deadline(ch.closed, 5000, 'the channel to close');
    assert.equal(info.reason, 'badRecord');
    assert.equal(info.error?.details.counter, 0);
    const l = await logOf(ts, 'channelClosed', (await mb.pipe()).upstreamPeer);
    assert.equal(l.reason, 'connectionLost');
    await stillServed();
  });

  test('server->client reply, truncated: the client sees the stream end mid-frame (connectionLost)', async () => {
    const mb = await middlebox(ts, [{ dir: 's2c', frame: 0, action: 'truncate' }]);
    await assert.rejects(
      through(mb, ts, 'echo', 'pw'),
      code('connectionLost', (e) => assert.equal(e.details.phase, 'frame')),
    );
    const pipe = await mb.pipe();
    assert.equal(pipe.frames.c2s.length, 1);
    const l = await logOf(ts, 'handshake', pipe.upstreamPeer);
    assert.equal(l.result, 'connectionLost');
    await stillServed();
  });

  test('server->client reply, dropped: the client gives up after connectTimeoutMs', async () => {
    const mb = await middlebox(ts, [{ dir: 's2c', frame: 0, action: 'drop' }]);
    await assert.rejects(
      through(mb, ts, 'echo', 'pw', { limits: { connectTimeoutMs: 300 } }),
      code('timeout', (e) => assert.equal(e.details.limit, 300)),
    );
    const pipe = await mb.pipe();
    assert.equal(pipe.frames.c2s.length, 1);
    const l = await logOf(ts, 'handshake', pipe.upstreamPeer);
    assert.equal(l.result, 'connectionLost');
    await stillServed();
  });
});

// ---- the legacy login policy ----

describe('legacy policy', () => {
  const legacy = (server: TestServer, service: string): Promise<Channel> => connect(HOST, server.port, service, 'pw', [], { protocol: 'legacy' });

  test('a service with {auth, [password]} refuses a legacy client, saying how to enable it', async () => {
    await assert.rejects(
      legacy(ts, 'secureOnly'),
      code('legacyRefused', (e) => assert.match(e.message, /add legacy to that list/)),
    );
    const l = await ts.waitForLog((x) => x.event === 'handshake' && x.result === 'legacyRefused' && x.service === 'secureOnly', 'legacyRefused log');
    assert.match(String(l.reason), /\{auth, \[\.\.\.\]\} option does not list legacy/);
    await stillServed();
  });

  test('a service with {legacy, deny} refuses it even on loopback', async () => {
    await assert.rejects(
      legacy(ts, 'noLegacy'),
      code('legacyRefused', (e) => assert.match(e.message, /\{legacy, allow\}/)),
    );
    const l = await ts.waitForLog((x) => x.event === 'handshake' && x.result === 'legacyRefused' && x.service === 'noLegacy', 'legacyRefused log');
    assert.match(String(l.reason), /\{legacy, allow\}/);
  });

  test('the default policy, loopback, lets a legacy client in on 127.0.0.1', async () => {
    const ch = await legacy(ts, 'echo');
    try {
      assert.ok(termEqual(await ch.rpc(3), tuple(atom('echo'), 3)));
      assert.equal(ch.secure, false);
    } finally {
      ch.close();
    }
    await ts.waitForLog((x) => x.event === 'handshake' && x.result === 'ack' && x.method === 'legacy' && x.service === 'echo', 'legacy ack log');
  });

  test('the listener policy {legacy, deny}. refuses a loopback legacy login; the secure login still works', async () => {
    const denying = await startTestServer(`{service, echo, password, "pw", mfa, echo, start, notUsed}.`, { websocket: false, extra: '{legacy, deny}.' });
    try {
      await assert.rejects(
        legacy(denying, 'echo'),
        code('legacyRefused', (e) => assert.match(e.message, /\{legacy, allow\}/)),
      );
      const l = await denying.waitForLog((x) => x.event === 'handshake' && x.result === 'legacyRefused', 'legacyRefused log');
      assert.equal(l.method, 'legacy');
      await stillServed(denying);
    } finally {
      await denying.close();
    }
  });
});

// ---- no downgrade ----

describe('the secure client against a server that only speaks legacy: refusal, no downgrade', () => {
  test('our server without an identity key', async () => {
    const legacyOnly = await startTestServer(`{service, echo, password, "pw", mfa, echo, start, notUsed}.`, { identity: false, websocket: false });
    try {
      assert.equal(legacyOnly.server.publicKey, undefined);
      const mb = await middlebox(legacyOnly);
      await assert.rejects(connect(HOST, mb.port, 'echo', 'pw', [], { knownHosts: false, dangerouslySkipServerAuth: true }), (e: unknown) => {
        assert.ok(e instanceof ChanError && (e.code === 'connectionLost' || e.code === 'protocolError'), String(e));
        return true;
      });
      const pipe = await mb.pipe();
      await deadline(pipe.clientClosed, 5000, 'the client to hang up');
      assertOnlyHello(pipe.frames.c2s);
      const l = await logOf(legacyOnly, 'handshake', pipe.upstreamPeer);
      assert.equal(l.result, 'protocolError');
      assert.match(String(l.reason), /no identity key/);
    } finally {
      await legacyOnly.close();
    }
  });

  test('a server that answers the hello with a legacy {challenge, C}: protocolError, no response sent', async () => {
    const fake = await FakeServer.start((_frame, i, conn) => {
      if (i === 0) conn.send(encodeTerm(tuple(atom('challenge'), 'abcdefghijklmnopqrstuvwxy')));
    });
    boxes.push(fake);
    await assert.rejects(
      connect(HOST, fake.port, 'echo', 'pw', [], { knownHosts: false, dangerouslySkipServerAuth: true }),
      code('protocolError', (e) => {
        assert.match(e.message, /legacy/);
        assert.equal(e.details.phase, 'reply');
      }),
    );
    const conn = await fake.connection();
    await deadline(conn.closed, 5000, 'the client to hang up');
    assertOnlyHello(conn.frames);
  });

  test('a client key file that cannot be read fails the connect before any connection is opened', async () => {
    const fake = await FakeServer.start(() => {});
    boxes.push(fake);
    await assert.rejects(
      connect(HOST, fake.port, 'keyed', null, [], { clientKeyFile: path.join(dir, 'no-such.key'), knownHosts: false }),
      code('badConf', (e) => assert.match(e.message, /no-such\.key/)),
    );
    // Had the connect opened a socket first, it would be the fake server's first connection (the accept queue is FIFO).
    const probe = await RawClient.connect(fake.port);
    const first = await fake.connection(0);
    assert.equal(first.socket.remotePort, probe.socket.localPort);
    probe.socket.destroy();
  });

  test('a genuine reply that starts with byte 131 (its random ephemeral key does, 1 time in 256) is not taken for a legacy term', async () => {
    const identity = nodeProvider.x25519Keypair(nodeProvider.randomBytes(32));
    // The first secret whose public key starts with ETF's version byte.
    let ephemeral = nodeProvider.x25519Keypair(new Uint8Array(32));
    for (let i = 1; ephemeral.publicKey[0] !== 131; i++) ephemeral = nodeProvider.x25519Keypair(new Uint8Array(32).fill(i & 0xff, 0, 1).fill(i >> 8, 1, 2));
    let state: ServerAwaitAuth | undefined;
    const fake = await FakeServer.start((frame, i, conn) => {
      if (i === 0) {
        const r = serverOnHello({ identity, provider: nodeProvider, ephemeral: () => ephemeral }, frame);
        state = r.state;
        assert.equal(r.out[0], 131);
        conn.send(r.out);
      } else if (i === 1) {
        conn.send(serverResult(serverOnAuth(state!, frame).state, 'ack').out);
      }
    });
    boxes.push(fake);
    const ch = await connect(HOST, fake.port, 'echo', 'pw', [], { serverKey: identity.publicKey, knownHosts: false });
    assert.equal(ch.secure, true);
    ch.close();
  });

  describe('the Erlang lib_chan server', { skip: erlSkip() }, () => {
    test('the secure hello is all it gets', async () => {
      const erl = await ErlServer.start(ERL_CONF);
      try {
        const mb = await middlebox({ port: erl.port });
        await assert.rejects(connect(HOST, mb.port, 'nameServer', 'ABXy45', [], { knownHosts: false, dangerouslySkipServerAuth: true }), (e: unknown) => {
          assert.ok(e instanceof ChanError && (e.code === 'connectionLost' || e.code === 'protocolError'), String(e));
          return true;
        });
        const pipe = await mb.pipe();
        await deadline(pipe.clientClosed, 5000, 'the client to hang up');
        assertOnlyHello(pipe.frames.c2s);
        // And the same Erlang server does serve a legacy client: the refusal above is the protocol, not a dead peer.
        const ch = await connect(HOST, erl.port, 'nameServer', 'ABXy45', [], { protocol: 'legacy' });
        try {
          assert.equal(await ch.rpc(tuple(atom('lookup'), atom('nobody')), { timeoutMs: 5000 }), undefined);
        } finally {
          ch.close();
        }
      } finally {
        await erl.stop();
      }
    });
  });
});

// ---- slow and unknown handshakes ----

describe('stalled and unknown handshakes', () => {
  test('a client that sends the hello and then nothing is closed after handshakeTimeoutMs, with a log line', async () => {
    const raw = await RawClient.connect(strict.port);
    const peer = `${HOST}:${raw.socket.localPort}`;
    raw.sendFrame(clientStart({ provider: nodeProvider }).out);
    await raw.waitClosed();
    assert.equal(raw.frames.length, 1);
    assert.equal(raw.frames[0].length, REPLY_BYTES);
    const l = await logOf(strict, 'handshake', peer);
    assert.equal(l.result, 'handshakeTimeout');
    assert.equal(detailsOf(l).key, 'handshakeTimeoutMs');
    assert.ok((l.durationMs as number) >= STRICT_HANDSHAKE_MS - 5, `closed after ${String(l.durationMs)} ms`);
    await stillServed(strict);
  });

  test("an unknown version gets the plaintext refusal naming the server's versions", async () => {
    const raw = await RawClient.connect(ts.port);
    const peer = `${HOST}:${raw.socket.localPort}`;
    const hello = clientStart({ provider: nodeProvider }).out;
    hello[4] = 9;
    raw.sendFrame(hello);
    await raw.waitClosed();
    assert.equal(raw.frames.length, 1);
    assert.equal(Buffer.from(raw.frames[0]).toString('hex'), '4c43534300070101'); // MAGIC 00 versionUnsupported, [1]
    const l = await logOf(ts, 'handshake', peer);
    assert.equal(l.result, 'versionUnsupported');
    await stillServed();
  });

  test("our client, its hello's version changed on the way: protocolError naming the server's versions", async () => {
    const mb = await middlebox(ts, [{ dir: 'c2s', frame: 0, action: 'flip', bit: 4 * 8 + 1 }]); // version 1 -> 3
    await assert.rejects(
      through(mb, ts, 'echo', 'pw'),
      code('protocolError', (e) => {
        assert.equal(e.details.result, 'versionUnsupported');
        assert.deepEqual(e.details.versions, [1]);
        assert.match(e.message, /server speaks 1\b/);
      }),
    );
    const pipe = await mb.pipe();
    const l = await logOf(ts, 'handshake', pipe.upstreamPeer);
    assert.equal(l.result, 'versionUnsupported');
    assert.match(String(l.reason), /version 3/);
  });
});
