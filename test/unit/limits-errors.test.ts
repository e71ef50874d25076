import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DEFAULT_LIMITS, LIMITS, renderLimitsTable, resolveLimits } from '../../src/limits.ts';
import { ChanError, ERROR_CODES } from '../../src/errors.ts';

test('every default lies within its own range', () => {
  for (const [k, v] of Object.entries(LIMITS)) {
    assert.ok(v.default >= v.min && v.default <= v.max, k);
    assert.equal(DEFAULT_LIMITS[k as keyof typeof LIMITS], v.default);
  }
});

test('resolveLimits fills defaults and refuses unknown keys and out-of-range values', () => {
  assert.equal(resolveLimits({ maxFrameBytes: 1000 }).maxFrameBytes, 1000);
  assert.equal(resolveLimits({}).handshakeTimeoutMs, LIMITS.handshakeTimeoutMs.default);
  assert.throws(
    () => resolveLimits({ maxFrameByte: 1 }),
    (e: unknown) => e instanceof ChanError && e.code === 'badConf' && e.details.key === 'maxFrameByte',
  );
  assert.throws(
    () => resolveLimits({ maxFrameBytes: 1 }),
    (e: unknown) => e instanceof ChanError && e.code === 'badConf' && e.details.key === 'maxFrameBytes',
  );
  assert.throws(
    () => resolveLimits({ maxFrameBytes: 1.5 }),
    (e: unknown) => e instanceof ChanError && e.code === 'badConf',
  );
});

test('error codes are unique and the README lists exactly the table', () => {
  const codes = Object.keys(ERROR_CODES);
  assert.equal(new Set(codes).size, codes.length);
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.split('<!-- error-codes:start -->')[1]?.split('<!-- error-codes:end -->')[0] ?? '';
  const listed = [...section.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]);
  assert.deepEqual(listed.sort(), [...codes].sort());
});

test('the README limits table is the one rendered from LIMITS', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.split('<!-- limits:start -->')[1]?.split('<!-- limits:end -->')[0] ?? '';
  assert.equal(section.trim(), renderLimitsTable());
});
