/**
 * The stored password-hash format and its bounds (pure; the scrypt itself is
 * in password-hash-node.ts). A conf may hold, instead of a plaintext
 * password, the string
 *
 *   scrypt$N$r$p$<salt, base64>$<hash, base64>
 *
 * The server then checks a secure login's password with scrypt. Legacy MD5
 * logins need the plaintext, so a service with a hashed password cannot be
 * used by legacy clients.
 *
 * Bounds keep a hostile or mistaken conf from making each login absurdly slow
 * or large: N a power of two from 2^10 to 2^20, r 1..32, p 1..16, memory
 * 128*N*r <= 256 MiB and work N*r*p <= 2^22 (32 times the default).
 */
import { ChanError } from '../errors.ts';
import { fromBase64 } from './base64.ts';

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelism. */
  p: number;
}

/**
 * N=2^17, r=8, p=1: OWASP's minimum for scrypt hashes of human passwords.
 * 128 MiB and roughly 0.3-0.5 s per check on one core of this 2-core VM; the
 * login guess budget (loginGuessesPerSecond) and libuv's 4 threads bound how
 * many run at once. A stored hash is always verified with its own N, r and p,
 * so hashes made with the earlier default (N=2^14) keep working; rehash them
 * with `lib_chan passwd` to get the new cost.
 */
export const DEFAULT_SCRYPT: Readonly<ScryptParams> = Object.freeze({ N: 131072, r: 8, p: 1 });
export const SCRYPT_BOUNDS = {
  minLogN: 10,
  maxLogN: 20,
  maxR: 32,
  maxP: 16,
  maxMemoryBytes: 256 * 1024 * 1024,
  maxWork: 2 ** 22,
  saltBytes: { min: 8, max: 64 },
  hashBytes: { min: 16, max: 64 },
} as const;
export const SALT_BYTES = 16;
export const HASH_BYTES = 32;
export const HASH_PREFIX = 'scrypt$';

export interface ParsedPasswordHash extends ScryptParams {
  salt: Uint8Array;
  hash: Uint8Array;
}

/** Whether a conf password string is a hash in this format (it may still be out of bounds). */
export function isPasswordHash(s: string): boolean {
  return s.startsWith(HASH_PREFIX);
}

/** Memory scrypt needs for these parameters, in bytes (128 * N * r, plus p blocks). */
export function scryptMemoryBytes({ N, r, p }: ScryptParams): number {
  return 128 * N * r + 128 * r * p;
}

/** badArgument naming the parameter when N, r or p is out of bounds. */
export function checkScryptParams(params: ScryptParams): void {
  const { N, r, p } = params;
  const b = SCRYPT_BOUNDS;
  const logN = Math.log2(N);
  const fail = (why: string) => {
    throw new ChanError('badArgument', `scrypt parameters N=${N} r=${r} p=${p}: ${why}`);
  };
  if (!Number.isInteger(logN) || logN < b.minLogN || logN > b.maxLogN) fail(`N must be a power of two from 2^${b.minLogN} to 2^${b.maxLogN}`);
  if (!Number.isInteger(r) || r < 1 || r > b.maxR) fail(`r must be 1..${b.maxR}`);
  if (!Number.isInteger(p) || p < 1 || p > b.maxP) fail(`p must be 1..${b.maxP}`);
  if (128 * N * r > b.maxMemoryBytes) fail(`needs ${(128 * N * r) / 2 ** 20} MiB, more than ${b.maxMemoryBytes / 2 ** 20}`);
  if (N * r * p > b.maxWork) fail(`work N*r*p above 2^${Math.log2(b.maxWork)}`);
}

export function formatPasswordHash(params: ScryptParams, salt: Uint8Array, hash: Uint8Array, b64: (b: Uint8Array) => string): string {
  return `scrypt$${params.N}$${params.r}$${params.p}$${b64(salt)}$${b64(hash)}`;
}

/** Parse and bound-check a hash string; badArgument saying what is wrong (never echoing the hash). */
export function parsePasswordHash(s: string): ParsedPasswordHash {
  const parts = s.split('$');
  const bad = (why: string) => new ChanError('badArgument', `not a valid password hash (${why}); expected scrypt$N$r$p$<salt>$<hash>`);
  if (parts.length !== 6 || parts[0] !== 'scrypt') throw bad('wrong number of fields or not scrypt');
  const [N, r, p] = parts.slice(1, 4).map((x) => (/^[0-9]{1,8}$/.test(x) ? Number(x) : NaN));
  if (!Number.isFinite(N) || !Number.isFinite(r) || !Number.isFinite(p)) throw bad('N, r and p must be decimal integers');
  checkScryptParams({ N, r, p });
  const salt = fromBase64(parts[4]);
  const hash = fromBase64(parts[5]);
  const { saltBytes, hashBytes } = SCRYPT_BOUNDS;
  if (salt === null || salt.length < saltBytes.min || salt.length > saltBytes.max) throw bad(`salt must be ${saltBytes.min}-${saltBytes.max} bytes of base64`);
  if (hash === null || hash.length < hashBytes.min || hash.length > hashBytes.max) throw bad(`hash must be ${hashBytes.min}-${hashBytes.max} bytes of base64`);
  return { N, r, p, salt, hash };
}
