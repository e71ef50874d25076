import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tweetnaclProvider, type CryptoProvider } from '../../src/auth/crypto.ts';
import { nodeProvider } from '../../src/auth/crypto-node.ts';
import {
  RECORD_KIND,
  RecordOpener,
  RecordSealer,
  encodeRecord,
  encodeRecordHeader,
  parseRecord,
  recordHeaderBytes,
  writeRecordHeader,
} from '../../src/auth/secure/record.ts';
import { writeCounterNonce } from '../../src/auth/secure/schedule.ts';
import { ChanError, isChanError } from '../../src/errors.ts';
import { toHex } from '../../src/wire/bytes.ts';
import { seq } from './auth-fixtures.ts';

const KEY = seq(32, 0x21);

function pair(provider: CryptoProvider = tweetnaclProvider) {
  return { sealer: new RecordSealer(KEY, { provider, side: 'client' }), opener: new RecordOpener(KEY, { provider, side: 'server' }) };
}

function isBadRecord(counter: number) {
  return (e: unknown) => {
    assert.ok(e instanceof ChanError);
    assert.equal(e.code, 'badRecord');
    assert.deepEqual([e.details.phase, e.details.side, e.details.counter], ['record', 'server', counter]);
    return true;
  };
}

test('record - nonce is the counter little-endian in bytes 0..7, zeros after; box = secretbox(plain, nonce, key)', () => {
  const nonce = new Uint8Array(24);
  writeCounterNonce(nonce, 0x04030201, 0x08070605);
  assert.equal(toHex(nonce), '0102030405060708' + '00'.repeat(16));
  const { sealer } = pair();
  sealer.seal(seq(3));
  const n1 = new Uint8Array(24);
  n1[0] = 1;
  assert.deepEqual(sealer.seal(seq(10)), tweetnaclProvider.secretboxSeal(seq(10), n1, KEY));
});

test('record - in-order records open, on both providers and across them; headroom leaves room for a frame header', () => {
  for (const [sp, op] of [
    [tweetnaclProvider, nodeProvider],
    [nodeProvider, tweetnaclProvider],
    [nodeProvider, nodeProvider],
  ]) {
    const sealer = new RecordSealer(KEY, { provider: sp, side: 'client' });
    const opener = new RecordOpener(KEY, { provider: op, side: 'server' });
    for (let i = 0; i < 20; i++) {
      const plain = seq(i * 37, i);
      const framed = sealer.seal(plain, 4);
      assert.equal(framed.length, 4 + 16 + plain.length);
      assert.deepEqual(opener.open(framed.subarray(4)), plain);
    }
    assert.equal(sealer.counter, 20);
    assert.equal(opener.counter, 20);
  }
});

test('record - flipped bit, dropped, reordered, replayed and truncated records are badRecord', () => {
  const boxes = (() => {
    const { sealer } = pair();
    return [0, 1, 2, 3].map((i) => sealer.seal(seq(50, i)));
  })();
  // flipped bit, at every byte of a record
  for (let pos = 0; pos < boxes[0].length; pos++) {
    const { opener } = pair();
    const bad = boxes[0].slice();
    bad[pos] ^= 1 << (pos % 8);
    assert.throws(() => opener.open(bad), isBadRecord(0), `byte ${pos}`);
  }
  {
    // dropped
    const { opener } = pair();
    opener.open(boxes[0]);
    assert.throws(() => opener.open(boxes[2]), isBadRecord(1));
  }
  {
    // reordered
    const { opener } = pair();
    assert.throws(() => opener.open(boxes[1]), isBadRecord(0));
  }
  {
    // replayed
    const { opener } = pair();
    opener.open(boxes[0]);
    opener.open(boxes[1]);
    assert.throws(() => opener.open(boxes[1]), isBadRecord(2));
  }
  {
    // truncated, and shorter than a MAC
    const { opener } = pair();
    assert.throws(() => opener.open(boxes[0].subarray(0, boxes[0].length - 1)), isBadRecord(0));
    const o2 = pair().opener;
    assert.throws(() => o2.open(boxes[0].subarray(0, 15)), isBadRecord(0));
    const o3 = pair().opener;
    assert.throws(() => o3.open(new Uint8Array(0)), isBadRecord(0));
  }
  {
    // a failed opener stays failed, even for the record it expected
    const { opener } = pair();
    assert.throws(() => opener.open(boxes[1]), isBadRecord(0));
    assert.throws(() => opener.open(boxes[0]), isBadRecord(0));
  }
  {
    // the other direction's key does not open
    const opener = new RecordOpener(seq(32, 0x22), { side: 'server' });
    assert.throws(() => opener.open(boxes[0]), isBadRecord(0));
  }
});

