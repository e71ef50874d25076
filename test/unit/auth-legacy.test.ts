import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nodeCrypto from 'node:crypto';
import { md5 } from '../../src/auth/md5.ts';
import { CHALLENGE_LENGTH, checkLegacyResponse, latin1Bytes, legacyResponse, makeChallenge } from '../../src/auth/legacy.ts';
import { sniff, MAGIC } from '../../src/auth/sniff.ts';
import { tweetnaclProvider } from '../../src/auth/crypto.ts';
import { toHex, TEXT_ENCODER } from '../../src/wire/bytes.ts';
import { isChanError } from '../../src/errors.ts';

test('md5 - RFC 1321 appendix A.5 vectors', () => {
  const vectors: [string, string][] = [
    ['', 'd41d8cd98f00b204e9800998ecf8427e'],
    ['a', '0cc175b9c0f1b6a831c399e269772661'],
    ['abc', '900150983cd24fb0d6963f7d28e17f72'],
    ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
    ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 'd174ab98d277d9f5a5611c2c9f419d9f'],
    ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', '57edf4a22be3c955ac49da2e2107b67a'],
  ];
  for (const [input, want] of vectors) assert.equal(toHex(md5(TEXT_ENCODER.encode(input))), want, JSON.stringify(input));
});

test('md5 - agrees with node:crypto at every length around the padding boundaries', () => {
  for (let n = 0; n <= 300; n++) {
    const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff);
    assert.equal(toHex(md5(data)), nodeCrypto.createHash('md5').update(data).digest('hex'), `length ${n}`);
  }
  const big = tweetnaclProvider.randomBytes(1 << 20);
  assert.equal(toHex(md5(big)), nodeCrypto.createHash('md5').update(big).digest('hex'));
});

test('legacy - response vectors from the Erlang trace (PROTOCOL-FACTS 1.3)', () => {
  assert.equal(legacyResponse('itmwsagrwkrbnregmemhqczww', 'ABXy45'), 'ebc5d1f0c0fe1314c48019e2749fae53');
  // Characters 128-255 are hashed as single Latin-1 bytes, as Erlang does.
  assert.equal(legacyResponse('abc', 'p\xe4ss'), '32b392d2271e42a62825aaa346edf430');
  assert.equal(legacyResponse('abc', Uint8Array.of(0x70, 0xe4, 0x73, 0x73)), '32b392d2271e42a62825aaa346edf430');
});

test('legacy - a character above 255 is badArgument, not a silent re-encoding', () => {
  assert.throws(
    () => legacyResponse('abc', 'p\u20acss'),
    (e) => isChanError(e, 'badArgument') && e.details.offset === 1,
  );
  assert.throws(
    () => latin1Bytes('\u0100'),
    (e) => isChanError(e, 'badArgument'),
  );
});

test('legacy - checkLegacyResponse accepts only the lowercase 32-char digest', () => {
  const c = 'itmwsagrwkrbnregmemhqczww';
  assert.equal(checkLegacyResponse(c, 'ABXy45', 'ebc5d1f0c0fe1314c48019e2749fae53'), true);
  assert.equal(checkLegacyResponse(c, 'ABXy45', 'EBC5D1F0C0FE1314C48019E2749FAE53'), false);
  assert.equal(checkLegacyResponse(c, 'ABXy46', 'ebc5d1f0c0fe1314c48019e2749fae53'), false);
  assert.equal(checkLegacyResponse(c, 'ABXy45', 'ebc5d1f0c0fe1314c48019e2749fae5'), false);
  assert.equal(checkLegacyResponse(c, 'ABXy45', 'ebc5d1f0c0fe1314c48019e2749fae533'), false);
  assert.equal(checkLegacyResponse(c, 'ABXy45', ''), false);
  // A wide character whose low byte matches must not pass.
  assert.equal(checkLegacyResponse(c, 'ABXy45', 'ebc5d1f0c0fe1314c48019e2749fae5\u0133'), false);
});

test('legacy - challenges: 25 letters a-z, rejection sampling (bytes >= 234 are redrawn)', () => {
  // Bytes 234..255 would bias a..v under "mod 26"; they must be skipped.
  let calls = 0;
  const rigged = (n: number) => {
    calls++;
    return Uint8Array.from({ length: n }, (_, i) => (calls === 1 ? 234 + (i % 22) : i));
  };
  const c = makeChallenge(rigged);
  assert.equal(c.length, CHALLENGE_LENGTH);
  assert.equal(calls, 2);
  assert.equal(c, 'abcdefghijklmnopqrstuvwxy');
  const counts = new Map<string, number>();
  for (let i = 0; i < 2000; i++) {
    const ch = makeChallenge(tweetnaclProvider.randomBytes);
    assert.match(ch, /^[a-z]{25}$/);
    for (const x of ch) counts.set(x, (counts.get(x) ?? 0) + 1);
  }
  assert.equal(counts.size, 26);
  // 50,000 letters: each about 1923; a 25% band is > 8 standard deviations wide.
  for (const [, n] of counts) assert.ok(n > 1440 && n < 2400, `letter count ${n}`);
});

test('sniff - 131 is legacy, MAGIC+version is secure, anything else unknown', () => {
  assert.deepEqual(sniff(Uint8Array.of(131, 104, 3)), { kind: 'legacy' });
  assert.deepEqual(sniff(Uint8Array.of(...MAGIC, 1, 9, 9)), { kind: 'secure', version: 1 });
  assert.deepEqual(sniff(Uint8Array.of(...MAGIC, 7)), { kind: 'secure', version: 7 });
  assert.deepEqual(sniff(Uint8Array.of(...MAGIC)), { kind: 'unknown' });
  assert.deepEqual(sniff(new Uint8Array(0)), { kind: 'unknown' });
  assert.deepEqual(sniff(TEXT_ENCODER.encode('GET / HTTP/1.1')), { kind: 'unknown' });
  assert.notEqual(MAGIC[0], 131);
});
