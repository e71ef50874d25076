import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nodeCrypto from 'node:crypto';
import { type CryptoProvider, tweetnaclProvider } from '../../src/auth/crypto.ts';
import { nodeCryptoOnlyProvider, nodeProvider, sodiumNative } from '../../src/auth/crypto-node.ts';
import { hkdf2, hkdf3, hmacSha512 } from '../../src/auth/secure/hkdf.ts';
import { fromHex, toHex, TEXT_ENCODER } from '../../src/wire/bytes.ts';
import { isChanError } from '../../src/errors.ts';
import { seq } from './auth-fixtures.ts';

const PROVIDERS: CryptoProvider[] = [tweetnaclProvider, nodeProvider, nodeCryptoOnlyProvider];

// Without sodium-native nodeProvider still works (node:crypto + tweetnacl's box), only slower:
// skip loudly locally, fail under CI where the prebuilt binary must load.
const noSodium = !sodiumNative() && 'sodium-native did not load: nodeProvider falls back to node:crypto + tweetnacl secretbox';
test('crypto - sodium-native loads from its prebuilt binary', { skip: process.env.CI === 'true' ? false : noSodium }, () => {
  assert.ok(sodiumNative(), String(noSodium));
  assert.equal(nodeProvider.name, 'node+sodium');
});

test('crypto - HMAC-SHA-512: RFC 4231 cases 1 and 6, and node:crypto on random inputs', () => {
  for (const p of PROVIDERS) {
    assert.equal(
      toHex(hmacSha512(p, new Uint8Array(20).fill(0x0b), TEXT_ENCODER.encode('Hi There'))),
      '87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854',
    );
    assert.equal(
      toHex(hmacSha512(p, new Uint8Array(131).fill(0xaa), TEXT_ENCODER.encode('Test Using Larger Than Block-Size Key - Hash Key First'))),
      '80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598',
    );
  }
  for (const [kl, dl] of [
    [0, 0],
    [64, 32],
    [128, 1],
    [129, 300],
  ]) {
    const k = seq(kl, 3);
    const d = seq(dl, 7);
    assert.equal(toHex(hmacSha512(tweetnaclProvider, k, d)), nodeCrypto.createHmac('sha512', k).update(d).digest('hex'));
  }
});

test('crypto - the native HMAC-SHA-512 equals node:crypto on every length, also for a short key right after a long one', () => {
  for (let kl = 0; kl <= 140; kl += 7) {
    for (const dl of [0, 1, 31, 64, 65, 128, 129, 255, 256, 257, 400]) {
      const k = seq(kl, kl + 1);
      const d = seq(dl, dl + 2);
      assert.equal(toHex(hmacSha512(nodeProvider, k, d)), nodeCrypto.createHmac('sha512', k).update(d).digest('hex'), `key ${kl}, data ${dl}`);
    }
  }
  // A short key after a long one: no byte of the earlier key may leak into the pad.
  const long = seq(128, 9);
  hmacSha512(nodeProvider, long, seq(10));
  assert.equal(toHex(hmacSha512(nodeProvider, seq(5, 1), seq(10))), nodeCrypto.createHmac('sha512', seq(5, 1)).update(seq(10)).digest('hex'));
});

test('crypto - Noise HKDF equals RFC 5869 HKDF-SHA-512 with salt = ck and empty info', () => {
  const ck = seq(64, 1);
  for (const ikm of [new Uint8Array(0), seq(32, 9)]) {
    const rfc = new Uint8Array(nodeCrypto.hkdfSync('sha512', ikm, ck, new Uint8Array(0), 192));
    const [a, b] = hkdf2(tweetnaclProvider, ck, ikm);
    const [x, y, z] = hkdf3(tweetnaclProvider, ck, ikm);
    assert.equal(toHex(a) + toHex(b), toHex(rfc.subarray(0, 128)));
    assert.equal(toHex(x) + toHex(y) + toHex(z), toHex(rfc));
  }
});

