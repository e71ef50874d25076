import type { CryptoProvider } from '../crypto.ts';
/** Bound into h first, so a peer of another protocol or version derives other keys. */
export declare const PROTOCOL_NAME = "lib_chan_secure_v1_25519_XSalsa20Poly1305_SHA512";
/** Write counter (lo + hi * 2^32) little-endian into bytes 0..7 of a 24-byte nonce; bytes 8..23 stay zero. */
export declare function writeCounterNonce(nonce: Uint8Array, lo: number, hi: number): void;
export interface SplitKeys {
    /** Key for records the client sends. */
    clientToServer: Uint8Array;
    /** Key for records the server sends. */
    serverToClient: Uint8Array;
    /** The final handshake hash, for channel binding. */
    handshakeHash: Uint8Array;
}
export declare class SymmetricState {
    private readonly provider;
    private ck;
    private h;
    private k;
    private n;
    /**
     * InitializeSymmetric(protocolName). `from`: start instead from a state
     * saved by snapshot() (the same hash and chaining key; no key yet), which
     * is how a handshake skips hashing its constant prologue every time.
     */
    constructor(provider: CryptoProvider, protocolName?: string, from?: {
        h: Uint8Array;
        ck: Uint8Array;
    });
    /** Copies of h and ck, for a state that has mixed only public constants (no key yet). */
    snapshot(): {
        h: Uint8Array;
        ck: Uint8Array;
    };
    /** A copy of the current handshake hash. */
    handshakeHash(): Uint8Array;
    mixHash(data: Uint8Array): void;
    mixKey(ikm: Uint8Array): void;
    /** Ciphertext (MAC || box) with h as associated data; then MixHash(ciphertext). */
    encryptAndHash(plain: Uint8Array): Uint8Array;
    /** The plaintext, or null when the MAC fails (h is then left unchanged). */
    decryptAndHash(c: Uint8Array): Uint8Array | null;
    /** The two record keys and the final h; wipes ck and k (the state is dead afterwards). */
    split(): SplitKeys;
    /** Zero every secret this state holds. */
    destroy(): void;
    private boxKey;
    private nonce;
}
//# sourceMappingURL=schedule.d.ts.map