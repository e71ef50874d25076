/**
 * The crypto primitives of the secure channel, behind one small interface so
 * the handshake and record layer stay pure and the implementation can be
 * chosen per platform (as secret-handshake injects its `crypto.js`).
 *
 * `tweetnaclProvider` is the default: pure JavaScript, browser-safe. Node
 * code may pass `nodeProvider` from `crypto-node.ts` instead (native code,
 * same bytes on the wire; a test checks both give identical output).
 *
 * Conventions (NaCl's): X25519 keys are 32 bytes; an Ed25519 secret key is
 * 64 bytes (seed || public key); a secretbox is MAC(16) || ciphertext.
 */
import nacl from 'tweetnacl';
import { ChanError } from '../errors.ts';

export const X25519_KEY_BYTES = 32;
export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SECRET_KEY_BYTES = 64;
export const ED25519_SEED_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;
export const SECRETBOX_KEY_BYTES = 32;
export const SECRETBOX_NONCE_BYTES = 24;
export const SECRETBOX_MAC_BYTES = 16;
export const SHA512_BYTES = 64;

export interface KeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export interface CryptoProvider {
  /** Short name for logs and benchmarks ("tweetnacl", "node"). */
  readonly name: string;
  /** `n` bytes from a CSPRNG. */
  randomBytes(n: number): Uint8Array;
  /**
   * An X25519 key pair. With `secretKey` (32 bytes, clamped inside the scalar
   * multiplication, never modified) the public key is derived from it; without
   * it a fresh secret is drawn. The handshake always passes
   * `randomBytes(32)`, so injecting `randomBytes` makes a run reproducible.
   */
  x25519Keypair(secretKey?: Uint8Array): KeyPair;
  /**
   * The X25519 shared secret. Throws ChanError('protocolError') when the
   * result is all zeros, i.e. `publicKey` is a low-order point.
   */
  x25519(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
  /** XSalsa20-Poly1305: returns MAC(16) || ciphertext. */
  secretboxSeal(plain: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array;
  /** The plaintext, or null when the MAC does not verify. */
  secretboxOpen(boxed: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null;
  /**
   * Low-copy seal: writes MAC || ciphertext into `out`, whose length must be
   * `plain.length + 16` (for example a view into a frame buffer that keeps
   * room for a length prefix in front).
   */
  secretboxSealInto(out: Uint8Array, plain: Uint8Array, nonce: Uint8Array, key: Uint8Array): void;
  /**
   * Low-copy open into `out` (length `boxed.length - 16`). Returns false, and
   * leaves `out` zeroed or untouched, when the MAC does not verify.
   */
  secretboxOpenInto(out: Uint8Array, boxed: Uint8Array, nonce: Uint8Array, key: Uint8Array): boolean;
  /**
   * True when secretboxOpenInto accepts `out = boxed.subarray(16)` (the
   * plaintext written over the ciphertext): the record layer then opens each
   * record where it arrived, with no allocation. Providers that do not say so
   * get a fresh output array.
   */
  readonly openInPlace?: boolean;
  /** An Ed25519 key pair; from a 32-byte seed when given. secretKey = seed || publicKey. */
  ed25519Keypair(seed?: Uint8Array): KeyPair;
  ed25519Sign(msg: Uint8Array, secretKey: Uint8Array): Uint8Array;
  ed25519Verify(msg: Uint8Array, sig: Uint8Array, publicKey: Uint8Array): boolean;
  sha512(data: Uint8Array): Uint8Array;
  /**
   * HMAC-SHA-512 in one native call, where the platform has one; hkdf.ts
   * builds it from sha512() otherwise. (A handshake runs ~14 per side.)
   */
  hmacSha512?(key: Uint8Array, data: Uint8Array): Uint8Array;
}

/** Throw protocolError when an X25519 result is all zeros (checked without an early exit). */
export function checkSharedSecret(shared: Uint8Array): Uint8Array {
  let acc = 0;
  for (let i = 0; i < shared.length; i++) acc |= shared[i];
  if (acc === 0) {
    throw new ChanError('protocolError', 'X25519 with a low-order public key (all-zero shared secret)', {
      details: { phase: 'dh' },
    });
  }
  return shared;
}

export function checkLength(what: string, bytes: Uint8Array, n: number): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== n) {
    throw new ChanError('badArgument', `${what} must be ${n} bytes, got ${bytes instanceof Uint8Array ? bytes.length : typeof bytes}`, {
      details: { limit: n, actual: bytes instanceof Uint8Array ? bytes.length : undefined },
    });
  }
}

/** crypto.getRandomValues fills at most 65536 bytes per call. */
export function webRandomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let o = 0; o < n; o += 65536) globalThis.crypto.getRandomValues(out.subarray(o, Math.min(n, o + 65536)));
  return out;
}

