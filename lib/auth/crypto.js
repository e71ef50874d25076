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
import { ChanError } from "../errors.js";
export const X25519_KEY_BYTES = 32;
export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SECRET_KEY_BYTES = 64;
export const ED25519_SEED_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;
export const SECRETBOX_KEY_BYTES = 32;
export const SECRETBOX_NONCE_BYTES = 24;
export const SECRETBOX_MAC_BYTES = 16;
export const SHA512_BYTES = 64;
/** Throw protocolError when an X25519 result is all zeros (checked without an early exit). */
export function checkSharedSecret(shared) {
    let acc = 0;
    for (let i = 0; i < shared.length; i++)
        acc |= shared[i];
    if (acc === 0) {
        throw new ChanError('protocolError', 'X25519 with a low-order public key (all-zero shared secret)', {
            details: { phase: 'dh' },
        });
    }
    return shared;
}
export function checkLength(what, bytes, n) {
    if (!(bytes instanceof Uint8Array) || bytes.length !== n) {
        throw new ChanError('badArgument', `${what} must be ${n} bytes, got ${bytes instanceof Uint8Array ? bytes.length : typeof bytes}`, {
            details: { limit: n, actual: bytes instanceof Uint8Array ? bytes.length : undefined },
        });
    }
}
/** crypto.getRandomValues fills at most 65536 bytes per call. */
export function webRandomBytes(n) {
    const out = new Uint8Array(n);
    for (let o = 0; o < n; o += 65536)
        globalThis.crypto.getRandomValues(out.subarray(o, Math.min(n, o + 65536)));
    return out;
}
const lowlevel = nacl.lowlevel;
/** NaCl's secretbox wants 32 zero bytes in front of the plaintext and 16 in front of the box. */
const ZERO_BYTES = 32;
const BOX_ZERO_BYTES = 16;
export const tweetnaclProvider = {
    name: 'tweetnacl',
    randomBytes: webRandomBytes,
    x25519Keypair(secretKey) {
        const sk = secretKey ?? webRandomBytes(X25519_KEY_BYTES);
        checkLength('X25519 secret key', sk, X25519_KEY_BYTES);
        return { publicKey: nacl.scalarMult.base(sk), secretKey: sk };
    },
    x25519(secretKey, publicKey) {
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
        if (boxed.length < SECRETBOX_MAC_BYTES)
            return false;
        checkLength('secretbox output', out, boxed.length - SECRETBOX_MAC_BYTES);
        const d = boxed.length + BOX_ZERO_BYTES;
        const c = new Uint8Array(d);
        c.set(boxed, BOX_ZERO_BYTES);
        const m = new Uint8Array(d);
        if (lowlevel.crypto_secretbox_open(m, c, d, nonce, key) !== 0)
            return false;
        out.set(m.subarray(ZERO_BYTES));
        return true;
    },
    ed25519Keypair(seed) {
        if (seed === undefined)
            return nacl.sign.keyPair();
        checkLength('Ed25519 seed', seed, ED25519_SEED_BYTES);
        return nacl.sign.keyPair.fromSeed(seed);
    },
    ed25519Sign(msg, secretKey) {
        checkLength('Ed25519 secret key', secretKey, ED25519_SECRET_KEY_BYTES);
        return nacl.sign.detached(msg, secretKey);
    },
    ed25519Verify(msg, sig, publicKey) {
        if (sig.length !== ED25519_SIGNATURE_BYTES || publicKey.length !== ED25519_PUBLIC_KEY_BYTES)
            return false;
        return nacl.sign.detached.verify(msg, sig, publicKey);
    },
    sha512(data) {
        return nacl.hash(data);
    },
};
//# sourceMappingURL=crypto.js.map