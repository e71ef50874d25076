import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tweetnaclProvider } from '../../src/auth/crypto.ts';
import { nodeProvider } from '../../src/auth/crypto-node.ts';
import {
  FEATURE,
  HELLO_BYTES,
  READ_FEATURES,
  KEY_PROOF_DOMAIN,
  REPLY_MIN_BYTES,
  type HandshakePhase,
  clientAuth,
  clientOnReply,
  clientOnResult,
  clientPrecomputeEs,
  clientStart,
  decodeRefusal,
  destroyState,
  encodeRefusal,
  passwordMatches,
  serverOnAuth,
  serverOnHello,
  serverResult,
  verifyClientKeyProof,
} from '../../src/auth/secure/handshake.ts';
import { recordLayer } from '../../src/auth/secure/record.ts';
import { MAGIC } from '../../src/auth/sniff.ts';
import { ChanError, isChanError } from '../../src/errors.ts';
import { bytesEqual, TEXT_DECODER, TEXT_ENCODER, toHex } from '../../src/wire/bytes.ts';
import { ARGS_C, CLIENT_KEY, SERVER_IDENTITY, fixedRandom, runHandshake, seq } from './auth-fixtures.ts';

function isHsError(code: string, phase: HandshakePhase, side: 'client' | 'server') {
  return (e: unknown) => {
    assert.ok(e instanceof ChanError, `not a ChanError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.equal(e.details.phase, phase, e.message);
    assert.equal(e.details.side, side, e.message);
    return true;
  };
}

function assertSessionsPair(t: ReturnType<typeof runHandshake>): void {
  const { client, server } = t;
  assert.ok(client && server, 'both sides have a session');
  assert.deepEqual(client.sendKey, server.receiveKey);
  assert.deepEqual(client.receiveKey, server.sendKey);
  assert.notDeepEqual(client.sendKey, client.receiveKey);
  assert.deepEqual(client.handshakeHash, server.handshakeHash);
  assert.deepEqual(client.serverKey, SERVER_IDENTITY.publicKey);
  // The record keys work end to end.
  const c = recordLayer(client);
  const s = recordLayer(server);
  assert.equal(TEXT_DECODER.decode(s.opener.open(c.sealer.seal(TEXT_ENCODER.encode('ping')))), 'ping');
  assert.equal(TEXT_DECODER.decode(c.opener.open(s.sealer.seal(TEXT_ENCODER.encode('pong')))), 'pong');
}

test('handshake - method password: the server sees the password, both sides get matching keys', () => {
  const t = runHandshake({
    decide: (req) => (req.method === 'password' && passwordMatches(tweetnaclProvider, req.password!, 'ABXy45') ? 'ack' : 'authFail'),
  });
  assert.equal(t.request.service, 'nameServer');
  assert.equal(t.request.method, 'password');
  assert.deepEqual(t.request.argsC, ARGS_C);
  assert.equal(t.hello.length, HELLO_BYTES);
  assert.equal(t.reply.length, 102);
  assert.equal(t.auth.length, 16 + 64);
  assert.equal(t.result.length, 17);
  assertSessionsPair(t);
});

test('handshake - method key: signature over h verifies, the session names the client key', () => {
  const t = runHandshake({
    auth: { method: 'key', clientKey: CLIENT_KEY, password: undefined },
    decide: (req) => (req.signatureOk && bytesEqual(req.clientPublicKey!, CLIENT_KEY.publicKey) ? 'ack' : 'authFail'),
  });
  assert.equal(t.request.method, 'key');
  assert.equal(t.request.signatureOk, true);
  assert.equal(t.request.password, undefined);
  assertSessionsPair(t);
  assert.deepEqual(t.client!.clientKey, CLIENT_KEY.publicKey);
  assert.deepEqual(t.server!.clientKey, CLIENT_KEY.publicKey);
});

test('handshake - method none, on native and on mixed providers', () => {
  for (const [cp, sp] of [
    [nodeProvider, nodeProvider],
    [tweetnaclProvider, nodeProvider],
    [nodeProvider, tweetnaclProvider],
  ]) {
    const t = runHandshake({ clientProvider: cp, serverProvider: sp, auth: { method: 'none', password: undefined } });
    assert.equal(t.request.method, 'none');
    assertSessionsPair(t);
  }
});

test('handshake - wrong password: the server refuses with authFail, the client reports authFail', () => {
  const t = runHandshake({
    auth: { password: 'guess' },
    decide: (req) => (passwordMatches(tweetnaclProvider, req.password!, 'ABXy45') ? 'ack' : 'authFail'),
  });
  assert.equal(t.client, undefined);
  assert.equal(t.server, undefined);
  assert.ok(isHsError('authFail', 'result', 'client')(t.clientError));
  assert.equal((t.clientError as ChanError).details.result, 'authFail');
});

test('handshake - every refusal code maps to its ChanError code on the client', () => {
  const want = {
    badService: 'badService',
    authFail: 'authFail',
    methodRefused: 'authFail',
    rateLimited: 'limitExceeded',
    serverBusy: 'limitExceeded',
    badRequest: 'protocolError',
    legacyRefused: 'legacyRefused',
  } as const;
  for (const [code, err] of Object.entries(want)) {
    const t = runHandshake({ clientProvider: nodeProvider, serverProvider: nodeProvider, decide: () => code as keyof typeof want });
    assert.ok(isHsError(err, 'result', 'client')(t.clientError), code);
  }
});

test("handshake - a key proof signed over another handshake's h is rejected", () => {
  const other = runHandshake({ clientProvider: nodeProvider, serverProvider: nodeProvider });
  // A client whose signer signs the other session's h (as a relay or replay would).
  const forging = {
    ...nodeProvider,
    ed25519Sign: (_msg: Uint8Array, sk: Uint8Array) => nodeProvider.ed25519Sign(Uint8Array.of(...KEY_PROOF_DOMAIN, ...other.client!.handshakeHash), sk),
  };
  let acked = false;
  assert.throws(
    () =>
      runHandshake({
        clientProvider: forging,
        auth: { method: 'key', clientKey: CLIENT_KEY },
        decide: (req) => {
          assert.equal(req.signatureOk, false);
          acked = true;
          return 'ack'; // a careless server: serverResult must still refuse
        },
      }),
    (e) => isChanError(e, 'badArgument'),
  );
  assert.ok(acked);
  assert.equal(verifyClientKeyProof(nodeProvider, seq(64), CLIENT_KEY.publicKey, new Uint8Array(64)), false);
});

test('handshake - MITM with another static key: serverKeyMismatch before any auth bytes exist', () => {
  const mitm = tweetnaclProvider.x25519Keypair(seq(32, 0x99));
  const c1 = clientStart();
  const s1 = serverOnHello({ identity: mitm }, c1.out);
  let checked = false;
  assert.throws(
    () => clientOnReply(c1.state, s1.out, { pinnedKey: SERVER_IDENTITY.publicKey, checkKey: () => void (checked = true) }),
    (e) => isHsError('serverKeyMismatch', 'reply', 'client')(e) && typeof (e as ChanError).details.actualFingerprint === 'string',
  );
  assert.equal(checked, false, 'checkKey is not consulted after a pin mismatch');
  // The client state is dead: no credential can be produced from it.
  assert.equal(c1.state.spent, true);
  assert.throws(
    () => clientAuth(c1.state as never, { service: 's', method: 'password', password: 'pw', argsC: ARGS_C }),
    (e) => isChanError(e, 'protocolError'),
  );
  // The same server key under its pin passes.
  const c2 = clientStart();
  const s2 = serverOnHello({ identity: SERVER_IDENTITY }, c2.out);
  assert.deepEqual(clientOnReply(c2.state, s2.out, { pinnedKey: SERVER_IDENTITY.publicKey }).serverKey, SERVER_IDENTITY.publicKey);
});

/** One whole handshake with fixed randomness; `guess`: the key given to clientPrecomputeEs, if any. */
function fixedRun(identity: typeof SERVER_IDENTITY, guess: Uint8Array | undefined, pinnedKey?: Uint8Array) {
  const provider = fixedRandom(nodeProvider, [seq(32, 0x10)]);
  const c1 = clientStart({ provider });
  if (guess) clientPrecomputeEs(c1.state, guess);
  const s1 = serverOnHello({ identity, provider: nodeProvider, ephemeral: () => nodeProvider.x25519Keypair(seq(32, 0x20)) }, c1.out);
  if (s1.refused) throw s1.refused;
  const c2 = clientOnReply(c1.state, s1.out, { pinnedKey });
  const c3 = clientAuth(c2.state, { service: 'nameServer', method: 'password', password: 'ABXy45', argsC: ARGS_C });
  const s2 = serverOnAuth(s1.state, c3.out);
  const s3 = serverResult(s2.state, 'ack');
  const c4 = clientOnResult(c3.state, s3.out);
  return { c1, reply: s1.out, auth: c3.out, client: c4.session!, server: s3.session! };
}

test('handshake - the es computed ahead (clientPrecomputeEs) gives the very bytes and keys of the long way', () => {
  const plain = fixedRun(SERVER_IDENTITY, undefined, SERVER_IDENTITY.publicKey);
  const ahead = fixedRun(SERVER_IDENTITY, SERVER_IDENTITY.publicKey, SERVER_IDENTITY.publicKey);
  assert.equal(toHex(ahead.auth), toHex(plain.auth));
  assert.deepEqual(ahead.client.sendKey, plain.client.sendKey);
  assert.deepEqual(ahead.client.handshakeHash, plain.client.handshakeHash);
  assert.deepEqual(ahead.client.sendKey, ahead.server.receiveKey);
  // The server's ephemeral came from the injected source, as a pool would give it.
  assert.deepEqual(plain.reply.subarray(0, 32), nodeProvider.x25519Keypair(seq(32, 0x20)).publicKey);
});

test('handshake - a guessed es for another key is not used: the reply decides (TOFU, pin mismatch)', () => {
  const other = tweetnaclProvider.x25519Keypair(seq(32, 0x99)).publicKey;
  // No pin: the guess was for another key, the login still completes with the key presented.
  const tofu = fixedRun(SERVER_IDENTITY, other);
  assert.deepEqual(tofu.client.sendKey, fixedRun(SERVER_IDENTITY, undefined).client.sendKey);
  // A server presenting another key than the pin still fails the pin check, guess or not.
  assert.throws(
    () => fixedRun(tweetnaclProvider.x25519Keypair(seq(32, 0x99)), SERVER_IDENTITY.publicKey, SERVER_IDENTITY.publicKey),
    isHsError('serverKeyMismatch', 'reply', 'client'),
  );
  // An impostor holding the real S_pub but not its secret: the guess (DH with the real S) does not open its payload.
  const impostor = { publicKey: SERVER_IDENTITY.publicKey, secretKey: seq(32, 0x77) };
  assert.throws(() => fixedRun(impostor, SERVER_IDENTITY.publicKey, SERVER_IDENTITY.publicKey), isHsError('badRecord', 'reply', 'client'));
});

test('handshake - clientPrecomputeEs ignores unusable keys and its secret is wiped with the state', () => {
  const c1 = clientStart({ provider: nodeProvider });
  clientPrecomputeEs(c1.state, new Uint8Array(32)); // low order: no guess, no throw
  assert.equal(c1.state.esGuess, undefined);
  clientPrecomputeEs(c1.state, seq(31));
  assert.equal(c1.state.esGuess, undefined);
  clientPrecomputeEs(c1.state, SERVER_IDENTITY.publicKey);
  const shared = c1.state.esGuess!.shared;
  assert.notDeepEqual(shared, new Uint8Array(32));
  destroyState(c1.state);
  assert.deepEqual(shared, new Uint8Array(32));
  // A used state takes no guess.
  clientPrecomputeEs(c1.state, SERVER_IDENTITY.publicKey);
  assert.equal(c1.state.esGuess, undefined);
  // After a successful reply the guess's secret is wiped too.
  const c2 = clientStart({ provider: nodeProvider });
  clientPrecomputeEs(c2.state, SERVER_IDENTITY.publicKey);
  const used = c2.state.esGuess!.shared;
  clientOnReply(c2.state, serverOnHello({ identity: SERVER_IDENTITY, provider: nodeProvider }, c2.out).out, { pinnedKey: SERVER_IDENTITY.publicKey });
  assert.deepEqual(used, new Uint8Array(32));
});

test('handshake - checkKey sees the proven server key and can stop the login', () => {
  const c1 = clientStart();
  const s1 = serverOnHello({ identity: SERVER_IDENTITY }, c1.out);
  const stop = new ChanError('serverKeyMismatch', 'not in known hosts');
  assert.throws(
    () =>
      clientOnReply(c1.state, s1.out, {
        checkKey: (k) => {
          assert.deepEqual(k, SERVER_IDENTITY.publicKey);
          throw stop;
        },
      }),
    (e) => e === stop,
  );
});

test('handshake - a server that replays S_pub without holding S fails at reply', () => {
  // The impostor knows the real S_pub but not its secret: it runs the reply with its own
  // secret and the real public key. DH(e_c, S) then differs, so the payload does not decrypt.
  const impostor = { publicKey: SERVER_IDENTITY.publicKey, secretKey: seq(32, 0x77) };
  const c1 = clientStart();
  const s1 = serverOnHello({ identity: impostor }, c1.out);
  assert.throws(() => clientOnReply(c1.state, s1.out, { pinnedKey: SERVER_IDENTITY.publicKey }), isHsError('badRecord', 'reply', 'client'));
});

test('handshake - a recorded server reply replayed to a new client hello fails', () => {
  const c1 = clientStart();
  const recorded = serverOnHello({ identity: SERVER_IDENTITY }, c1.out).out;
  const c2 = clientStart();
  assert.throws(() => clientOnReply(c2.state, recorded), isHsError('badRecord', 'reply', 'client'));
});

test('handshake - a recorded auth message replayed into a new session fails', () => {
  const first = runHandshake();
  const c1 = clientStart();
  const s1 = serverOnHello({ identity: SERVER_IDENTITY }, c1.out);
  assert.throws(() => serverOnAuth(s1.state!, first.auth), isHsError('badRecord', 'auth', 'server'));
});

test('handshake - unknown version: plaintext refusal naming the server versions, then a clear client error', () => {
  const c1 = clientStart();
  const hello = c1.out.slice();
  hello[4] = 9;
  const s1 = serverOnHello({ identity: SERVER_IDENTITY }, hello);
  assert.equal(s1.state, undefined);
  assert.ok(isHsError('protocolError', 'hello', 'server')(s1.refused));
  assert.equal(s1.refused!.details.actual, 9);
  assert.deepEqual(decodeRefusal(s1.out), { code: 'versionUnsupported', byte: 7, versions: [1] });
  assert.equal(toHex(s1.out), `${toHex(MAGIC)}00070101`);
  assert.ok(s1.out.length < REPLY_MIN_BYTES);
  assert.throws(
    () => clientOnReply(c1.state, s1.out),
    (e) => isHsError('protocolError', 'reply', 'client')(e) && (e as ChanError).details.result === 'versionUnsupported',
  );
  // A busy server may refuse before any DH work.
  const c2 = clientStart();
  assert.throws(() => clientOnReply(c2.state, encodeRefusal('serverBusy')), isHsError('limitExceeded', 'reply', 'client'));
});

test('handshake - malformed messages are protocolErrors naming side and phase', () => {
  assert.throws(() => serverOnHello({ identity: SERVER_IDENTITY }, Uint8Array.of(131, 104)), isHsError('protocolError', 'hello', 'server'));
  assert.throws(() => serverOnHello({ identity: SERVER_IDENTITY }, clientStart().out.subarray(0, 36)), isHsError('protocolError', 'hello', 'server'));
  const lowOrderHello = clientStart().out;
  lowOrderHello.fill(0, 5);
  assert.throws(() => serverOnHello({ identity: SERVER_IDENTITY }, lowOrderHello), isHsError('protocolError', 'hello', 'server'));
  const c1 = clientStart();
  assert.throws(() => clientOnReply(c1.state, new Uint8Array(REPLY_MIN_BYTES - 1)), isHsError('protocolError', 'reply', 'client'));
  const c2 = clientStart();
  const reply = serverOnHello({ identity: SERVER_IDENTITY }, c2.out).out;
  reply.fill(0, 0, 32); // low-order e_s
  assert.throws(() => clientOnReply(c2.state, reply), isHsError('protocolError', 'reply', 'client'));
});

test('handshake - states are single-use; argument errors leave the state usable', () => {
  const c1 = clientStart();
  const s1 = serverOnHello({ identity: SERVER_IDENTITY }, c1.out);
  const c2 = clientOnReply(c1.state, s1.out);
  assert.throws(() => clientOnReply(c1.state, s1.out), isHsError('protocolError', 'reply', 'client'));
  assert.throws(
    () => clientAuth(c2.state, { service: '', method: 'none', argsC: ARGS_C }),
    (e) => isChanError(e, 'badArgument'),
  );
  assert.throws(
    () => clientAuth(c2.state, { service: 'x', method: 'password', argsC: ARGS_C }),
    (e) => isChanError(e, 'badArgument'),
  );
  assert.throws(
    () => clientAuth(c2.state, { service: 'x', method: 'key', argsC: ARGS_C }),
    (e) => isChanError(e, 'badArgument'),
  );
  const c3 = clientAuth(c2.state, { service: 'x', method: 'none', argsC: ARGS_C });
  assert.throws(
    () => clientAuth(c2.state, { service: 'x', method: 'none', argsC: ARGS_C }),
    (e) => isChanError(e, 'protocolError'),
  );
  const s2 = serverOnAuth(s1.state!, c3.out);
  assert.throws(() => serverOnAuth(s1.state!, c3.out), isHsError('protocolError', 'auth', 'server'));
  assert.throws(
    () => serverResult(s2.state, 'versionUnsupported'),
    (e) => isChanError(e, 'badArgument'),
  );
  assert.throws(
    () => serverResult(s2.state, 'ack', 'x'.repeat(513)),
    (e) => isChanError(e, 'badArgument'),
  );
  const s3 = serverResult(s2.state, 'ack');
  assert.throws(() => serverResult(s2.state, 'ack'), isHsError('protocolError', 'result', 'server'));
  assert.ok(clientOnResult(c3.state, s3.out).session);
});

test('handshake - the reason string travels with a refusal', () => {
  const c1 = clientStart();
  const s1 = serverOnHello({ identity: SERVER_IDENTITY }, c1.out);
  const c3 = clientAuth(clientOnReply(c1.state, s1.out).state, { service: 'nope', method: 'none', argsC: ARGS_C });
  const s2 = serverOnAuth(s1.state!, c3.out);
  const r = clientOnResult(c3.state, serverResult(s2.state, 'badService', 'no service "nope"').out);
  assert.deepEqual(r.result, { code: 'badService', reason: 'no service "nope"' });
  assert.ok(isHsError('badService', 'result', 'client')(r.error));
});

test('handshake - auth message size hides short password and service lengths (padding to 64)', () => {
  const sizes = new Set<number>();
  for (const pw of ['a', 'ABXy45', 'correct horse battery staple']) {
    for (const service of ['ns', 'nameServer'])
      sizes.add(runHandshake({ clientProvider: nodeProvider, serverProvider: nodeProvider, auth: { password: pw, service } }).auth.length);
  }
  assert.deepEqual([...sizes], [80]);
});

/** Which side may notice a flipped bit in message N, and in which phase. */
const FLIP_EXPECT: Record<number, { phase: HandshakePhase; side: 'client' | 'server' }[]> = {
  1: [
    { phase: 'hello', side: 'server' },
    { phase: 'reply', side: 'client' },
  ],
  2: [{ phase: 'reply', side: 'client' }],
  3: [{ phase: 'auth', side: 'server' }],
  4: [{ phase: 'result', side: 'client' }],
};

test('handshake - a flipped bit at every byte of every message fails, in the named phase', () => {
  const p = { clientProvider: nodeProvider, serverProvider: nodeProvider };
  const clean = runHandshake(p);
  const lengths = { 1: clean.hello.length, 2: clean.reply.length, 3: clean.auth.length, 4: clean.result.length } as const;
  for (const msg of [1, 2, 3, 4] as const) {
    for (let pos = 0; pos < lengths[msg]; pos++) {
      // Bit 7 of the last byte of e_c and e_s is ignored by X25519 itself; it must be caught through h.
      const bits = pos === 36 || pos === 31 ? [0x80, 1 << (pos % 8)] : [1 << (pos % 8)];
      for (const bit of bits) {
        let err: unknown;
        try {
          const t = runHandshake({
            ...p,
            tamper: (i, b) => {
              if (i !== msg) return b;
              const c = b.slice();
              c[pos] ^= bit;
              return c;
            },
          });
          err = t.clientError ?? new Error('handshake completed');
        } catch (e) {
          err = e;
        }
        const where = `message ${msg} byte ${pos} bit ${bit}`;
        assert.ok(err instanceof ChanError, `${where}: ${String(err)}`);
        assert.ok(
          FLIP_EXPECT[msg].some((x) => x.phase === err.details.phase && x.side === err.details.side),
          `${where}: failed in ${err.details.side}/${err.details.phase} (${err.code}: ${err.message})`,
        );
      }
    }
  }
});

// ---- feature bits (docs/protocol.md 4.5.2, 4.5.4) ----

/** ArgsC lengths around the auth message's first padding boundaries (with and without the 4-byte field). */
const ARGS_LENGTHS = [0, 1, 34, 35, 36, 37, 38, 39, 40, 98, 99, 100, 101, 102, 103, 104];

test('features - a server announcing batch and a client that reads batches: each session knows what the other reads', () => {
  // ArgsC lengths on both sides of a padding boundary (25 bytes come before ArgsC here): the field lands
  // before the padding, or pushes the message to the next 64 bytes. sodium-native where it loads: the bytes
  // are the same on every provider (the known-answer tests), and tweetnacl's X25519 costs ~10 ms a handshake.
  for (const n of ARGS_LENGTHS) {
    const t = runHandshake({ serverFeatures: READ_FEATURES, auth: { argsC: seq(n) }, clientProvider: nodeProvider, serverProvider: nodeProvider });
    assert.equal(t.client!.peerFeatures, FEATURE.batch, `argsC of ${n} bytes: the client's view`);
    assert.equal(t.server!.peerFeatures, FEATURE.batch, `argsC of ${n} bytes: the server's view`);
    assert.deepEqual(t.request.argsC, seq(n));
  }
  const none = runHandshake({ serverFeatures: READ_FEATURES, auth: { features: 0 } });
  assert.equal(none.server!.peerFeatures, 0, 'a client that reads nothing says so');
});

