/** The bench's round order and paired ratios (test/bench/pairing.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { besideTheirBases, median, pairedRatio } from '../bench/pairing.ts';

const c = (id: string, ratioTo?: string, ...more: string[]) => ({ rows: [{ id, ratioTo }, ...more.map((m) => ({ id: m, ratioTo: 'elsewhere' }))] });

test('each case runs next to the case holding its base, groups in planned order', () => {
  const rawSeq = c('raw.seq');
  const rawBulk = c('raw.bulk');
  const legSeq = c('legacy.seq', 'raw.seq', 'legacy.seq.p50');
  const legBulk = c('legacy.bulk', 'raw.bulk');
  const secSeq = c('secure.seq', 'raw.seq');
  // A chain: threads -> erl.ours -> erl.erlang; the dependent planned before its base stays in the same group.
  const ours = c('erl.ours.rpc8', 'erl.erlang.rpc8');
  const theirs = c('erl.erlang.rpc8');
  const threads = c('legacy.rpc8.threads', 'erl.ours.rpc8');
  const lone = c('cores.thread.clone');
  const order = besideTheirBases([rawSeq, rawBulk, legSeq, legBulk, threads, secSeq, ours, theirs, lone]);
  assert.deepEqual(
    order.map((x) => x.rows[0].id),
    ['raw.seq', 'legacy.seq', 'secure.seq', 'raw.bulk', 'legacy.bulk', 'legacy.rpc8.threads', 'erl.ours.rpc8', 'erl.erlang.rpc8', 'cores.thread.clone'],
  );
});

test('a base that is not planned (--match, --only) leaves its rows where they were', () => {
  const order = besideTheirBases([c('a', 'missing'), c('b'), c('d', 'a')]);
  assert.deepEqual(
    order.map((x) => x.rows[0].id),
    ['a', 'd', 'b'],
  );
});

test('a ratio cycle ends the walk (no endless loop)', () => {
  const order = besideTheirBases([c('a', 'b'), c('z'), c('b', 'a')]);
  assert.deepEqual(
    order.map((x) => x.rows[0].id),
    ['a', 'b', 'z'],
    'the two cases of the cycle make one group',
  );
});

test('the ratio is the median of the rounds own ratios, failed rounds left out', () => {
  // Drift: the machine halves its speed in round 2; round by round the row is always 90% of its base.
  assert.equal(pairedRatio([90, 45, 90], [100, 50, 100]), 0.9);
  // Round 3's base ran in a slow spell: the medians of the values would compare across it (88 / 55).
  assert.equal(pairedRatio([90, 45, 88], [100, 50, 55]), 0.9);
  assert.equal(median([90, 45, 88])! / median([100, 50, 55])!, 1.6);
  assert.equal(pairedRatio([null, 50, 60], [100, null, 60]), 1);
  assert.equal(pairedRatio([null], [100]), undefined);
  assert.equal(pairedRatio([10], [0]), undefined);
});

test('median takes the upper middle of an even count', () => {
  assert.equal(median([]), undefined);
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 3);
});
