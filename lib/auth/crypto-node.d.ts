import { type CryptoProvider, type KeyPair } from './crypto.ts';
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
/** sodium-native when its prebuilt binary loads on this platform, else undefined. */
export declare const sodium: Sodium | undefined;
/** One implementation per primitive; the providers below pick from these. */
export declare const primitives: {
    x25519Keypair: {
        sodium(secretKey?: Uint8Array): KeyPair;
        node(secretKey?: Uint8Array): KeyPair;
    };
    x25519: {
        sodium(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
        node(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
    };
    secretboxSealInto: {
        sodium(out: Uint8Array, m: Uint8Array, nonce: Uint8Array, key: Uint8Array): void;
    };
    secretboxOpenInto: {
        sodium(out: Uint8Array, boxed: Uint8Array, nonce: Uint8Array, key: Uint8Array): boolean;
    };
    ed25519Keypair: {
        sodium(seed?: Uint8Array): KeyPair;
        node(seed?: Uint8Array): KeyPair;
    };
    ed25519Sign: {
        sodium(msg: Uint8Array, secretKey: Uint8Array): Uint8Array;
        node(msg: Uint8Array, secretKey: Uint8Array): Uint8Array;
    };
    ed25519Verify: {
        sodium(msg: Uint8Array, sig: Uint8Array, publicKey: Uint8Array): boolean;
        node(msg: Uint8Array, sig: Uint8Array, publicKey: Uint8Array): boolean;
    };
    sha512: {
        sodium(data: Uint8Array): Uint8Array;
        node(data: Uint8Array): Uint8Array;
    };
};
/** The node:crypto-only provider, for benchmarks and for platforms without sodium-native. */
export declare const nodeCryptoOnlyProvider: CryptoProvider;
/**
 * The fastest provider on this machine: sodium-native when it loads, else
 * node:crypto with tweetnacl's secretbox.
 */
export declare const nodeProvider: CryptoProvider;
/** Throws badArgument naming the reason when sodium-native is required but absent. */
export declare function requireSodium(): CryptoProvider;
export {};
//# sourceMappingURL=crypto-node.d.ts.map