test('record - the counter crosses 2^32 and stops before 2^64 - 1', () => {
  const start = 2n ** 32n - 1n;
  const s = new RecordSealer(KEY, { side: 'client', startCounter: start });
  const o = new RecordOpener(KEY, { side: 'server', startCounter: start });
  for (let i = 0; i < 3; i++) assert.deepEqual(o.open(s.seal(seq(5, i))), seq(5, i));
  assert.equal(s.counter, 2 ** 32 + 2);
  const end = new RecordSealer(KEY, { side: 'client', startCounter: 2n ** 64n - 2n });
  const endOpen = new RecordOpener(KEY, { side: 'server', startCounter: 2n ** 64n - 2n });
  endOpen.open(end.seal(seq(1)));
  assert.throws(
    () => end.seal(seq(1)),
    (e) => isChanError(e, 'limitExceeded') && e.details.phase === 'record',
  );
  assert.throws(
    () => endOpen.open(new Uint8Array(17)),
    (e) => isChanError(e, 'limitExceeded'),
  );
  const destroyed = new RecordSealer(KEY, { side: 'client' });
  destroyed.destroy();
  assert.throws(
    () => destroyed.seal(seq(1)),
    (e) => isChanError(e, 'limitExceeded'),
  );
});

test('record plaintext - headers, ids big-endian, term as a view (no copy)', () => {
  assert.equal(toHex(encodeRecordHeader(RECORD_KIND.cast)), '01');
  assert.equal(toHex(encodeRecordHeader(RECORD_KIND.call, 0x01020304)), '0201020304');
  assert.equal(toHex(encodeRecordHeader(RECORD_KIND.errorReply, 0xffffffff)), '05ffffffff');
  assert.equal(recordHeaderBytes(RECORD_KIND.push), 1);
  assert.equal(recordHeaderBytes(RECORD_KIND.reply), 5);
  const term = Uint8Array.of(131, 100, 0, 2, 111, 107);
  const plain = encodeRecord(RECORD_KIND.reply, 7, term);
  const parsed = parseRecord(plain, 'server');
  assert.deepEqual({ kind: parsed.kind, id: parsed.id, term: toHex(parsed.term) }, { kind: 3, id: 7, term: toHex(term) });
  assert.equal(parsed.term.buffer, plain.buffer, 'term is a view into the plaintext');
  const buf = new Uint8Array(5 + term.length);
  assert.equal(writeRecordHeader(buf, 0, RECORD_KIND.call, 9), 5);
  buf.set(term, 5);
  assert.deepEqual(parseRecord(buf, 'client'), { kind: 2, id: 9, term: buf.subarray(5) });
  assert.deepEqual(parseRecord(Uint8Array.of(6), 'server'), { kind: 6, id: 0, term: new Uint8Array(0) });
  assert.deepEqual(parseRecord(Uint8Array.of(6, 131, 106), 'client').term, Uint8Array.of(131, 106));
});

test('record plaintext - unknown kind, short id, wrong direction are protocolErrors', () => {
  for (const bad of [new Uint8Array(0), Uint8Array.of(0), Uint8Array.of(8, 131), Uint8Array.of(2, 0, 0, 1)]) {
    assert.throws(
      () => parseRecord(bad),
      (e) => isChanError(e, 'protocolError') && e.details.phase === 'record',
      toHex(bad),
    );
  }
  assert.throws(
    () => parseRecord(encodeRecord(RECORD_KIND.reply, 1, seq(3)), 'client'),
    (e) => isChanError(e, 'protocolError'),
  );
  assert.throws(
    () => parseRecord(encodeRecord(RECORD_KIND.cast, 0, seq(3)), 'server'),
    (e) => isChanError(e, 'protocolError'),
  );
  assert.throws(
    () => encodeRecordHeader(RECORD_KIND.call, -1),
    (e) => isChanError(e, 'badArgument'),
  );
  assert.throws(
    () => encodeRecordHeader(9 as never),
    (e) => isChanError(e, 'badArgument'),
  );
});
