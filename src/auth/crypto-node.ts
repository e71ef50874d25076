/**
 * Node-only: a CryptoProvider on native code. Same primitives and the same
 * bytes as `tweetnaclProvider` (a test checks them on fixed inputs); only the
 * speed differs.
 *
 * Choice per primitive, measured with test/bench/crypto.ts (Node 20, x64,
 * 2 vCPU; median of 3; full table in docs/protocol.md "Costs"):
 *
 * | primitive            | tweetnacl   | node:crypto | sodium-native | pick          |
 * |----------------------|-------------|-------------|---------------|---------------|
 * | X25519 DH            | 1.6 k/s     | 2.0 k/s     | 32 k/s        | sodium-native |
 * | X25519 key pair      | 1.6 k/s     | 2.3 k/s     | 62 k/s        | sodium-native |
 * | secretbox 64 KiB     | 116 MB/s    | (none)      | 1.8 GB/s      | sodium-native |
 * | secretbox 100 B      | 0.34 M/s    | (none)      | 1.3 M/s       | sodium-native |
 * | Ed25519 sign         | 240 /s      | 2.5 k/s     | 57 k/s        | sodium-native |
 * | Ed25519 verify       | 126 /s      | 5.2 k/s     | 20 k/s        | sodium-native |
 * | SHA-512, 128 B       | 170 k/s     | 490 k/s     | 720 k/s       | sodium-native |
 *
 * - node:crypto's X25519 and Ed25519 are slow here because every call must
 *   wrap raw 32-byte keys in KeyObjects (DER parsing); the curve math itself
 *   is native (27 k/s X25519 with KeyObjects made once, which a per-
 *   connection ephemeral key cannot reuse). They are the fallback when
 *   sodium-native cannot load.
 * - node:crypto has no XSalsa20, so without sodium-native the secretbox
 *   stays on tweetnacl (same bytes, 4-15x slower).
 * - sodium-native ships prebuilt binaries inside its npm package (no
 *   install script runs); libsodium also refuses low-order X25519 points
 *   itself, which we report as the same protocolError as tweetnacl.
 * - randomBytes: libsodium's randombytes_buf (the kernel's getrandom), 0.7 µs for
 *   32 bytes against 2.1 µs for crypto.getRandomValues; the latter without
 *   sodium-native.
 */
import { createRequire } from 'node:module';
import * as nodeCrypto from 'node:crypto';
import {
  type CryptoProvider,
  type KeyPair,
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SECRET_KEY_BYTES,
  ED25519_SEED_BYTES,
  ED25519_SIGNATURE_BYTES,
  SECRETBOX_MAC_BYTES,
  SHA512_BYTES,
  X25519_KEY_BYTES,
  checkLength,
  checkSharedSecret,
  tweetnaclProvider,
  webRandomBytes,
} from './crypto.ts';
import { ChanError } from '../errors.ts';

/** The part of sodium-native we call (it ships no types). */
interface Sodium {
  crypto_scalarmult_base(q: Uint8Array, n: Uint8Array): void;
  crypto_scalarmult(q: Uint8Array, n: Uint8Array, p: Uint8Array): void;
  crypto_secretbox_easy(c: Uint8Array, m: Uint8Array, n: Uint8Array, k: Uint8Array): void;
  crypto_secretbox_open_easy(m: Uint8Array, c: Uint8Array, n: Uint8Array, k: Uint8Array): boolean;
  crypto_sign_seed_keypair(pk: Uint8Array, sk: Uint8Array, seed: Uint8Array): void;
  crypto_sign_detached(sig: Uint8Array, m: Uint8Array, sk: Uint8Array): void;
  crypto_sign_verify_detached(sig: Uint8Array, m: Uint8Array, pk: Uint8Array): boolean;
  crypto_hash_sha512(out: Uint8Array, input: Uint8Array): void;
  randombytes_buf(buf: Uint8Array): void;
}

let sodium: Sodium | undefined;
let sodiumTried = false;

/**
 * sodium-native when its prebuilt binary loads on this platform, else undefined; loaded on the first
 * call, not with this module: it costs about 70 ms of CPU in each process and thread that loads it, and
 * most that import lib-chan (a handler's worker thread, a CLI command that never handshakes) never use it.
 */
export function sodiumNative(): Sodium | undefined {
  if (!sodiumTried) {
    sodiumTried = true;
    try {
      sodium = createRequire(import.meta.url)('sodium-native') as Sodium;
    } catch {
      sodium = undefined;
    }
  }
  return sodium;
}

const randomBytes = webRandomBytes;

