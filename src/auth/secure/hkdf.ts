/**
 * HMAC-SHA-512 (RFC 2104) and Noise's HKDF (Noise spec section 4.3), built on
 * the provider's SHA-512 so they run anywhere the provider does.
 *
 *   HKDF(ck, ikm, n):  temp = HMAC(ck, ikm)
 *                      out1 = HMAC(temp, 0x01)
 *                      out2 = HMAC(temp, out1 || 0x02)
 *                      out3 = HMAC(temp, out2 || 0x03)      (n = 3 only)
 *
 * This is RFC 5869 HKDF with salt = ck, empty info, and n * 64 bytes of output.
 */
import type { CryptoProvider } from '../crypto.ts';
import { wipe } from '../../wire/bytes.ts';

/** SHA-512 block size. */
const BLOCK_BYTES = 128;
export const HASH_BYTES = 64;

export function hmacSha512(provider: CryptoProvider, key: Uint8Array, data: Uint8Array): Uint8Array {
  if (provider.hmacSha512) return provider.hmacSha512(key, data);
  const k = new Uint8Array(BLOCK_BYTES);
  if (key.length > BLOCK_BYTES) k.set(provider.sha512(key));
  else k.set(key);
  const inner = new Uint8Array(BLOCK_BYTES + data.length);
  for (let i = 0; i < BLOCK_BYTES; i++) inner[i] = k[i] ^ 0x36;
  inner.set(data, BLOCK_BYTES);
  const innerHash = provider.sha512(inner);
  const outer = new Uint8Array(BLOCK_BYTES + HASH_BYTES);
  for (let i = 0; i < BLOCK_BYTES; i++) outer[i] = k[i] ^ 0x5c;
  outer.set(innerHash, BLOCK_BYTES);
  const mac = provider.sha512(outer);
  wipe(k, inner, outer, innerHash);
  return mac;
}

export function hkdf2(provider: CryptoProvider, chainingKey: Uint8Array, ikm: Uint8Array): [Uint8Array, Uint8Array] {
  const [a, b] = hkdf(provider, chainingKey, ikm, 2);
  return [a, b];
}

export function hkdf3(provider: CryptoProvider, chainingKey: Uint8Array, ikm: Uint8Array): [Uint8Array, Uint8Array, Uint8Array] {
  const [a, b, c] = hkdf(provider, chainingKey, ikm, 3);
  return [a, b, c];
}

function hkdf(provider: CryptoProvider, chainingKey: Uint8Array, ikm: Uint8Array, n: 2 | 3): Uint8Array[] {
  const temp = hmacSha512(provider, chainingKey, ikm);
  const outs: Uint8Array[] = [];
  let prev: Uint8Array = new Uint8Array(0);
  for (let i = 1; i <= n; i++) {
    const input = new Uint8Array(prev.length + 1);
    input.set(prev);
    input[prev.length] = i;
    prev = hmacSha512(provider, temp, input);
    wipe(input);
    outs.push(prev);
  }
  wipe(temp);
  return outs;
}
