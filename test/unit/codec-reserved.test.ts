/**
 * encodeReserved(): the frame payload behind FRAME_HEADER_BYTES reserved
 * bytes (for Transport.sendReserved), the same payload encode() gives, so the
 * send path copies nothing after the encoder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KIND, LegacyCodec } from '../../src/chan/codec.ts';
import { SecureCodec } from '../../src/chan/secure-codec.ts';
import type { Session } from '../../src/auth/secure/handshake.ts';
import { tweetnaclProvider } from '../../src/auth/crypto.ts';
import { FRAME_HEADER_BYTES } from '../../src/wire/frame.ts';
import { atom, tuple, termEqual } from '../../src/wire/etf/term.ts';

const DECODE = { maxDepth: 64, maxDecompressedBytes: 1 << 20, maxAtoms: 1 << 16 };
const TERM = tuple(atom('store'), atom('joe'), 'writing a book');

test('legacy: encodeReserved is the bare ETF behind the reserved header bytes', () => {
  const c = new LegacyCodec(DECODE);
  const buf = c.encodeReserved(KIND.message, 0, TERM);
  assert.deepEqual(buf.subarray(FRAME_HEADER_BYTES), c.encode(KIND.message, 0, TERM));
});

function pair(): { client: SecureCodec; server: SecureCodec } {
  const k1 = new Uint8Array(32).fill(1);
  const k2 = new Uint8Array(32).fill(2);
  const base = { version: 1, handshakeHash: new Uint8Array(64), serverKey: new Uint8Array(32), peerFeatures: 0 };
  const client: Session = { ...base, side: 'client', sendKey: k1.slice(), receiveKey: k2.slice() };
  const server: Session = { ...base, side: 'server', sendKey: k2.slice(), receiveKey: k1.slice() };
  return { client: new SecureCodec(client, tweetnaclProvider, DECODE), server: new SecureCodec(server, tweetnaclProvider, DECODE) };
}

test('secure: encodeReserved seals the same record as encode, for every kind', () => {
  const a = pair();
  const b = pair();
  for (const [kind, id] of [
    [KIND.call, 7],
    [KIND.cast, 0],
    [KIND.close, 0],
  ] as const) {
    const reserved = a.client.encodeReserved(kind, id, kind === KIND.close ? undefined : TERM)!;
    const plain = b.client.encode(kind, id, kind === KIND.close ? undefined : TERM);
    assert.deepEqual(reserved.subarray(FRAME_HEADER_BYTES), plain, `kind ${kind}`);
    const got = a.server.decode(reserved.subarray(FRAME_HEADER_BYTES));
    assert.equal(got.kind, kind);
    assert.equal(got.id, id);
    if (kind !== KIND.close) assert.ok(termEqual(got.term, TERM));
  }
});

test('secure: a record sealed from the shared encoder buffer is not changed by the next encode', () => {
  const { client, server } = pair();
  const first = client.encodeReserved(KIND.cast, 0, TERM)!;
  client.encodeReserved(KIND.cast, 0, tuple(atom('other'), 'x'.repeat(100)));
  const got = server.decode(first.subarray(FRAME_HEADER_BYTES));
  assert.ok(termEqual(got.term, TERM));
});
