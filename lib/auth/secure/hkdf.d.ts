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
export declare const HASH_BYTES = 64;
export declare function hmacSha512(provider: CryptoProvider, key: Uint8Array, data: Uint8Array): Uint8Array;
export declare function hkdf2(provider: CryptoProvider, chainingKey: Uint8Array, ikm: Uint8Array): [Uint8Array, Uint8Array];
export declare function hkdf3(provider: CryptoProvider, chainingKey: Uint8Array, ikm: Uint8Array): [Uint8Array, Uint8Array, Uint8Array];
//# sourceMappingURL=hkdf.d.ts.map