import { type ScryptParams } from './password-hash.ts';
/** `scrypt$N$r$p$<salt b64>$<hash b64>` for `pw` (UTF-8), with a fresh 16-byte salt. */
export declare function hashPassword(pw: string | Uint8Array, params?: ScryptParams): Promise<string>;
/**
 * Whether `pw` matches `hashString`. A malformed or out-of-bounds hash
 * string throws badArgument (a conf error, found at load time by
 * parsePasswordHash); a wrong password resolves false. Compared in constant time.
 */
export declare function verifyPasswordHash(pw: string | Uint8Array, hashString: string): Promise<boolean>;
//# sourceMappingURL=password-hash-node.d.ts.map