interface NaclLowLevel {
  crypto_secretbox(c: Uint8Array, m: Uint8Array, d: number, n: Uint8Array, k: Uint8Array): number;
  crypto_secretbox_open(m: Uint8Array, c: Uint8Array, d: number, n: Uint8Array, k: Uint8Array): number;
}
const lowlevel = (nacl as unknown as { lowlevel: NaclLowLevel }).lowlevel;

/** NaCl's secretbox wants 32 zero bytes in front of the plaintext and 16 in front of the box. */
const ZERO_BYTES = 32;
const BOX_ZERO_BYTES = 16;

export const tweetnaclProvider: CryptoProvider = {
  name: 'tweetnacl',
  // secretboxOpenInto copies the box out before it writes `out`.
  openInPlace: true,
  randomBytes: webRandomBytes,
  x25519Keypair(secretKey?: Uint8Array): KeyPair {
    const sk = secretKey ?? webRandomBytes(X25519_KEY_BYTES);
    checkLength('X25519 secret key', sk, X25519_KEY_BYTES);
    return { publicKey: nacl.scalarMult.base(sk), secretKey: sk };
  },
  x25519(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
    checkLength('X25519 secret key', secretKey, X25519_KEY_BYTES);
    checkLength('X25519 public key', publicKey, X25519_KEY_BYTES);
    return checkSharedSecret(nacl.scalarMult(secretKey, publicKey));
  },
  secretboxSeal(plain, nonce, key) {
    return nacl.secretbox(plain, nonce, key);
  },
  secretboxOpen(boxed, nonce, key) {
    return nacl.secretbox.open(boxed, nonce, key);
  },
  secretboxSealInto(out, plain, nonce, key) {
    checkLength('secretbox output', out, plain.length + SECRETBOX_MAC_BYTES);
    const d = plain.length + ZERO_BYTES;
    const m = new Uint8Array(d);
    m.set(plain, ZERO_BYTES);
    const c = new Uint8Array(d);
    lowlevel.crypto_secretbox(c, m, d, nonce, key);
    out.set(c.subarray(BOX_ZERO_BYTES));
  },
  secretboxOpenInto(out, boxed, nonce, key) {
    if (boxed.length < SECRETBOX_MAC_BYTES) return false;
    checkLength('secretbox output', out, boxed.length - SECRETBOX_MAC_BYTES);
    const d = boxed.length + BOX_ZERO_BYTES;
    const c = new Uint8Array(d);
    c.set(boxed, BOX_ZERO_BYTES);
    const m = new Uint8Array(d);
    if (lowlevel.crypto_secretbox_open(m, c, d, nonce, key) !== 0) return false;
    out.set(m.subarray(ZERO_BYTES));
    return true;
  },
  ed25519Keypair(seed?: Uint8Array): KeyPair {
    if (seed === undefined) return nacl.sign.keyPair();
    checkLength('Ed25519 seed', seed, ED25519_SEED_BYTES);
    return nacl.sign.keyPair.fromSeed(seed);
  },
  ed25519Sign(msg, secretKey) {
    checkLength('Ed25519 secret key', secretKey, ED25519_SECRET_KEY_BYTES);
    return nacl.sign.detached(msg, secretKey);
  },
  ed25519Verify(msg, sig, publicKey) {
    if (sig.length !== ED25519_SIGNATURE_BYTES || publicKey.length !== ED25519_PUBLIC_KEY_BYTES) return false;
    return nacl.sign.detached.verify(msg, sig, publicKey);
  },
  sha512(data) {
    return nacl.hash(data);
  },
};
