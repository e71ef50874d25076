/**
 * Structural hashes of decoded terms, for the map decoder's duplicate-key
 * check in linear time (issue 10, finding 1: walking every key at every level
 * of nested map keys cost depth x size).
 *
 * Two 32-bit lanes, keyed by a random per-process seed so that a peer cannot
 * aim for collisions offline. Equal Erlang terms hash equal whatever their
 * JS form: a STRING_EXT and the list of the same integers, a list whose tail
 * was merged, maps with the same entries in another order. A list is hashed
 * as its cons cells from the right (`[H|T]` = cons(H, T)), so merged tails
 * need no rehash. Not cryptographic: a collision only sends the decoder to
 * the exact (slower) comparison for that one pair of keys.
 *
 * Results go out through H.a / H.b (no allocation per term).
 */
import { Atom, BitBinary, ErlFloat, Opaque, Tuple } from './term.ts';
import type { Term } from './term.ts';

function seed32(): number {
  const c = (globalThis as { crypto?: { getRandomValues?(a: Uint32Array): Uint32Array } }).crypto;
  if (c?.getRandomValues) return c.getRandomValues(new Uint32Array(1))[0] | 0;
  return (Math.random() * 0x100000000) | 0;
}

const SA = seed32();
const SB = seed32() ^ 0x5bd1e995;

// Kinds (mixed into each leaf's first step).
const K_INT = 1;
const K_BIG = 2;
const K_FLOAT = 3;
const K_ATOM = 4;
const K_BIN = 5;
const K_BITS = 6;
const K_OPAQUE = 7;
const K_NIL = 8;
const K_CONS = 9;
const K_TUPLE = 10;
const K_MAP = 11;

/** Lane results of the last hash call. */
export const H = { a: 0, b: 0 };

function fa(h: number, x: number): number {
  h = ((h << 13) | (h >>> 19)) ^ Math.imul(x ^ SA, 0xcc9e2d51);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function fb(h: number, x: number): number {
  h = ((h << 7) | (h >>> 25)) ^ Math.imul(x ^ SB, 0x1b873593);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  return h ^ (h >>> 15);
}

const F64 = new Float64Array(1);
const F64_WORDS = new Uint32Array(F64.buffer);

export const NIL_A = fa(SA, K_NIL);
export const NIL_B = fb(SB, K_NIL);

function intHash(n: number): void {
  const lo = n >>> 0;
  const hi = Math.floor(n / 4294967296) | 0;
  H.a = fa(fa(fa(SA, K_INT), lo), hi);
  H.b = fb(fb(fb(SB, K_INT), lo), hi);
}

function charsHash(kind: number, s: string): void {
  let a = fa(SA, kind);
  let b = fb(SB, kind);
  a = fa(a, s.length);
  b = fb(b, s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = fa(a, c);
    b = fb(b, c);
  }
  H.a = a;
  H.b = b;
}

function bytesHash(kind: number, extra: number, bytes: Uint8Array): void {
  let a = fa(fa(fa(SA, kind), extra), bytes.length);
  let b = fb(fb(fb(SB, kind), extra), bytes.length);
  const n = bytes.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const w = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24) | 0;
    a = fa(a, w);
    b = fb(b, w);
  }
  for (; i < n; i++) {
    a = fa(a, bytes[i]);
    b = fb(b, bytes[i]);
  }
  H.a = a;
  H.b = b;
}

function floatHash(v: number): void {
  F64[0] = v;
  H.a = fa(fa(fa(SA, K_FLOAT), F64_WORDS[0]), F64_WORDS[1]);
  H.b = fb(fb(fb(SB, K_FLOAT), F64_WORDS[0]), F64_WORDS[1]);
}

/** One cons cell: `[head | tail]` from the hashes of head and tail. */
export function consA(headA: number, tailA: number): number {
  return fa(fa(fa(SA, K_CONS), headA), tailA);
}
export function consB(headB: number, tailB: number): number {
  return fb(fb(fb(SB, K_CONS), headB), tailB);
}

