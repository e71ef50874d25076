/** Byte helpers shared by every layer; Uint8Array only, so the browser bundle can use them. */

export const TEXT_ENCODER = new TextEncoder();
export const TEXT_DECODER = new TextDecoder('utf-8', { fatal: true });

/**
 * Outgoing frames of up to FRAME_SLAB_MAX_BYTES are carved from a shared
 * slab, as Node's Buffer pool does: a typed array of 64 bytes or less lives
 * on V8's heap, and the first native call that reads it (the secretbox, the
 * socket write) must move it off the heap, which cost more than sealing the
 * record (1.6-1.8 µs against 0.8-1.0 µs for a 41-byte box, sodium-native).
 * A slab view pins its whole slab: whoever queues one (a socket behind a
 * slow reader) copies it first (isSharedView), so a slow reader's queue holds
 * its own bytes, not slabs. A socket that takes a view at once keeps nothing,
 * so the transports write views uncopied then (tcp.ts flushBatch, ws-server.ts
 * sendReserved); when the kernel takes only part of one, that view stays
 * queued as it is. Both rely on this: a slab is never written again once its
 * views are handed out (a full slab is dropped for a new one, never rewound or
 * recycled), so a queued view's bytes cannot change under the socket.
 */
export const FRAME_SLAB_MAX_BYTES = 1024;
const FRAME_SLAB_BYTES = 16 * 1024;
let frameSlab: Uint8Array | undefined;
let frameSlabPos = 0;

/**
 * Large frames (bulk casts of 64 KiB) are the other end: a fresh 64 KiB array
 * per message, zeroed, then left to the GC, was a third of the client's CPU in
 * the bulk benchmark. A transport that knows when the system has taken a
 * frame's bytes hands it back (releaseFrame), and the next frame of a similar
 * size reuses its memory. At most 4 MiB kept, each buffer at most 1 MiB
 * (a burst of 16 bulk casts is in flight at once: the pool must hold them all);
 * the most recently released are kept, and taken first.
 */
const LARGE_FRAME_POOL_BYTES = 4 * 1024 * 1024;
const LARGE_FRAME_POOL_MAX_BYTES = 1024 * 1024;
const largeFree: ArrayBuffer[] = [];
let largeFreeBytes = 0;
const largeOwned = new WeakSet<ArrayBuffer>();

/**
 * `n` bytes for an outgoing frame, which the caller writes in full (a reused
 * buffer holds an earlier frame's bytes): a slab view when small, else an
 * array of its own, perhaps from the large-frame pool.
 */
export function allocFrame(n: number): Uint8Array {
  if (n > FRAME_SLAB_MAX_BYTES) return allocLargeFrame(n);
  if (frameSlab === undefined || frameSlabPos + n > FRAME_SLAB_BYTES) {
    frameSlab = new Uint8Array(FRAME_SLAB_BYTES);
    frameSlabPos = 0;
  }
  const out = frameSlab.subarray(frameSlabPos, frameSlabPos + n);
  // 8-byte steps keep every view aligned as a fresh allocation would be.
  frameSlabPos += (n + 7) & ~7;
  return out;
}

function allocLargeFrame(n: number): Uint8Array {
  if (n > LARGE_FRAME_POOL_MAX_BYTES) return new Uint8Array(n);
  for (let i = largeFree.length - 1; i >= 0; i--) {
    const ab = largeFree[i];
    // At most twice the frame: a small frame must not hold a big buffer.
    if (ab.byteLength >= n && ab.byteLength <= 2 * n) {
      largeFree.splice(i, 1);
      largeFreeBytes -= ab.byteLength;
      return new Uint8Array(ab, 0, n);
    }
  }
  const ab = new ArrayBuffer(n);
  largeOwned.add(ab);
  return new Uint8Array(ab);
}

/**
 * The system has taken `buf`'s bytes (its write completed) and nothing refers
 * to it any more: an allocFrame() buffer goes back to the pool. Anything else
 * is ignored.
 */
export function releaseFrame(buf: Uint8Array): void {
  const ab = buf.buffer as ArrayBuffer;
  if (!largeOwned.has(ab) || largeFree.includes(ab)) return;
  // The oldest make room: a pool kept full by an earlier burst of another size (1 MiB frames) would
  // otherwise refuse the frames of today's workload for good, and each would be left to the GC.
  while (largeFree.length > 0 && largeFreeBytes + ab.byteLength > LARGE_FRAME_POOL_BYTES) largeFreeBytes -= largeFree.shift()!.byteLength;
  largeFree.push(ab);
  largeFreeBytes += ab.byteLength;
}

/** True when `b` is a view into a larger buffer (such as a frame slab): keep a copy, not `b`. */
export function isSharedView(b: Uint8Array): boolean {
  return b.byteLength !== b.buffer.byteLength;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Compare secrets without a data-dependent early exit (length is not secret). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(bytes: Uint8Array, max = Infinity): string {
  let s = '';
  const n = Math.min(bytes.length, max);
  for (let i = 0; i < n; i++) s += HEX[bytes[i]];
  return n < bytes.length ? `${s}...` : s;
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || /[^0-9a-fA-F]/.test(hex)) throw new TypeError('not a hex string');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Overwrite a short-lived secret once it is no longer needed. */
export function wipe(...buffers: (Uint8Array | undefined)[]): void {
  for (const b of buffers) b?.fill(0);
}
