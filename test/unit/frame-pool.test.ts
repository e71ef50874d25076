/**
 * The large-frame pool (wire/bytes.ts): a released frame's memory is handed to the next frame of a similar
 * size, and the pool keeps the most recently released when it is full, so that an earlier burst of another
 * size does not keep today's frames out of it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocFrame, releaseFrame } from '../../src/wire/bytes.ts';

const BULK = 70_000;

test('frame pool - a released large frame is the next frame of its size', () => {
  const a = allocFrame(BULK);
  releaseFrame(a);
  const b = allocFrame(BULK);
  assert.equal(b.buffer, a.buffer);
  assert.equal(b.length, BULK);
  releaseFrame(b);
});

test('frame pool - full of another size (16 released 256 KiB frames: 4 MiB), it still takes a frame back: the oldest make room', () => {
  // A size no other test here releases: nothing of it is in the pool before the burst.
  const SIZE = 300_000;
  const big = Array.from({ length: 16 }, () => allocFrame(256 * 1024));
  for (const f of big) releaseFrame(f);
  const first = allocFrame(SIZE);
  assert.ok(!big.some((f) => f.buffer === first.buffer), 'no 256 KiB buffer serves a 300 KB frame');
  releaseFrame(first);
  const again = allocFrame(SIZE);
  assert.equal(again.buffer, first.buffer, 'the bulk frame was kept although the pool was full');
  releaseFrame(again);
});

test('frame pool - released twice, a frame is pooled once (two frames never share memory)', () => {
  const a = allocFrame(BULK);
  releaseFrame(a);
  releaseFrame(a);
  const x = allocFrame(BULK);
  const y = allocFrame(BULK);
  assert.notEqual(x.buffer, y.buffer);
  releaseFrame(x);
  releaseFrame(y);
});