/**
 * For each Latin-1 code c, the first two steps of consA(intHash(c), tail):
 * a string costs one mixing step per character and lane instead of twelve
 * (decoding a 1 MiB string inside a map key went from ~50 to ~8 ns a byte).
 */
const CHAR_CONS_A = new Int32Array(256);
const CHAR_CONS_B = new Int32Array(256);
for (let c = 0; c < 256; c++) {
  intHash(c);
  CHAR_CONS_A[c] = fa(fa(SA, K_CONS), H.a);
  CHAR_CONS_B[c] = fb(fb(SB, K_CONS), H.b);
}

/**
 * Hash a term the decoder made without children to hash (any leaf, a string,
 * an empty list, tuple or map, an opaque): sets H.a/H.b.
 */
export function leafHash(t: Term): void {
  switch (typeof t) {
    case 'number':
      if (Number.isInteger(t) && !Object.is(t, -0)) intHash(t);
      else floatHash(t);
      return;
    case 'bigint':
      // Only beyond ±(2^53-1) (numbers hold the rest); base 16 prints in linear time.
      charsHash(K_BIG, t.toString(16));
      return;
    case 'boolean':
      charsHash(K_ATOM, t ? 'true' : 'false');
      return;
    case 'undefined':
      charsHash(K_ATOM, 'undefined');
      return;
    case 'string': {
      // A STRING_EXT is the list of its Latin-1 codes: consA(intHash(c), a), with all but the last step from a table.
      let a = NIL_A;
      let b = NIL_B;
      for (let i = t.length - 1; i >= 0; i--) {
        const c = t.charCodeAt(i);
        a = fa(CHAR_CONS_A[c], a);
        b = fb(CHAR_CONS_B[c], b);
      }
      H.a = a;
      H.b = b;
      return;
    }
    default:
      break;
  }
  if (t instanceof Atom) charsHash(K_ATOM, t.name);
  else if (t instanceof ErlFloat) floatHash(t.value);
  else if (t instanceof Uint8Array) bytesHash(K_BIN, 8, t);
  else if (t instanceof BitBinary) bytesHash(K_BITS, t.bits, t.bytes);
  else if (t instanceof Opaque) bytesHash(K_OPAQUE, t.tag, t.bytes);
  else if (t instanceof Tuple) tupleHash([], [], 0);
  else if (t instanceof Map) mapHash([], [], 0, 0);
  else {
    H.a = NIL_A; // [] (an empty list); the decoder makes nothing else without children
    H.b = NIL_B;
  }
}

/** A tuple from its elements' hashes. */
export function tupleHash(ha: number[], hb: number[], n: number): void {
  let a = fa(fa(SA, K_TUPLE), n);
  let b = fb(fb(SB, K_TUPLE), n);
  for (let i = 0; i < n; i++) {
    a = fa(a, ha[i]);
    b = fb(b, hb[i]);
  }
  H.a = a;
  H.b = b;
}

/** A list: items[0..n-2] consed from the right onto the tail items[n-1]. */
export function listHash(ha: number[], hb: number[], n: number): void {
  let a = ha[n - 1];
  let b = hb[n - 1];
  for (let i = n - 2; i >= 0; i--) {
    a = consA(ha[i], a);
    b = consB(hb[i], b);
  }
  H.a = a;
  H.b = b;
}

/** A map from key, value, key, value... hashes starting at `from`: the order of the pairs does not matter. */
export function mapHash(ha: number[], hb: number[], from: number, pairs: number): void {
  let a = 0;
  let b = 0;
  for (let i = 0; i < pairs; i++) {
    const k = from + 2 * i;
    a = (a + fa(ha[k], ha[k + 1])) | 0;
    b = (b + fb(hb[k], hb[k + 1])) | 0;
  }
  H.a = fa(fa(fa(SA, K_MAP), pairs), a);
  H.b = fb(fb(fb(SB, K_MAP), pairs), b);
}

/** One number (exact in a double) from the two lanes: 32 + 21 bits. */
export function hashId(a: number, b: number): number {
  return (a >>> 0) * 2097152 + (b & 0x1fffff);
}