// DER prefixes that wrap a raw 32-byte key for node:crypto (RFC 8410).
const X25519_PKCS8 = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20);
const X25519_SPKI = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00);
const ED25519_PKCS8 = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20);
const ED25519_SPKI = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00);

function der(prefix: Uint8Array, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.length + key.length);
  out.set(prefix);
  out.set(key, prefix.length);
  return out;
}
const privateKeyObject = (prefix: Uint8Array, raw: Uint8Array) =>
  nodeCrypto.createPrivateKey({ key: der(prefix, raw) as Buffer, format: 'der', type: 'pkcs8' });
const publicKeyObject = (prefix: Uint8Array, raw: Uint8Array) => nodeCrypto.createPublicKey({ key: der(prefix, raw) as Buffer, format: 'der', type: 'spki' });
/** The last 32 bytes of an SPKI/raw export are the raw public key. */
const rawPublic = (key: nodeCrypto.KeyObject) => new Uint8Array(key.export({ format: 'der', type: 'spki' }).subarray(-32));
const plain = (b: Uint8Array) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** One implementation per primitive; the providers below pick from these. */
export const primitives = {
  x25519Keypair: {
    sodium(secretKey?: Uint8Array): KeyPair {
      const sk = secretKey ?? randomBytes(X25519_KEY_BYTES);
      checkLength('X25519 secret key', sk, X25519_KEY_BYTES);
      const pk = new Uint8Array(X25519_KEY_BYTES);
      sodium!.crypto_scalarmult_base(pk, sk);
      return { publicKey: pk, secretKey: sk };
    },
    node(secretKey?: Uint8Array): KeyPair {
      const sk = secretKey ?? randomBytes(X25519_KEY_BYTES);
      checkLength('X25519 secret key', sk, X25519_KEY_BYTES);
      const pub = nodeCrypto.createPublicKey(privateKeyObject(X25519_PKCS8, sk));
      return { publicKey: rawPublic(pub), secretKey: sk };
    },
  },
  x25519: {
    sodium(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
      checkLength('X25519 secret key', secretKey, X25519_KEY_BYTES);
      checkLength('X25519 public key', publicKey, X25519_KEY_BYTES);
      const q = new Uint8Array(X25519_KEY_BYTES);
      try {
        sodium!.crypto_scalarmult(q, secretKey, publicKey);
      } catch {
        // libsodium refuses an all-zero result itself; report it the same way as tweetnacl.
        q.fill(0);
      }
      return checkSharedSecret(q);
    },
    node(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
      checkLength('X25519 secret key', secretKey, X25519_KEY_BYTES);
      checkLength('X25519 public key', publicKey, X25519_KEY_BYTES);
      let q: Uint8Array;
      try {
        q = plain(
          nodeCrypto.diffieHellman({
            privateKey: privateKeyObject(X25519_PKCS8, secretKey),
            publicKey: publicKeyObject(X25519_SPKI, publicKey),
          }),
        );
      } catch {
        // OpenSSL refuses an all-zero result too (ERR_CRYPTO_OPERATION_FAILED).
        q = new Uint8Array(X25519_KEY_BYTES);
      }
      return checkSharedSecret(q);
    },
  },
  secretboxSealInto: {
    sodium(out: Uint8Array, m: Uint8Array, nonce: Uint8Array, key: Uint8Array): void {
      checkLength('secretbox output', out, m.length + SECRETBOX_MAC_BYTES);
      sodium!.crypto_secretbox_easy(out, m, nonce, key);
    },
  },
  secretboxOpenInto: {
    sodium(out: Uint8Array, boxed: Uint8Array, nonce: Uint8Array, key: Uint8Array): boolean {
      if (boxed.length < SECRETBOX_MAC_BYTES) return false;
      checkLength('secretbox output', out, boxed.length - SECRETBOX_MAC_BYTES);
      return sodium!.crypto_secretbox_open_easy(out, boxed, nonce, key);
    },
  },
  ed25519Keypair: {
    sodium(seed?: Uint8Array): KeyPair {
      const s = seed ?? randomBytes(ED25519_SEED_BYTES);
      checkLength('Ed25519 seed', s, ED25519_SEED_BYTES);
      const pk = new Uint8Array(ED25519_PUBLIC_KEY_BYTES);
      const sk = new Uint8Array(ED25519_SECRET_KEY_BYTES);
      sodium!.crypto_sign_seed_keypair(pk, sk, s);
      return { publicKey: pk, secretKey: sk };
    },
    node(seed?: Uint8Array): KeyPair {
      const s = seed ?? randomBytes(ED25519_SEED_BYTES);
      checkLength('Ed25519 seed', s, ED25519_SEED_BYTES);
      const pk = rawPublic(nodeCrypto.createPublicKey(privateKeyObject(ED25519_PKCS8, s)));
      const sk = new Uint8Array(ED25519_SECRET_KEY_BYTES);
      sk.set(s);
      sk.set(pk, ED25519_SEED_BYTES);
      return { publicKey: pk, secretKey: sk };
    },
  },
  ed25519Sign: {
    sodium(msg: Uint8Array, secretKey: Uint8Array): Uint8Array {
      checkLength('Ed25519 secret key', secretKey, ED25519_SECRET_KEY_BYTES);
      const sig = new Uint8Array(ED25519_SIGNATURE_BYTES);
      sodium!.crypto_sign_detached(sig, msg, secretKey);
      return sig;
    },
    node(msg: Uint8Array, secretKey: Uint8Array): Uint8Array {
      checkLength('Ed25519 secret key', secretKey, ED25519_SECRET_KEY_BYTES);
      return plain(nodeCrypto.sign(null, msg, privateKeyObject(ED25519_PKCS8, secretKey.subarray(0, ED25519_SEED_BYTES))));
    },
  },
  ed25519Verify: {
    sodium(msg: Uint8Array, sig: Uint8Array, publicKey: Uint8Array): boolean {
      if (sig.length !== ED25519_SIGNATURE_BYTES || publicKey.length !== ED25519_PUBLIC_KEY_BYTES) return false;
      return sodium!.crypto_sign_verify_detached(sig, msg, publicKey);
    },
    node(msg: Uint8Array, sig: Uint8Array, publicKey: Uint8Array): boolean {
      if (sig.length !== ED25519_SIGNATURE_BYTES || publicKey.length !== ED25519_PUBLIC_KEY_BYTES) return false;
      try {
        return nodeCrypto.verify(null, msg, publicKeyObject(ED25519_SPKI, publicKey), sig);
      } catch {
        return false;
      }
    },
  },
  sha512: {
    sodium(data: Uint8Array): Uint8Array {
      const out = new Uint8Array(SHA512_BYTES);
      sodium!.crypto_hash_sha512(out, data);
      return out;
    },
    node(data: Uint8Array): Uint8Array {
      return plain(nodeCrypto.createHash('sha512').update(data).digest());
    },
  },
};

