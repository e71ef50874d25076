/**
 * FrameDecoder against hostile splitting (issue 10, finding 2): a frame
 * dribbled one byte per read must cost memory in proportion to its bytes,
 * and the first frames of a login are bounded by maxLoginFrameBytes from
 * their length prefix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { isChanError } from '../../src/errors.ts';
import { FRAME_INITIAL_BUFFER_BYTES, FrameDecoder, encodeFrame } from '../../src/wire/frame.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function memory(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

test('frame hostile - a frame dribbled one byte per read holds about its own bytes (was ~200 bytes per byte)', () => {
  const size = 512 * 1024;
  const d = new FrameDecoder(8 * 1024 * 1024);
  d.push(Uint8Array.of(0x00, 0x80, 0x00, 0x00)); // 8 MiB announced
  const before = memory();
  for (let i = 0; i < size; i++) {
    assert.equal(d.push(Uint8Array.of(i & 0xff)).length, 0);
    if ((i & 0xffff) === 0) assert.ok(d.heldBytes <= Math.max(FRAME_INITIAL_BUFFER_BYTES, 2 * (i + 1)), `held ${d.heldBytes} after ${i + 1} bytes`);
  }
  const grown = memory() - before;
  assert.equal(d.bufferedBytes, size + 0);
  assert.ok(d.heldBytes <= 2 * size, `buffer of ${d.heldBytes} bytes for ${size} received`);
  assert.ok(grown < 4 * size, `memory grew ${grown} bytes for ${size} bytes received`);
});

test('frame hostile - every split gives the same frames; the buffer never passes the frame length', () => {
  const frames = [
    new Uint8Array(0),
    Uint8Array.from({ length: 70_000 }, (_, i) => i & 0xff),
    Uint8Array.of(7),
    Uint8Array.from({ length: 20_000 }, (_, i) => (i * 7) & 0xff),
  ];
  const wire = new Uint8Array(frames.reduce((n, f) => n + 4 + f.length, 0));
  let o = 0;
  for (const f of frames) {
    wire.set(encodeFrame(f), o);
    o += 4 + f.length;
  }
  for (const step of [1, 3, 4, 5, 4096, 65_537, wire.length]) {
    const d = new FrameDecoder(1 << 20);
    const got: Uint8Array[] = [];
    for (let i = 0; i < wire.length; i += step) {
      for (const f of d.push(wire.slice(i, i + step))) got.push(f.slice());
      assert.ok(d.heldBytes <= 70_000 + 4, `step ${step}: held ${d.heldBytes}`);
    }
    assert.equal(got.length, frames.length, `step ${step}`);
    got.forEach((f, i) => assert.deepEqual(f, frames[i], `step ${step}, frame ${i}`));
    assert.equal(d.inFrame, false);
  }
});

test('frame hostile - login frames are refused from the length prefix over maxLoginFrameBytes', () => {
  const d = new FrameDecoder(8 * 1024 * 1024, { loginFrames: 2, maxLoginFrameBytes: 65_536 });
  assert.equal(d.push(encodeFrame(new Uint8Array(65_536))).length, 1);
  assert.throws(
    () => d.push(Uint8Array.of(0, 1, 0, 1)),
    (e: unknown) => isChanError(e, 'frameTooLarge') && e.details.key === 'maxLoginFrameBytes' && e.details.actual === 65_537,
  );
  // after the login, maxFrameBytes applies
  const after = new FrameDecoder(8 * 1024 * 1024, { loginFrames: 2, maxLoginFrameBytes: 65_536 });
  after.push(encodeFrame(Uint8Array.of(1)));
  after.endLogin();
  assert.equal(after.push(encodeFrame(new Uint8Array(100_000))).length, 1);
  assert.throws(
    () => after.push(Uint8Array.of(0, 0x80, 0, 1)),
    (e: unknown) => isChanError(e, 'frameTooLarge') && e.details.key === 'maxFrameBytes',
  );
});
