/**
 * Bounded work per byte in the term decoder (issue 10, finding 1): nested map
 * keys used to cost depth x size (a 1 MiB first frame blocked the server for
 * 6.8 s). Timings are only compared with each other, measured in the same
 * moment on the same machine, with generous factors: a loaded machine slows
 * both sides alike.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isChanError } from '../../src/errors.ts';
import { fromHex } from '../../src/wire/bytes.ts';
import { decodeTerm } from '../../src/wire/etf/decode.ts';
import { nestedMapKeys } from '../helpers/hostile-terms.ts';

/** Fastest of `runs` decodes, in ms. */
function bestOf(bytes: Uint8Array, runs = 3): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    decodeTerm(bytes);
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

test('etf work - 62 map keys nested around a string cost what one key around it does (was depth x size)', () => {
  // The baseline is the same input with one level, so both sides run the same code (hashing the string once
  // when linear); only the old walk of the whole key at every level tells them apart, by a factor near the
  // depth. From 256 KiB up: below that one GC pause of whatever ran before in the process is larger than the
  // whole measurement.
  for (const size of [256 * 1024, 1024 * 1024]) {
    const deep = nestedMapKeys(size, 62);
    const one = nestedMapKeys(size, 1);
    bestOf(one, 1); // warm up both
    bestOf(deep, 1);
    const ratio = bestOf(deep, 5) / Math.max(bestOf(one, 5), 0.05);
    assert.ok(ratio < 8, `${size} bytes: 62 nested keys took ${ratio.toFixed(1)}x one key`);
  }
});

test('etf work - duplicate keys are still found inside nested keys, across representations', () => {
  const h = (s: string): Uint8Array => fromHex(s.replace(/\s+/g, ''));
  // #{#{"ab" => 1} => 1, #{[97,98] => 1} => 2}
  const dup = h('83 74 00000002 74 00000001 6b 0002 6162 6101 6101  74 00000001 6c 00000002 6161 6162 6a 6101 6102');
  assert.throws(
    () => decodeTerm(dup),
    (e: unknown) => isChanError(e, 'badTerm'),
  );
  // #{{[a|b]} => 1, {[b|a]} => 2}: the same parts in another order are another key
  const two = h('83 74 00000002 6801 6c00000001 640001 61 640001 62 6101  6801 6c00000001 640001 62 640001 61 6102');
  assert.equal((decodeTerm(two) as Map<unknown, unknown>).size, 2);
  // #{[1,2|"c"] => 1, [1,2,99] => 2}: a merged string tail is the same list
  const merged = h('83 74 00000002 6c00000002 6101 6102 6b0001 63 6101  6c00000003 6101 6102 6163 6a 6102');
  assert.throws(
    () => decodeTerm(merged),
    (e: unknown) => isChanError(e, 'badTerm'),
  );
  // maps as keys: same entries in another order, one level down
  const inner = h('83 74 00000002 6801 74 00000002 6101 6101 6102 6102 6101  6801 74 00000002 6102 6102 6101 6101 6102');
  assert.throws(
    () => decodeTerm(inner),
    (e: unknown) => isChanError(e, 'badTerm'),
  );
});

test('etf work - an integer over maxIntegerBytes is refused before it is made (decimal printing is superlinear)', async () => {
  const { bigInteger } = await import('../helpers/hostile-terms.ts');
  const { formatTerm, toJson } = await import('../../src/wire/etf/format.ts');
  const { DEFAULT_LIMITS } = await import('../../src/limits.ts');
  const max = DEFAULT_LIMITS.maxIntegerBytes;
  const ok = decodeTerm(bigInteger(max));
  assert.equal(typeof ok, 'bigint');
  assert.ok(formatTerm(ok).length > 2000);
  assert.equal(typeof toJson(ok), 'string');
  for (const n of [max + 1, 4 * 1024 * 1024]) {
    assert.throws(
      () => decodeTerm(bigInteger(n)),
      (e: unknown) => isChanError(e, 'badTerm') && e.details.key === 'maxIntegerBytes' && e.details.actual === n,
    );
  }
  // SMALL_BIG_EXT too (up to 255 bytes), under a lower limit
  const small = fromHex(`836e2000${'ff'.repeat(32)}`);
  assert.throws(
    () => decodeTerm(small, { maxIntegerBytes: 16 }),
    (e: unknown) => isChanError(e, 'badTerm') && e.details.key === 'maxIntegerBytes',
  );
  assert.equal(typeof decodeTerm(small, { maxIntegerBytes: 32 }), 'bigint');
});