function sealWith(sealInto: CryptoProvider['secretboxSealInto']): CryptoProvider['secretboxSeal'] {
  return (m, nonce, key) => {
    const out = new Uint8Array(m.length + SECRETBOX_MAC_BYTES);
    sealInto(out, m, nonce, key);
    return out;
  };
}
function openWith(openInto: CryptoProvider['secretboxOpenInto']): CryptoProvider['secretboxOpen'] {
  return (boxed, nonce, key) => {
    if (boxed.length < SECRETBOX_MAC_BYTES) return null;
    const out = new Uint8Array(boxed.length - SECRETBOX_MAC_BYTES);
    return openInto(out, boxed, nonce, key) ? out : null;
  };
}

/** One native call instead of two hashes and the pad arithmetic in JS: 3.0 vs 4.4 µs here. */
function nodeHmacSha512(key: Uint8Array, data: Uint8Array): Uint8Array {
  return plain(nodeCrypto.createHmac('sha512', key).update(data).digest());
}

// HMAC-SHA-512 on libsodium's SHA-512 with reused buffers: createHmac builds a
// KeyObject and a hash context per call (3.1-4.7 µs here); two one-shot hashes
// of at most three blocks, the pads made 32 bits at a time, cost about 2.1 µs.
// The handshake's inputs are all short (keys of 32-64 bytes, data of at most
// 129); longer ones go to createHmac.
const HMAC_BLOCK = 128;
const HMAC_MAX_DATA = 256;
const hmacKey = new Uint8Array(HMAC_BLOCK);
const hmacKey32 = new Uint32Array(hmacKey.buffer);
const hmacInner = new Uint8Array(HMAC_BLOCK + HMAC_MAX_DATA);
const hmacInner32 = new Uint32Array(hmacInner.buffer, 0, HMAC_BLOCK / 4);
const hmacOuter = new Uint8Array(HMAC_BLOCK + SHA512_BYTES);
const hmacOuter32 = new Uint32Array(hmacOuter.buffer, 0, HMAC_BLOCK / 4);
const hmacInnerHash = hmacOuter.subarray(HMAC_BLOCK);
/** hmacInner.subarray(0, HMAC_BLOCK + n), made once per data length n. */
const hmacInnerViews: Uint8Array[] = [];

