/** The pool the legacy login's challenges come from: every byte handed out once, each answer a copy of its own. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RANDOM_POOL_BYTES, RandomPool } from '../../src/server/random-pool.ts';
import { toHex } from '../../src/wire/bytes.ts';

test('random pool - answers of the asked length, never the same bytes twice, across refills', () => {
  const p = new RandomPool();
  const seen = new Set<string>();
  // 50 bytes is one challenge's draw (makeChallenge); 400 of them cross the 4 KiB pool several times.
  for (let i = 0; i < 400; i++) {
    const b = p.take(50);
    assert.equal(b.length, 50);
    const hex = toHex(b);
    assert.ok(!seen.has(hex), `draw ${i} repeated an earlier one`);
    seen.add(hex);
  }
  assert.equal(p.take(RANDOM_POOL_BYTES + 1).length, RANDOM_POOL_BYTES + 1, 'a draw larger than the pool');
});

test('random pool - an answer is a copy: changing it changes no later answer, and it owns its buffer', () => {
  const p = new RandomPool();
  const a = p.take(32);
  assert.equal(a.buffer.byteLength, 32, 'not a view of the pool');
  const b = p.take(32);
  const before = toHex(b);
  a.fill(0);
  assert.equal(toHex(b), before);
  assert.notEqual(toHex(p.take(32)), toHex(new Uint8Array(32)), 'the next draw is not the zeroed copy');
});