test('crypto - every provider gives identical bytes on fixed inputs', () => {
  const outputs = PROVIDERS.map((p) => {
    const a = p.x25519Keypair(seq(32, 1));
    const b = p.x25519Keypair(seq(32, 100));
    const shared = p.x25519(a.secretKey, b.publicKey);
    assert.equal(toHex(shared), toHex(p.x25519(b.secretKey, a.publicKey)));
    const key = seq(32, 200);
    const nonce = seq(24, 50);
    const parts: string[] = [toHex(a.publicKey), toHex(b.publicKey), toHex(shared)];
    for (const len of [0, 1, 100, 65536 + 3]) {
      const plain = seq(len, len);
      const box = p.secretboxSeal(plain, nonce, key);
      const into = new Uint8Array(len + 16);
      p.secretboxSealInto(into, plain, nonce, key);
      assert.equal(toHex(into), toHex(box));
      assert.equal(toHex(p.secretboxOpen(box, nonce, key)!), toHex(plain));
      const back = new Uint8Array(len);
      assert.equal(p.secretboxOpenInto(back, box, nonce, key), true);
      assert.equal(toHex(back), toHex(plain));
      box[box.length - 1] ^= 1;
      assert.equal(p.secretboxOpen(box, nonce, key), null);
      assert.equal(p.secretboxOpenInto(back, box, nonce, key), false);
      box[box.length - 1] ^= 1;
      parts.push(toHex(box, 256));
    }
    assert.equal(p.secretboxOpen(new Uint8Array(15), nonce, key), null);
    const ed = p.ed25519Keypair(seq(32, 7));
    const msg = seq(77, 3);
    const sig = p.ed25519Sign(msg, ed.secretKey);
    assert.equal(p.ed25519Verify(msg, sig, ed.publicKey), true);
    const bad = sig.slice();
    bad[10] ^= 4;
    assert.equal(p.ed25519Verify(msg, bad, ed.publicKey), false);
    assert.equal(p.ed25519Verify(msg, sig.subarray(1), ed.publicKey), false);
    parts.push(toHex(ed.publicKey), toHex(ed.secretKey), toHex(sig), toHex(p.sha512(msg)), toHex(p.sha512(new Uint8Array(0))));
    // HMAC through the provider's own hmacSha512 where it has one (reused buffers in the
    // sodium one): around the block size, the buffer's bound and past it, twice in a row.
    for (const [kl, dl] of [
      [0, 0],
      [1, 1],
      [32, 65],
      [64, 129],
      [127, 256],
      [128, 257],
      [129, 1000],
      [300, 3],
    ]) {
      const mac = hmacSha512(p, seq(kl, kl), seq(dl, dl));
      assert.equal(toHex(hmacSha512(p, seq(kl, kl), seq(dl, dl))), toHex(mac));
      parts.push(toHex(mac));
    }
    assert.equal(p.randomBytes(70000).length, 70000);
    return parts;
  });
  for (let i = 1; i < outputs.length; i++) assert.deepEqual(outputs[i], outputs[0], `${PROVIDERS[i].name} differs from tweetnacl`);
});

test('crypto - X25519 with a low-order point throws protocolError on every provider', () => {
  const lowOrder = [
    '0000000000000000000000000000000000000000000000000000000000000000',
    '0100000000000000000000000000000000000000000000000000000000000000',
    'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
    '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  ].map(fromHex);
  for (const p of PROVIDERS) {
    const sk = seq(32, 5);
    for (const pk of lowOrder) {
      assert.throws(
        () => p.x25519(sk, pk),
        (e) => isChanError(e, 'protocolError'),
        `${p.name} ${toHex(pk)}`,
      );
    }
    assert.throws(
      () => p.x25519(sk, new Uint8Array(31)),
      (e) => isChanError(e, 'badArgument'),
    );
  }
});
