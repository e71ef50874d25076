export interface ScryptParams {
    /** CPU/memory cost, a power of two. */
    N: number;
    /** Block size. */
    r: number;
    /** Parallelism. */
    p: number;
}
/**
 * N=16384, r=8, p=1: 16 MiB and roughly 30-60 ms per check on one core of a
 * 2020s server (OWASP's minimum for scrypt is N=2^17 at r=8 for stored
 * hashes of human passwords; raise N where logins are rare).
 */
export declare const DEFAULT_SCRYPT: Readonly<ScryptParams>;
export declare const SCRYPT_BOUNDS: {
    readonly minLogN: 10;
    readonly maxLogN: 20;
    readonly maxR: 32;
    readonly maxP: 16;
    readonly maxMemoryBytes: number;
    readonly maxWork: number;
    readonly saltBytes: {
        readonly min: 8;
        readonly max: 64;
    };
    readonly hashBytes: {
        readonly min: 16;
        readonly max: 64;
    };
};
export declare const SALT_BYTES = 16;
export declare const HASH_BYTES = 32;
export declare const HASH_PREFIX = "scrypt$";
export interface ParsedPasswordHash extends ScryptParams {
    salt: Uint8Array;
    hash: Uint8Array;
}
/** Whether a conf password string is a hash in this format (it may still be out of bounds). */
export declare function isPasswordHash(s: string): boolean;
/** Memory scrypt needs for these parameters, in bytes (128 * N * r, plus p blocks). */
export declare function scryptMemoryBytes({ N, r, p }: ScryptParams): number;
/** badArgument naming the parameter when N, r or p is out of bounds. */
export declare function checkScryptParams(params: ScryptParams): void;
export declare function formatPasswordHash(params: ScryptParams, salt: Uint8Array, hash: Uint8Array, b64: (b: Uint8Array) => string): string;
/** Parse and bound-check a hash string; badArgument saying what is wrong (never echoing the hash). */
export declare function parsePasswordHash(s: string): ParsedPasswordHash;
//# sourceMappingURL=password-hash.d.ts.map