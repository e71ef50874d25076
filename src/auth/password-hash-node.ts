/**
 * Node-only: scrypt password hashes for the conf (format and bounds in
 * password-hash.ts). `lib_chan passwd` writes them; the server verifies a
 * secure login's password against them.
 *
 * Cost: one verifyPasswordHash with the defaults (N=2^17, r=8, p=1) takes
 * 128 MiB and a few hundred milliseconds on libuv's thread pool (4 threads by
 * default); the login guess budget (authorize.ts) keeps it from becoming a
 * denial of service. The event loop is not blocked.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { TEXT_ENCODER } from '../wire/bytes.ts';
import { toBase64 } from './base64.ts';
import {
  DEFAULT_SCRYPT,
  HASH_BYTES,
  SALT_BYTES,
  type ScryptParams,
  checkScryptParams,
  formatPasswordHash,
  parsePasswordHash,
  scryptMemoryBytes,
} from './password-hash.ts';

function scryptAsync(pw: Uint8Array, salt: Uint8Array, keylen: number, { N, r, p }: ScryptParams): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    scrypt(pw, salt, keylen, { N, r, p, maxmem: scryptMemoryBytes({ N, r, p }) + 1024 * 1024 }, (err, key) => {
      if (err) reject(err);
      else resolve(new Uint8Array(key.buffer, key.byteOffset, key.byteLength));
    });
  });
}

const pwBytes = (pw: string | Uint8Array) => (typeof pw === 'string' ? TEXT_ENCODER.encode(pw) : pw);

/** `scrypt$N$r$p$<salt b64>$<hash b64>` for `pw` (UTF-8), with a fresh 16-byte salt. */
export async function hashPassword(pw: string | Uint8Array, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  checkScryptParams(params);
  const salt = new Uint8Array(randomBytes(SALT_BYTES));
  const hash = await scryptAsync(pwBytes(pw), salt, HASH_BYTES, params);
  return formatPasswordHash(params, salt, hash, (b) => toBase64(b));
}

/**
 * Whether `pw` matches `hashString`. A malformed or out-of-bounds hash
 * string throws badArgument (a conf error, found at load time by
 * parsePasswordHash); a wrong password resolves false. Compared in constant time.
 */
export async function verifyPasswordHash(pw: string | Uint8Array, hashString: string): Promise<boolean> {
  const parsed = parsePasswordHash(hashString);
  const got = await scryptAsync(pwBytes(pw), parsed.salt, parsed.hash.length, parsed);
  return timingSafeEqual(got, parsed.hash);
}
