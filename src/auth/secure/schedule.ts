/**
 * The key schedule of the secure handshake: Noise's SymmetricState (Noise
 * spec section 5.2) with SHA-512, HKDF over HMAC-SHA-512 and XSalsa20-Poly1305.
 *
 * - InitializeSymmetric(name): h = name zero-padded to 64 bytes (the name is
 *   shorter than HASHLEN), ck = h, no key.
 * - MixHash(data): h = SHA-512(h || data).
 * - MixKey(ikm): ck, tk = HKDF(ck, ikm); k = tk[0..32]; n = 0.
 * - EncryptAndHash(p): c = EncryptWithAd(h, p) (or p while there is no key);
 *   MixHash(c). DecryptAndHash mirrors it.
 * - Split(): k1, k2 = HKDF(ck, empty); the client->server key is k1[0..32],
 *   the server->client key k2[0..32].
 *
 * One difference from Noise, forced by the cipher: XSalsa20-Poly1305 takes no
 * associated data, so the associated data is bound through the key:
 *
 *   EncryptWithAd(ad, p) = secretbox(p, nonce(n), HMAC-SHA-512(k, ad)[0..32])
 *
 * A receiver whose h differs in any bit derives another box key and the MAC
 * fails, exactly as a mismatched AD fails an AEAD. nonce(n) is the 64-bit
 * counter n, little-endian in bytes 0..7 of the 24-byte nonce, zeros after;
 * n counts the messages sealed under the current k and never repeats.
 *
 * The object is mutable and owned by one handshake state at a time; the
 * step functions in handshake.ts hand it from state to state.
 */
import { ChanError } from '../../errors.ts';
import type { CryptoProvider } from '../crypto.ts';
import { SECRETBOX_KEY_BYTES, SECRETBOX_MAC_BYTES, SECRETBOX_NONCE_BYTES } from '../crypto.ts';
import { TEXT_ENCODER, wipe } from '../../wire/bytes.ts';
import { HASH_BYTES, hkdf2, hmacSha512 } from './hkdf.ts';

/** Bound into h first, so a peer of another protocol or version derives other keys. */
export const PROTOCOL_NAME = 'lib_chan_secure_v1_25519_XSalsa20Poly1305_SHA512';

/** Write counter (lo + hi * 2^32) little-endian into bytes 0..7 of a 24-byte nonce; bytes 8..23 stay zero. */
export function writeCounterNonce(nonce: Uint8Array, lo: number, hi: number): void {
  nonce[0] = lo & 0xff;
  nonce[1] = (lo >>> 8) & 0xff;
  nonce[2] = (lo >>> 16) & 0xff;
  nonce[3] = lo >>> 24;
  nonce[4] = hi & 0xff;
  nonce[5] = (hi >>> 8) & 0xff;
  nonce[6] = (hi >>> 16) & 0xff;
  nonce[7] = hi >>> 24;
}

export interface SplitKeys {
  /** Key for records the client sends. */
  clientToServer: Uint8Array;
  /** Key for records the server sends. */
  serverToClient: Uint8Array;
  /** The final handshake hash, for channel binding. */
  handshakeHash: Uint8Array;
}

export class SymmetricState {
  private ck: Uint8Array;
  private h: Uint8Array;
  private k: Uint8Array | undefined;
  private n = 0;

  /**
   * InitializeSymmetric(protocolName). `from`: start instead from a state
   * saved by snapshot() (the same hash and chaining key; no key yet), which
   * is how a handshake skips hashing its constant prologue every time.
   */
  constructor(
    private readonly provider: CryptoProvider,
    protocolName: string = PROTOCOL_NAME,
    from?: { h: Uint8Array; ck: Uint8Array },
  ) {
    if (from) {
      this.h = from.h.slice();
      this.ck = from.ck.slice();
      return;
    }
    const name = TEXT_ENCODER.encode(protocolName);
    this.h = name.length <= HASH_BYTES ? new Uint8Array(HASH_BYTES) : provider.sha512(name);
    if (name.length <= HASH_BYTES) this.h.set(name);
    this.ck = this.h.slice();
  }

  /** Copies of h and ck, for a state that has mixed only public constants (no key yet). */
  snapshot(): { h: Uint8Array; ck: Uint8Array } {
    if (this.k !== undefined) throw new ChanError('badArgument', 'SymmetricState.snapshot: only a state without a key may be saved');
    return { h: this.h.slice(), ck: this.ck.slice() };
  }

  /** A copy of the current handshake hash. */
  handshakeHash(): Uint8Array {
    return this.h.slice();
  }

  mixHash(data: Uint8Array): void {
    const buf = new Uint8Array(this.h.length + data.length);
    buf.set(this.h);
    buf.set(data, this.h.length);
    this.h = this.provider.sha512(buf);
  }

  mixKey(ikm: Uint8Array): void {
    const [ck, tk] = hkdf2(this.provider, this.ck, ikm);
    wipe(this.ck, this.k);
    this.ck = ck;
    this.k = tk.slice(0, SECRETBOX_KEY_BYTES);
    this.n = 0;
    wipe(tk);
  }

  /** Ciphertext (MAC || box) with h as associated data; then MixHash(ciphertext). */
  encryptAndHash(plain: Uint8Array): Uint8Array {
    let c: Uint8Array;
    if (this.k === undefined) {
      c = plain.slice();
    } else {
      const key = this.boxKey();
      c = this.provider.secretboxSeal(plain, this.nonce(), key);
      wipe(key);
      this.n++;
    }
    this.mixHash(c);
    return c;
  }

  /** The plaintext, or null when the MAC fails (h is then left unchanged). */
  decryptAndHash(c: Uint8Array): Uint8Array | null {
    let p: Uint8Array | null;
    if (this.k === undefined) {
      p = c.slice();
    } else {
      if (c.length < SECRETBOX_MAC_BYTES) return null;
      const key = this.boxKey();
      p = this.provider.secretboxOpen(c, this.nonce(), key);
      wipe(key);
      if (p === null) return null;
      this.n++;
    }
    this.mixHash(c);
    return p;
  }

  /** The two record keys and the final h; wipes ck and k (the state is dead afterwards). */
  split(): SplitKeys {
    const [k1, k2] = hkdf2(this.provider, this.ck, new Uint8Array(0));
    const out: SplitKeys = {
      clientToServer: k1.slice(0, SECRETBOX_KEY_BYTES),
      serverToClient: k2.slice(0, SECRETBOX_KEY_BYTES),
      handshakeHash: this.h.slice(),
    };
    wipe(k1, k2);
    this.destroy();
    return out;
  }

  /** Zero every secret this state holds. */
  destroy(): void {
    wipe(this.ck, this.k);
    this.k = undefined;
  }

  private boxKey(): Uint8Array {
    const mac = hmacSha512(this.provider, this.k!, this.h);
    const key = mac.slice(0, SECRETBOX_KEY_BYTES);
    wipe(mac);
    return key;
  }

  private nonce(): Uint8Array {
    const nonce = new Uint8Array(SECRETBOX_NONCE_BYTES);
    // The handshake seals a handful of messages: n never leaves 32 bits.
    writeCounterNonce(nonce, this.n, 0);
    return nonce;
  }
}