function sodiumHmacSha512(key: Uint8Array, data: Uint8Array): Uint8Array {
  if (key.length > HMAC_BLOCK || data.length > HMAC_MAX_DATA) return nodeHmacSha512(key, data);
  hmacKey.set(key);
  for (let i = 0; i < HMAC_BLOCK / 4; i++) {
    const w = hmacKey32[i];
    hmacInner32[i] = w ^ 0x36363636;
    hmacOuter32[i] = w ^ 0x5c5c5c5c;
  }
  hmacInner.set(data, HMAC_BLOCK);
  const n = data.length;
  const inner = (hmacInnerViews[n] ??= hmacInner.subarray(0, HMAC_BLOCK + n));
  // The inner hash lands right behind the outer pad: the outer message is ready.
  sodium!.crypto_hash_sha512(hmacInnerHash, inner);
  const mac = new Uint8Array(SHA512_BYTES);
  sodium!.crypto_hash_sha512(mac, hmacOuter);
  // The pads are the key in disguise, the inner hash a step of the MAC: leave neither behind.
  hmacKey.fill(0, 0, key.length);
  hmacInner.fill(0, 0, HMAC_BLOCK + n);
  hmacOuter.fill(0);
  return mac;
}

function sodiumRandomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  sodium!.randombytes_buf(out);
  return out;
}

function sodiumProvider(): CryptoProvider {
  const p = primitives;
  return {
    name: 'node+sodium',
    // libsodium checks the MAC before it decrypts, and allows the plaintext to overlap the box.
    openInPlace: true,
    randomBytes: sodiumRandomBytes,
    x25519Keypair: p.x25519Keypair.sodium,
    x25519: p.x25519.sodium,
    secretboxSeal: sealWith(p.secretboxSealInto.sodium),
    secretboxOpen: openWith(p.secretboxOpenInto.sodium),
    secretboxSealInto: p.secretboxSealInto.sodium,
    secretboxOpenInto: p.secretboxOpenInto.sodium,
    ed25519Keypair: p.ed25519Keypair.sodium,
    ed25519Sign: p.ed25519Sign.sodium,
    ed25519Verify: p.ed25519Verify.sodium,
    sha512: p.sha512.sodium,
    hmacSha512: sodiumHmacSha512,
  };
}

/** node:crypto only; the secretbox stays on tweetnacl (node:crypto has no XSalsa20). */
function nodeCryptoProvider(): CryptoProvider {
  const p = primitives;
  return {
    name: 'node:crypto+tweetnacl-box',
    openInPlace: tweetnaclProvider.openInPlace,
    randomBytes,
    x25519Keypair: p.x25519Keypair.node,
    x25519: p.x25519.node,
    secretboxSeal: tweetnaclProvider.secretboxSeal,
    secretboxOpen: tweetnaclProvider.secretboxOpen,
    secretboxSealInto: tweetnaclProvider.secretboxSealInto,
    secretboxOpenInto: tweetnaclProvider.secretboxOpenInto,
    ed25519Keypair: p.ed25519Keypair.node,
    ed25519Sign: p.ed25519Sign.node,
    ed25519Verify: p.ed25519Verify.node,
    sha512: p.sha512.node,
    hmacSha512: nodeHmacSha512,
  };
}

/** The node:crypto-only provider, for benchmarks and for platforms without sodium-native. */
export const nodeCryptoOnlyProvider: CryptoProvider = nodeCryptoProvider();

/**
 * A provider whose members are made by `make` on the first read of any of them, and from then on are
 * plain data properties of this same object (one change of shape, then the call sites see a stable one).
 */
function lazyProvider(make: () => CryptoProvider, keys: readonly (keyof CryptoProvider)[]): CryptoProvider {
  const lazy = {} as CryptoProvider;
  const fill = (): void => {
    const real = make();
    for (const k of keys) Object.defineProperty(lazy, k, { value: real[k], enumerable: true, writable: false, configurable: false });
  };
  for (const k of keys) {
    Object.defineProperty(lazy, k, {
      enumerable: true,
      configurable: true,
      get() {
        fill();
        return lazy[k];
      },
    });
  }
  return lazy;
}

/**
 * The fastest provider on this machine: sodium-native when it loads, else
 * node:crypto with tweetnacl's secretbox. Which one is decided at its first use.
 */
export const nodeProvider: CryptoProvider = lazyProvider(
  () => (sodiumNative() ? sodiumProvider() : nodeCryptoOnlyProvider),
  Object.keys(nodeCryptoOnlyProvider) as (keyof CryptoProvider)[],
);

/** Throws badArgument naming the reason when sodium-native is required but absent. */
export function requireSodium(): CryptoProvider {
  if (!sodiumNative()) throw new ChanError('badArgument', 'sodium-native did not load on this platform (no prebuilt binary?)');
  return nodeProvider;
}
