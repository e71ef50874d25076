/**
 * Bounded fuzzing of the decoders and the conf loader (well under a few
 * seconds; `npm run fuzz` runs the same targets for minutes). Fixed seeds:
 * a failure reproduces, and fast-check prints the shrunk case.
 */
import { test } from 'node:test';
import fc from 'fast-check';
import {
  PATHOLOGICAL_CONFS,
  checkComplexityCase,
  complexityCase,
  checkCompressedCase,
  checkConfText,
  checkFrameCase,
  checkHostileTermCase,
  checkTermLimitCase,
  compressedCase,
  confCase,
  confText,
  frameCase,
  hostileTermCase,
  termLimitCase,
} from './targets.ts';

test('fuzz frames - random streams, limits and splits agree with a reference decoder; only frameTooLarge', () => {
  fc.assert(fc.property(frameCase, checkFrameCase), { numRuns: 1500, seed: 101 });
});

test('fuzz terms - maxTermDepth and maxAtomsPerTerm are exact (decodes at the limit, badTerm with the key one below)', () => {
  fc.assert(fc.property(termLimitCase, checkTermLimitCase), { numRuns: 600, seed: 102 });
});

test('fuzz terms - hostile byte streams: within every limit or badTerm, never slow', () => {
  fc.assert(fc.property(hostileTermCase, checkHostileTermCase), { numRuns: 400, seed: 103 });
});

test('fuzz terms - compressed terms and zip bombs: exact when the declared size is true and allowed, else badTerm', () => {
  fc.assert(fc.property(compressedCase, checkCompressedCase), { numRuns: 80, seed: 104 });
});

test('fuzz complexity - nested map keys, big integers, dribbled frames: cost and memory in proportion to the bytes', () => {
  fc.assert(fc.property(complexityCase, checkComplexityCase), { numRuns: 40, seed: 106 });
});

test('fuzz conf - generated confs through the whole loader: loaded or badConf, never a hang', async () => {
  const seen = { ok: 0, badConf: 0 };
  await fc.assert(
    fc.asyncProperty(confCase, async (c) => {
      seen[await checkConfText(confText(c))]++;
    }),
    { numRuns: 250, seed: 105 },
  );
  // The generator must reach both sides, or it tests nothing.
  if (seen.ok === 0 || seen.badConf === 0) throw new Error(`generator too narrow: ${JSON.stringify(seen)}`);
});

test('fuzz conf - pathological texts (deep nesting, huge numbers and strings, NULs, surrogates): only badConf, fast', async () => {
  for (const text of PATHOLOGICAL_CONFS) await checkConfText(text);
});