test('features - an older client (no field) to a server announcing batch, and a client to an older server (announcing none)', () => {
  const fast = { clientProvider: nodeProvider, serverProvider: nodeProvider };
  for (const n of ARGS_LENGTHS) {
    const older = runHandshake({ serverFeatures: READ_FEATURES, clientWithoutFeatures: true, auth: { argsC: seq(n) }, ...fast });
    assert.equal(older.server!.peerFeatures, 0, `argsC of ${n} bytes: the older client's padding reads as no features`);
    const toOlder = runHandshake({ serverFeatures: 0, auth: { argsC: seq(n) }, ...fast });
    assert.equal(toOlder.client!.peerFeatures, 0);
    assert.equal(toOlder.server!.peerFeatures, 0);
    // The client sent no field to a server that did not ask for one: the auth message is an older client's, byte for byte in size.
    assert.equal(toOlder.auth.length, older.auth.length);
  }
});

test('features - a server that did not announce batch refuses bytes where the field would be (they are padding to it)', () => {
  // A client made to believe the server announced batch sends the field; this server reads it as non-zero padding.
  const c1 = clientStart();
  const s = serverOnHello({ identity: SERVER_IDENTITY, features: 0 }, c1.out);
  const c2 = clientOnReply(c1.state, s.out);
  const forged = { ...c2.state, serverInfo: { ...c2.state.serverInfo, features: FEATURE.batch } };
  const c3 = clientAuth(forged, { service: 'nameServer', method: 'none', argsC: ARGS_C });
  assert.throws(() => serverOnAuth(s.state!, c3.out), isHsError('protocolError', 'auth', 'server'));
});
