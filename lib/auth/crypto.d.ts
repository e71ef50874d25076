export declare const X25519_KEY_BYTES = 32;
export declare const ED25519_PUBLIC_KEY_BYTES = 32;
export declare const ED25519_SECRET_KEY_BYTES = 64;
export declare const ED25519_SEED_BYTES = 32;
export declare const ED25519_SIGNATURE_BYTES = 64;
export declare const SECRETBOX_KEY_BYTES = 32;
export declare const SECRETBOX_NONCE_BYTES = 24;
export declare const SECRETBOX_MAC_BYTES = 16;
export declare const SHA512_BYTES = 64;
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
export declare function checkSharedSecret(shared: Uint8Array): Uint8Array;
export declare function checkLength(what: string, bytes: Uint8Array, n: number): void;
/** crypto.getRandomValues fills at most 65536 bytes per call. */
export declare function webRandomBytes(n: number): Uint8Array;
export declare const tweetnaclProvider: CryptoProvider;
//# sourceMappingURL=crypto.d.ts.map