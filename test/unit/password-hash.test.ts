/**
 * Issue 10, finding 10: the scrypt default meets current guidance (N=2^17,
 * r=8), and a hash made with the earlier default (N=2^14) still verifies by
 * its own parameters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SCRYPT, parsePasswordHash } from '../../src/auth/password-hash.ts';
import { hashPassword, verifyPasswordHash } from '../../src/auth/password-hash-node.ts';

test('new hashes use N=2^17, r=8, p=1', async () => {
  assert.deepEqual({ ...DEFAULT_SCRYPT }, { N: 2 ** 17, r: 8, p: 1 });
  const h = await hashPassword('ABXy45');
  const p = parsePasswordHash(h);
  assert.equal(p.N, 2 ** 17);
  assert.equal(await verifyPasswordHash('ABXy45', h), true);
});

test('a hash made with the old default (N=2^14) is verified with its own parameters', async () => {
  const old = await hashPassword('ABXy45', { N: 2 ** 14, r: 8, p: 1 });
  assert.match(old, /^scrypt\$16384\$8\$1\$/);
  assert.equal(await verifyPasswordHash('ABXy45', old), true);
  assert.equal(await verifyPasswordHash('wrong', old), false);
});
