import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FrameDecoder, encodeFrame } from '../../src/wire/frame.ts';
import { ChanError } from '../../src/errors.ts';
import { concatBytes } from '../../src/wire/bytes.ts';

const frames = [new Uint8Array([131, 100, 0, 3, 97, 99, 107]), new Uint8Array(0), new Uint8Array(300).fill(7), new Uint8Array([1])];
const stream = concatBytes(frames.map(encodeFrame));

test('encodeFrame writes a 4-byte big-endian length', () => {
  assert.deepEqual([...encodeFrame(new Uint8Array(258)).subarray(0, 4)], [0, 0, 1, 2]);
});

test('decodes coalesced frames in one read', () => {
  const d = new FrameDecoder(1024);
  assert.deepEqual(
    d.push(stream).map((f) => [...f]),
    frames.map((f) => [...f]),
  );
  assert.equal(d.bufferedBytes, 0);
});

test('decodes a stream fed byte by byte', () => {
  const d = new FrameDecoder(1024);
  const out: Uint8Array[] = [];
  for (let i = 0; i < stream.length; i++) out.push(...d.push(stream.subarray(i, i + 1)));
  assert.deepEqual(
    out.map((f) => [...f]),
    frames.map((f) => [...f]),
  );
});

test('any split of the stream gives the same frames (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: stream.length }), { maxLength: 20 }), (cuts) => {
      const points = [...new Set(cuts)].sort((a, b) => a - b);
      const d = new FrameDecoder(1024);
      const out: Uint8Array[] = [];
      let prev = 0;
      for (const p of [...points, stream.length]) {
        out.push(...d.push(stream.slice(prev, p)).map((f) => f.slice()));
        prev = p;
      }
      assert.deepEqual(
        out.map((f) => [...f]),
        frames.map((f) => [...f]),
      );
    }),
    { numRuns: 300 },
  );
});

test('an oversized length prefix is refused from the header, before buffering the body', () => {
  const d = new FrameDecoder(100);
  const header = new Uint8Array([0x10, 0, 0, 0]); // 256 MiB announced
  assert.throws(
    () => d.push(header),
    (e: unknown) => e instanceof ChanError && e.code === 'frameTooLarge' && e.details.limit === 100 && e.details.actual === 0x10000000,
  );
  assert.equal(d.bufferedBytes, 0);
});

test('an oversized prefix split across reads is refused once its 4 bytes are in', () => {
  const d = new FrameDecoder(100);
  assert.deepEqual(d.push(new Uint8Array([0, 0])), []);
  assert.throws(
    () => d.push(new Uint8Array([1, 0, 9, 9])),
    (e: unknown) => e instanceof ChanError && e.code === 'frameTooLarge' && e.details.actual === 256,
  );
});

test('a frame of exactly maxFrameBytes is accepted', () => {
  const d = new FrameDecoder(100);
  assert.equal(d.push(encodeFrame(new Uint8Array(100)))[0].length, 100);
});

test('takePartial gives back the bytes of an unfinished frame as they came, at any cut, and empties the decoder', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 4 }), fc.nat(), (payload, cuts, at) => {
      const wire = encodeFrame(payload);
      const stop = at % wire.length;
      const d = new FrameDecoder(1 << 20);
      // Fed in pieces up to `stop` (exclusive): never a whole frame, so nothing is delivered.
      const points = [...new Set([0, ...cuts.map((c) => c % (stop + 1)), stop])].sort((a, b) => a - b);
      for (let i = 1; i < points.length; i++) assert.equal(d.push(wire.subarray(points[i - 1], points[i])).length, 0);
      const partial = d.takePartial();
      assert.deepEqual(partial ?? new Uint8Array(0), wire.subarray(0, stop));
      assert.equal(d.bufferedBytes, 0);
      assert.equal(d.takePartial(), undefined);
      // The next reader, given the partial bytes and the rest, gets the frame whole.
      const next = new FrameDecoder(1 << 20);
      const frames = [...(partial ? next.push(partial) : []), ...next.push(wire.subarray(stop))];
      assert.equal(frames.length, 1);
      assert.deepEqual(frames[0], payload);
    }),
  );
});
