/**
 * The conf's validators are compiled ahead of time (src/conf/conf-validators.ts): they must be what ajv
 * compiles from today's schemas, or a changed schema (a new limit, a new option) would be checked by the old code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { generateConfValidators, GENERATED_FILE, GENERATED_TYPES } from '../../scripts/gen-conf-validators.ts';

test('conf validators - src/conf/conf-validators.js is what ajv compiles from conf-schemas.ts (else: npm run gen)', () => {
  const { code, types } = generateConfValidators();
  // Not assert.equal: a diff of 180 KB of generated code says nothing the message does not.
  assert.ok(readFileSync(GENERATED_FILE, 'utf8') === code, 'src/conf/conf-validators.js is stale: run npm run gen, and commit the result');
  assert.ok(readFileSync(GENERATED_TYPES, 'utf8') === types, 'src/conf/conf-validators.d.ts is stale: run npm run gen');
});
