/**
 * External Term Format bytes -> Term, for untrusted input. Isomorphic (Uint8Array, DataView,
 * TextDecoder, and fflate for tag 80).
 *
 * Guarantees:
 * - **Total:** the only thing `decodeTerm` throws for any byte array is `ChanError('badTerm')`
 *   with `details.offset` (and `limit`/`actual` for limits); the message names the offset and
 *   shows at most 16 bytes of hex. Unexpected internal errors are wrapped the same way.
 * - **Bounded before allocating:** every length is compared with the bytes that remain before
 *   anything of that size exists (each element of a tuple, list or map takes at least one byte);
 *   a compressed term's declared size is compared with `maxDecompressedBytes` before inflating,
 *   and inflation stops as soon as the output passes the declared size.
 * - **Iterative:** containers live on an explicit stack limited by `maxDepth`, so no nesting can
 *   exhaust the JS stack.
 * - **Strict:** trailing bytes, unknown tags, atom-cache references, distribution headers,
 *   duplicate map keys, invalid UTF-8 in atoms, atoms over 255 characters, non-finite floats and
 *   malformed pids/ports/refs/funs are all errors. Atoms are plain objects, never interned.
 *
 * Result mapping (see `term.ts`):
 * - integers -> `number` when within ±(2^53-1), else `bigint`;
 * - NEW_FLOAT_EXT / FLOAT_EXT -> `ErlFloat` when integral (and not -0.0), else `number`;
 * - atoms `true`/`false`/`undefined` -> JS values, other atoms -> `Atom`;
 * - STRING_EXT -> `string` (Latin-1); NIL_EXT and an empty STRING_EXT -> `[]`;
 * - LIST_EXT -> `Array`, or `ImproperList` when the tail is not a list (a list tail such as
 *   `[1|[2]]` is merged, as Erlang does: `[1,2]`);
 * - BINARY_EXT -> `Uint8Array` (a copy); BIT_BINARY_EXT -> `BitBinary` with the unused low
 *   bits cleared (8 bits -> `Uint8Array`, as Erlang sees a whole binary);
 * - MAP_EXT -> `Map` (never a plain object); a float key -0.0 is kept as `ErlFloat(-0)`
 *   because a JS `Map` would fold the number -0 into +0 (the integer 0);
 * - pids, ports, references, funs, exports -> `Opaque(tag, exact bytes including the tag)`.
 */
import { Inflate } from 'fflate';
import { ChanError } from '../../errors.ts';
import { DEFAULT_LIMITS, LIMITS } from '../../limits.ts';
import { toHex } from '../bytes.ts';
import { Atom, BitBinary, ErlFloat, ImproperList, Opaque, Tuple, type Term } from './term.ts';
import { H, hashId, leafHash, listHash, mapHash, tupleHash } from './term-hash.ts';
import {
  ATOM_CACHE_REF,
  ATOM_EXT,
  ATOM_UTF8_EXT,
  BINARY_EXT,
  BIT_BINARY_EXT,
  COMPRESSED,
  DIST_FRAG_HEADER,
  DIST_HEADER,
  EXPORT_EXT,
  FLOAT_EXT,
  FLOAT_EXT_BYTES,
  FUN_EXT,
  INTEGER_EXT,
  LARGE_BIG_EXT,
  LARGE_TUPLE_EXT,
  LIST_EXT,
  LOCAL_EXT,
  MAP_EXT,
  MAX_ATOM_CHARACTERS,
  MAX_REFERENCE_WORDS,
  NEWER_REFERENCE_EXT,
  NEW_FLOAT_EXT,
  NEW_FUN_EXT,
  NEW_PID_EXT,
  NEW_PORT_EXT,
  NEW_REFERENCE_EXT,
  NIL_EXT,
  PID_EXT,
  PORT_EXT,
  REFERENCE_EXT,
  SMALL_ATOM_EXT,
  SMALL_ATOM_UTF8_EXT,
  SMALL_BIG_EXT,
  SMALL_INTEGER_EXT,
  SMALL_TUPLE_EXT,
  STRING_EXT,
  V4_PORT_EXT,
  VERSION,
  tagName,
} from './tags.ts';

export interface DecodeOptions {
  /**
   * Deepest nesting of tuples, lists, maps (and fun environments). An empty container counts.
   * @default LIMITS.maxTermDepth.default (64); range 1..10000
   */
  maxDepth?: number;
  /**
   * Largest declared uncompressed size of a compressed term (tag 80), in bytes; 0 refuses
   * compressed terms.
   * @default LIMITS.maxDecompressedBytes.default (8 MiB)
   */
  maxDecompressedBytes?: number;
  /**
   * Most atoms (including `true`/`false`/`undefined` and node names inside pids) in one term.
   * @default LIMITS.maxAtomsPerTerm.default
   */
  maxAtoms?: number;
  /**
   * Largest magnitude of one integer, in bytes (SMALL_BIG_EXT / LARGE_BIG_EXT, leading zero bytes
   * included): decimal printing (formatTerm, toJson) costs more than linear time in the digits.
   * @default LIMITS.maxIntegerBytes.default (1024)
   */
  maxIntegerBytes?: number;
  /**
   * Quote up to 16 bytes of the input (hex) in error messages. Pass false for decrypted input:
   * its bytes must reach neither logs nor error replies.
   * @default true
   */
  excerpt?: boolean;
  /**
   * A binary that fills at least half of the input's ArrayBuffer is returned as a view of
   * the input instead of a copy (it would pin at most twice its own size). For callers that
   * own the input and do not reuse it, such as the channel codecs: a 64 KiB binary is then
   * not copied again after its frame was assembled.
   * @default false
   */
  shareLargeBinaries?: boolean;
}

const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);
/** Bytes that zlib can expand at most ~1032 times. */
const DEFLATE_MAX_RATIO = 1032;
/** Compressed bytes fed to the inflater per step: bounds the output made past the declared size. */
const INFLATE_MIN_STEP = 4096;
const INFLATE_MAX_STEP = 1 << 20;

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const FRAME_TUPLE = 0;
const FRAME_LIST = 1;
const FRAME_MAP = 2;
const FRAME_FUN = 3;

interface Frame {
  kind: number;
  /** Offset of the container's tag byte. */
  start: number;
  /** Children still to read (a list counts its tail). */
  remaining: number;
  items: Term[];
  /** NEW_FUN_EXT: the Size field, checked when the fun ends; else -1. */
  size: number;
  tag: number;
  /**
   * True inside a map key: every item's hash is kept (in ha/hb) and the
   * container's own hash is made when it ends. A map keeps its keys' hashes
   * whatever this says (its duplicate check needs them).
   */
  hashing: boolean;
  ha: number[] | undefined;
  hb: number[] | undefined;
}

/** Does the next item pushed to `f` need its hash? (A map's key, or anything inside a key.) */
function wantsHash(f: Frame): boolean {
  return f.hashing || (f.kind === FRAME_MAP && (f.items.length & 1) === 0);
}

function newFrame(kind: number, start: number, remaining: number, size: number, tag: number, parent: Frame | undefined): Frame {
  const hashing = parent !== undefined && wantsHash(parent);
  const keep = hashing || kind === FRAME_MAP;
  return { kind, start, remaining, items: [], size, tag, hashing, ha: keep ? [] : undefined, hb: keep ? [] : undefined };
}

interface Resolved {
  maxDepth: number;
  maxDecompressedBytes: number;
  maxAtoms: number;
  maxIntegerBytes: number;
  shareLargeBinaries: boolean;
}

/** Thrown from the inflater's callback when its output passes the declared size. */
const OVERFLOW = Symbol('overflow');

function pick(value: number | undefined, name: 'maxTermDepth' | 'maxDecompressedBytes' | 'maxAtomsPerTerm' | 'maxIntegerBytes', option: string): number {
  if (value === undefined) return DEFAULT_LIMITS[name];
  const spec = LIMITS[name];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < spec.min || value > spec.max) {
    throw new ChanError('badArgument', `decodeTerm: option ${option} must be an integer from ${spec.min} to ${spec.max}`, {
      details: { limit: spec.max, actual: typeof value === 'number' ? value : undefined },
    });
  }
  return value;
}

const DEFAULT_RESOLVED: Resolved = Object.freeze({
  maxDepth: DEFAULT_LIMITS.maxTermDepth,
  maxDecompressedBytes: DEFAULT_LIMITS.maxDecompressedBytes,
  maxAtoms: DEFAULT_LIMITS.maxAtomsPerTerm,
  maxIntegerBytes: DEFAULT_LIMITS.maxIntegerBytes,
  shareLargeBinaries: false,
});

/**
 * The last options resolved, and from which values: a channel decodes every
 * frame with the same options, and checking them anew cost 4% of a cast.
 * The values are compared, not the object, so a caller that changes its
 * options object between calls is still checked.
 */
let lastOptions: DecodeOptions | undefined;
let lastRaw: [unknown, unknown, unknown, unknown, unknown] = [undefined, undefined, undefined, undefined, undefined];
let lastResolved: Resolved = DEFAULT_RESOLVED;

/**
 * The resolved limits of frozen options objects (the server's per conf, the codecs' derived from them),
 * whose values cannot change (one with getters is read once): a process that alternates between
 * several of them (client and server, legacy and secure channels, channels of two services) checks
 * each once, where the one-entry cache above missed on every change of object.
 */
const FROZEN_RESOLVED = new WeakMap<DecodeOptions, Resolved>();
let lastFrozen: DecodeOptions | undefined;
let lastFrozenResolved: Resolved = DEFAULT_RESOLVED;

/** Options with defaults from DEFAULT_LIMITS and ranges from LIMITS (badArgument outside them). */
function resolve(options: DecodeOptions | undefined): Resolved {
  if (options === undefined) return DEFAULT_RESOLVED;
  if (options === lastFrozen) return lastFrozenResolved;
  const r = lastRaw;
  if (
    options === lastOptions &&
    options.maxDepth === r[0] &&
    options.maxDecompressedBytes === r[1] &&
    options.maxAtoms === r[2] &&
    options.maxIntegerBytes === r[3] &&
    options.shareLargeBinaries === r[4]
  ) {
    return lastResolved;
  }
  if (Object.isFrozen(options)) {
    let known = FROZEN_RESOLVED.get(options);
    if (known === undefined) FROZEN_RESOLVED.set(options, (known = checkOptions(options)));
    lastFrozen = options;
    lastFrozenResolved = known;
    return known;
  }
  const resolved = checkOptions(options);
  lastOptions = options;
  lastRaw = [options.maxDepth, options.maxDecompressedBytes, options.maxAtoms, options.maxIntegerBytes, options.shareLargeBinaries];
  lastResolved = resolved;
  return resolved;
}

function checkOptions(options: DecodeOptions): Resolved {
  return {
    maxDepth: pick(options.maxDepth, 'maxTermDepth', 'maxDepth'),
    maxDecompressedBytes: pick(options.maxDecompressedBytes, 'maxDecompressedBytes', 'maxDecompressedBytes'),
    maxAtoms: pick(options.maxAtoms, 'maxAtomsPerTerm', 'maxAtoms'),
    maxIntegerBytes: pick(options.maxIntegerBytes, 'maxIntegerBytes', 'maxIntegerBytes'),
    shareLargeBinaries: options.shareLargeBinaries === true,
  };
}

function badTerm(bytes: Uint8Array, offset: number, reason: string, extra: Record<string, unknown> = {}, cause?: unknown): ChanError {
  const inflated = extra.inflated === true;
  const where = inflated ? `offset ${offset} of the inflated term` : `offset ${offset}`;
  const hex = toHex(bytes.subarray(offset, offset + 17), 16);
  return new ChanError('badTerm', `bad term at ${where}: ${reason} (bytes: ${hex === '' ? '<end>' : hex})`, {
    details: { offset, ...extra },
    cause,
  });
}

/** LATIN1_CODES[n]: an array of n numbers for latin1() to fill (n <= 24). */
const LATIN1_CODES: number[][] = Array.from({ length: 25 }, (_, n) => new Array<number>(n).fill(0));

/** Latin-1 bytes to a string, without TextDecoder ('latin1' there means windows-1252). */
function latin1(bytes: Uint8Array, start: number, len: number): string {
  if (len <= 24) {
    // One call on a reused array of that length: adding a character at a time made a string per character
    // (400 against 225 ns for 14 characters, and most of a small reply's garbage); resizing one shared array
    // (`length =`) was a tenth of a small cast's decode.
    const codes = LATIN1_CODES[len];
    for (let i = 0; i < len; i++) codes[i] = bytes[start + i];
    return String.fromCharCode.apply(null, codes);
  }
  let s = '';
  for (let i = start, end = start + len; i < end; i += 8192) {
    const chunk = bytes.subarray(i, Math.min(end, i + 8192));
    s += String.fromCharCode.apply(null, chunk as unknown as number[]);
  }
  return s;
}

/**
 * Recent atom names, by a hash of their bytes: the atoms of a protocol repeat
 * (`store`, `lookup`, `ok`), and building the same short string again per
 * message was a tenth of a small term's decode. A fixed table of short names,
 * so a peer's distinct atoms still cost memory only while their terms live.
 */
const ATOM_NAME_CACHE_SLOTS = 256;
const ATOM_NAME_CACHE_MAX_LENGTH = 32;
const atomNames: Array<string | undefined> = new Array<string | undefined>(ATOM_NAME_CACHE_SLOTS).fill(undefined);

/** latin1() of a short atom name, from atomNames when it is there. */
function latin1Atom(bytes: Uint8Array, start: number, len: number): string {
  if (len > ATOM_NAME_CACHE_MAX_LENGTH) return latin1(bytes, start, len);
  let h = len;
  for (let i = start, end = start + len; i < end; i++) h = (Math.imul(h, 31) + bytes[i]) | 0;
  const slot = (h ^ (h >>> 8)) & (ATOM_NAME_CACHE_SLOTS - 1);
  const cached = atomNames[slot];
  if (cached !== undefined && cached.length === len) {
    let same = true;
    for (let i = 0; i < len; i++) {
      if (cached.charCodeAt(i) !== bytes[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return cached;
  }
  const name = latin1(bytes, start, len);
  atomNames[slot] = name;
  return name;
}

function floatTerm(v: number): Term {
  return Number.isInteger(v) && !Object.is(v, -0) ? new ErlFloat(v) : v;
}

class Decoder {
  readonly bytes: Uint8Array;
  /** Made on first use: only floats need it. */
  view: DataView | undefined;
  readonly end: number;
  pos: number;
  atoms = 0;
  readonly limits: Resolved;
  /** True for the inner term of a compressed term (offsets are into the inflated bytes). */
  readonly inflated: boolean;

  constructor(bytes: Uint8Array, pos: number, limits: Resolved, inflated: boolean) {
    this.bytes = bytes;
    this.end = bytes.length;
    this.pos = pos;
    this.limits = limits;
    this.inflated = inflated;
  }

  u16(p: number): number {
    return (this.bytes[p] << 8) | this.bytes[p + 1];
  }

  u32(p: number): number {
    const b = this.bytes;
    return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
  }

  i32(p: number): number {
    const b = this.bytes;
    return (b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3];
  }

  f64(p: number): number {
    const b = this.bytes;
    this.view ??= new DataView(b.buffer, b.byteOffset, b.byteLength);
    return this.view.getFloat64(p);
  }

  fail(offset: number, reason: string, extra: Record<string, unknown> = {}): never {
    throw badTerm(this.bytes, offset, reason, this.inflated ? { ...extra, inflated: true } : extra);
  }

  /** Check that `n` more bytes exist at `pos` (for the item whose tag is at `at`). */
  need(n: number, at: number, what: string): void {
    const left = this.end - this.pos;
    if (n > left) {
      this.fail(at, `${what} needs ${n} more bytes at offset ${this.pos} but only ${left} remain`, { needed: n, remaining: left });
    }
  }

  enter(stackDepth: number, at: number, tag: number): void {
    if (stackDepth >= this.limits.maxDepth) {
      this.fail(at, `${tagName(tag)} nests deeper than maxDepth ${this.limits.maxDepth}`, { limit: this.limits.maxDepth, key: 'maxTermDepth' });
    }
  }

  run(): Term {
    const bytes = this.bytes;
    const stack: Frame[] = [];
    for (;;) {
      let value: Term;
      const at = this.pos;
      if (at >= this.end) this.fail(at, 'input ends where a term should start');
      const tag = bytes[at];
      this.pos = at + 1;
      switch (tag) {
        case SMALL_INTEGER_EXT:
          this.need(1, at, 'SMALL_INTEGER_EXT');
          value = bytes[this.pos++];
          break;
        case INTEGER_EXT:
          this.need(4, at, 'INTEGER_EXT');
          value = this.i32(this.pos);
          this.pos += 4;
          break;
        case SMALL_BIG_EXT: {
          this.need(2, at, 'SMALL_BIG_EXT');
          const n = bytes[this.pos];
          const sign = bytes[this.pos + 1];
          this.pos += 2;
          value = this.big(n, sign, at, 'SMALL_BIG_EXT');
          break;
        }
        case LARGE_BIG_EXT: {
          this.need(5, at, 'LARGE_BIG_EXT');
          const n = this.u32(this.pos);
          const sign = bytes[this.pos + 4];
          this.pos += 5;
          value = this.big(n, sign, at, 'LARGE_BIG_EXT');
          break;
        }
        case NEW_FLOAT_EXT: {
          this.need(8, at, 'NEW_FLOAT_EXT');
          const v = this.f64(this.pos);
          if (!Number.isFinite(v)) this.fail(at, 'NEW_FLOAT_EXT holds NaN or an infinity');
          this.pos += 8;
          value = floatTerm(v);
          break;
        }
        case FLOAT_EXT:
          value = this.oldFloat(at);
          break;
        case ATOM_EXT:
        case SMALL_ATOM_EXT:
        case ATOM_UTF8_EXT:
        case SMALL_ATOM_UTF8_EXT: {
          const name = this.atomName(tag, at);
          value = name === 'true' ? true : name === 'false' ? false : name === 'undefined' ? undefined : new Atom(name);
          break;
        }
        case NIL_EXT:
          value = [];
          break;
        case STRING_EXT: {
          this.need(2, at, 'STRING_EXT');
          const len = this.u16(this.pos);
          this.pos += 2;
          this.need(len, at, 'STRING_EXT');
          value = len === 0 ? [] : latin1(bytes, this.pos, len);
          this.pos += len;
          break;
        }
        case BINARY_EXT: {
          this.need(4, at, 'BINARY_EXT');
          const len = this.u32(this.pos);
          this.pos += 4;
          this.need(len, at, 'BINARY_EXT');
          value =
            this.limits.shareLargeBinaries && len * 2 >= bytes.buffer.byteLength
              ? bytes.subarray(this.pos, this.pos + len)
              : bytes.slice(this.pos, this.pos + len);
          this.pos += len;
          break;
        }
        case BIT_BINARY_EXT:
          value = this.bitBinary(at);
          break;
        case SMALL_TUPLE_EXT:
        case LARGE_TUPLE_EXT: {
          let n: number;
          if (tag === SMALL_TUPLE_EXT) {
            this.need(1, at, 'SMALL_TUPLE_EXT');
            n = bytes[this.pos++];
          } else {
            this.need(4, at, 'LARGE_TUPLE_EXT');
            n = this.u32(this.pos);
            this.pos += 4;
          }
          this.enter(stack.length, at, tag);
          if (n === 0) {
            value = new Tuple([]);
            break;
          }
          this.need(n, at, `${tagName(tag)} of arity ${n}`);
          stack.push(newFrame(FRAME_TUPLE, at, n, -1, tag, stack[stack.length - 1]));
          continue;
        }
        case LIST_EXT: {
          this.need(4, at, 'LIST_EXT');
          const n = this.u32(this.pos);
          this.pos += 4;
          this.need(n + 1, at, `LIST_EXT of length ${n}`);
          const top = stack.length > 0 ? stack[stack.length - 1] : undefined;
          if (top !== undefined && top.kind === FRAME_LIST && top.remaining === 1) {
            // This list is the tail of the enclosing list: [a | [b, c]] is [a, b, c]. Extend the
            // open frame instead of nesting, so such chains cost neither depth nor copying.
            top.remaining = n + 1;
            continue;
          }
          this.enter(stack.length, at, tag);
          stack.push(newFrame(FRAME_LIST, at, n + 1, -1, tag, top));
          continue;
        }
        case MAP_EXT: {
          this.need(4, at, 'MAP_EXT');
          const n = this.u32(this.pos);
          this.pos += 4;
          this.enter(stack.length, at, tag);
          if (n === 0) {
            value = new Map();
            break;
          }
          this.need(2 * n, at, `MAP_EXT of arity ${n}`);
          stack.push(newFrame(FRAME_MAP, at, 2 * n, -1, tag, stack[stack.length - 1]));
          continue;
        }
        case PID_EXT:
        case NEW_PID_EXT:
        case PORT_EXT:
        case NEW_PORT_EXT:
        case V4_PORT_EXT:
        case REFERENCE_EXT:
        case NEW_REFERENCE_EXT:
        case NEWER_REFERENCE_EXT:
        case EXPORT_EXT:
          this.flatOpaque(tag, at);
          value = new Opaque(tag, bytes.slice(at, this.pos));
          break;
        case NEW_FUN_EXT:
        case FUN_EXT: {
          const { numFree, size } = this.funHeader(tag, at);
          this.enter(stack.length, at, tag);
          if (numFree === 0) {
            value = this.finishFun(at, size, tag);
            break;
          }
          stack.push(newFrame(FRAME_FUN, at, numFree, size, tag, stack[stack.length - 1]));
          continue;
        }
        default:
          this.fail(at, unexpectedTag(tag), { tag });
      }
      // Hand the finished value to its container(s); a map key (or a part of one) brings its hash.
      let top = stack.length > 0 ? stack[stack.length - 1] : undefined;
      if (top !== undefined && wantsHash(top)) leafHash(value);
      for (;;) {
        if (top === undefined) return value;
        if (top.kind !== FRAME_FUN) {
          if (wantsHash(top)) {
            top.ha!.push(H.a);
            top.hb!.push(H.b);
          }
          top.items.push(value);
        }
        if (--top.remaining > 0) break;
        stack.pop();
        const done = top;
        value = this.finish(done);
        top = stack.length > 0 ? stack[stack.length - 1] : undefined;
        if (top !== undefined && wantsHash(top)) containerHash(done, value);
      }
    }
  }

  finish(f: Frame): Term {
    switch (f.kind) {
      case FRAME_TUPLE:
        return new Tuple(f.items);
      case FRAME_LIST: {
        const items = f.items;
        const tail = items.pop() as Term;
        if (items.length === 0) return tail; // LIST_EXT of length 0: just its tail, as in Erlang
        if (Array.isArray(tail)) {
          for (const x of tail) items.push(x);
          return items;
        }
        if (typeof tail === 'string') {
          for (let i = 0; i < tail.length; i++) items.push(tail.charCodeAt(i));
          return items;
        }
        if (tail instanceof ImproperList) {
          for (const x of tail.elements) items.push(x);
          return new ImproperList(items, tail.tail);
        }
        return new ImproperList(items, tail);
      }
      case FRAME_MAP:
        return this.map(f);
      default:
        return this.finishFun(f.start, f.size, f.tag);
    }
  }

  /**
   * A map, refusing a key that is there twice. Keys are told apart by their
   * 64-bit structural hash (term-hash.ts), made once per key while decoding,
   * so nested keys cost no more than their bytes. Two keys with the same hash
   * are taken to be the same key: with the per-process random seed, a valid
   * map is refused with probability about n^2 / 2^65 for n keys (an exact
   * comparison would cost depth x size again for keys nested in keys).
   */
  map(f: Frame): Map<Term, Term> {
    const items = f.items;
    const ha = f.ha!;
    const hb = f.hb!;
    const step = f.hashing ? 2 : 1; // inside a key every item has its hash, else only the keys
    const m = new Map<Term, Term>();
    const seen = new Map<number, number>();
    let shared: Map<number, number[]> | undefined; // ids (53 bits) of keys whose full hashes differ
    for (let i = 0, j = 0; i < items.length; i += 2, j += step) {
      let k = items[i];
      if (typeof k === 'number' && Object.is(k, -0)) k = new ErlFloat(-0);
      const id = hashId(ha[j], hb[j]);
      const first = seen.get(id);
      if (first === undefined) {
        seen.set(id, j);
      } else {
        shared ??= new Map();
        let same = shared.get(id);
        if (same === undefined) shared.set(id, (same = [first]));
        for (const p of same) {
          if (ha[p] === ha[j] && hb[p] === hb[j]) this.fail(f.start, `MAP_EXT holds the key at index ${i / 2} twice`);
        }
        same.push(j);
      }
      m.set(k, items[i + 1]);
    }
    return m;
  }

  big(n: number, sign: number, at: number, what: string): number | bigint {
    if (n > this.limits.maxIntegerBytes) {
      this.fail(at, `${what} of ${n} bytes is over maxIntegerBytes ${this.limits.maxIntegerBytes}`, {
        limit: this.limits.maxIntegerBytes,
        actual: n,
        key: 'maxIntegerBytes',
      });
    }
    this.need(n, at, what);
    const bytes = this.bytes;
    const start = this.pos;
    this.pos += n;
    if (n <= 6) {
      let v = 0;
      for (let i = n - 1; i >= 0; i--) v = v * 256 + bytes[start + i];
      return sign !== 0 && v !== 0 ? -v : v;
    }
    let hex = '';
    for (let i = start + n - 1; i >= start; i--) hex += HEX[bytes[i]];
    let v = BigInt(`0x${hex}`);
    if (sign !== 0) v = -v;
    return v <= MAX_SAFE_BIG && v >= -MAX_SAFE_BIG ? Number(v) : v;
  }

  oldFloat(at: number): Term {
    this.need(FLOAT_EXT_BYTES, at, 'FLOAT_EXT');
    const bytes = this.bytes;
    const start = this.pos;
    let len = 0;
    while (len < FLOAT_EXT_BYTES && bytes[start + len] !== 0) len++;
    if (len === FLOAT_EXT_BYTES) this.fail(at, 'FLOAT_EXT text has no NUL terminator');
    const text = latin1(bytes, start, len);
    if (!/^[+-]?\d+(\.\d*)?([eE][+-]?\d+)?$/.test(text)) this.fail(at, 'FLOAT_EXT text is not a float');
    const v = Number(text);
    if (!Number.isFinite(v)) this.fail(at, 'FLOAT_EXT value is not finite');
    this.pos = start + FLOAT_EXT_BYTES;
    return floatTerm(v);
  }

  /** Read an atom's name (the tag at `at` is already consumed) and count it. */
  atomName(tag: number, at: number): string {
    const bytes = this.bytes;
    let len: number;
    if (tag === ATOM_EXT || tag === ATOM_UTF8_EXT) {
      this.need(2, at, tagName(tag));
      len = this.u16(this.pos);
      this.pos += 2;
    } else {
      this.need(1, at, tagName(tag));
      len = bytes[this.pos++];
    }
    this.need(len, at, tagName(tag));
    if (++this.atoms > this.limits.maxAtoms) {
      this.fail(at, `more than maxAtoms ${this.limits.maxAtoms} atoms in one term`, { limit: this.limits.maxAtoms, key: 'maxAtomsPerTerm' });
    }
    const start = this.pos;
    this.pos += len;
    if (tag === ATOM_EXT || tag === SMALL_ATOM_EXT) {
      if (len > MAX_ATOM_CHARACTERS) this.fail(at, `atom of ${len} characters (Erlang allows ${MAX_ATOM_CHARACTERS})`);
      return latin1Atom(bytes, start, len);
    }
    let ascii = true;
    for (let i = start; i < start + len; i++) {
      if (bytes[i] >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      if (len > MAX_ATOM_CHARACTERS) this.fail(at, `atom of ${len} characters (Erlang allows ${MAX_ATOM_CHARACTERS})`);
      return latin1Atom(bytes, start, len);
    }
    let name: string;
    try {
      name = UTF8.decode(bytes.subarray(start, start + len));
    } catch (e) {
      throw badTerm(this.bytes, at, `${tagName(tag)} holds invalid UTF-8`, this.inflated ? { inflated: true } : {}, e);
    }
    let chars = 0;
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i);
      if (c < 0xd800 || c > 0xdbff) chars++; // a high surrogate and its low half count once
    }
    if (chars > MAX_ATOM_CHARACTERS) this.fail(at, `atom of ${chars} characters (Erlang allows ${MAX_ATOM_CHARACTERS})`);
    return name;
  }

  /** An atom that must be there (node names, modules, functions). */
  expectAtom(at: number, what: string): void {
    const p = this.pos;
    if (p >= this.end) this.fail(at, `input ends before the ${what} atom`);
    const tag = this.bytes[p];
    if (tag !== ATOM_EXT && tag !== SMALL_ATOM_EXT && tag !== ATOM_UTF8_EXT && tag !== SMALL_ATOM_UTF8_EXT) {
      this.fail(p, `expected an atom for the ${what}, found ${tagName(tag)}`);
    }
    this.pos = p + 1;
    this.atomName(tag, p);
  }

  /** SMALL_INTEGER_EXT or INTEGER_EXT, as funs and exports need. */
  expectSmallInteger(at: number, what: string): void {
    const p = this.pos;
    if (p >= this.end) this.fail(at, `input ends before the ${what}`);
    const tag = this.bytes[p];
    this.pos = p + 1;
    if (tag === SMALL_INTEGER_EXT) this.need(1, p, what);
    else if (tag === INTEGER_EXT) this.need(4, p, what);
    else this.fail(p, `expected an integer for the ${what}, found ${tagName(tag)}`);
    this.pos += tag === SMALL_INTEGER_EXT ? 1 : 4;
  }

  expectPid(at: number): void {
    const p = this.pos;
    if (p >= this.end) this.fail(at, "input ends before the fun's pid");
    const tag = this.bytes[p];
    if (tag !== PID_EXT && tag !== NEW_PID_EXT) this.fail(p, `expected a pid, found ${tagName(tag)}`);
    this.pos = p + 1;
    this.flatOpaque(tag, p);
  }

  /** Pids, ports, references and exports: a node atom (or module/function atoms) plus fixed fields. */
  flatOpaque(tag: number, at: number): void {
    const what = tagName(tag);
    switch (tag) {
      case PID_EXT:
        this.expectAtom(at, 'node');
        this.need(9, at, what);
        this.pos += 9;
        return;
      case NEW_PID_EXT:
        this.expectAtom(at, 'node');
        this.need(12, at, what);
        this.pos += 12;
        return;
      case PORT_EXT:
      case REFERENCE_EXT:
        this.expectAtom(at, 'node');
        this.need(5, at, what);
        this.pos += 5;
        return;
      case NEW_PORT_EXT:
        this.expectAtom(at, 'node');
        this.need(8, at, what);
        this.pos += 8;
        return;
      case V4_PORT_EXT:
        this.expectAtom(at, 'node');
        this.need(12, at, what);
        this.pos += 12;
        return;
      case NEW_REFERENCE_EXT:
      case NEWER_REFERENCE_EXT: {
        this.need(2, at, what);
        const words = this.u16(this.pos);
        this.pos += 2;
        if (words > MAX_REFERENCE_WORDS) this.fail(at, `${what} with ${words} ID words (at most ${MAX_REFERENCE_WORDS})`);
        this.expectAtom(at, 'node');
        const n = (tag === NEW_REFERENCE_EXT ? 1 : 4) + 4 * words;
        this.need(n, at, what);
        this.pos += n;
        return;
      }
      default: // EXPORT_EXT
        this.expectAtom(at, 'module');
        this.expectAtom(at, 'function');
        this.expectSmallInteger(at, 'arity');
    }
  }

  /** Everything of a fun up to its free variables. */
  funHeader(tag: number, at: number): { numFree: number; size: number } {
    let numFree: number;
    let size = -1;
    if (tag === NEW_FUN_EXT) {
      // Size:4 Arity:1 Uniq:16 Index:4 NumFree:4
      this.need(29, at, 'NEW_FUN_EXT');
      size = this.u32(this.pos);
      numFree = this.u32(this.pos + 25);
      this.pos += 29;
      if (size > this.end - at - 1) this.fail(at, `NEW_FUN_EXT claims ${size} bytes but only ${this.end - at - 1} remain`);
      this.expectAtom(at, 'module');
      this.expectSmallInteger(at, 'OldIndex');
      this.expectSmallInteger(at, 'OldUniq');
      this.expectPid(at);
    } else {
      this.need(4, at, 'FUN_EXT');
      numFree = this.u32(this.pos);
      this.pos += 4;
      this.expectPid(at);
      this.expectAtom(at, 'module');
      this.expectSmallInteger(at, 'Index');
      this.expectSmallInteger(at, 'Uniq');
    }
    this.need(numFree, at, `${tagName(tag)} with ${numFree} free variables`);
    return { numFree, size };
  }

  finishFun(at: number, size: number, tag: number): Opaque {
    if (tag === NEW_FUN_EXT && this.pos - at - 1 !== size) {
      this.fail(at, `NEW_FUN_EXT Size is ${size} but the fun takes ${this.pos - at - 1} bytes`);
    }
    return new Opaque(tag, this.bytes.slice(at, this.pos));
  }

  bitBinary(at: number): Term {
    this.need(5, at, 'BIT_BINARY_EXT');
    const len = this.u32(this.pos);
    const bits = this.bytes[this.pos + 4];
    this.pos += 5;
    this.need(len, at, 'BIT_BINARY_EXT');
    if (bits > 8 || (len === 0) !== (bits === 0)) {
      this.fail(at, `BIT_BINARY_EXT with ${len} bytes and ${bits} bits in the last byte`);
    }
    const data = this.bytes.slice(this.pos, this.pos + len);
    this.pos += len;
    if (len === 0 || bits === 8) return data;
    data[len - 1] &= (0xff << (8 - bits)) & 0xff;
    return new BitBinary(data, bits);
  }
}

function unexpectedTag(tag: number): string {
  switch (tag) {
    case COMPRESSED:
      return 'a compressed term (tag 80) may only follow the version byte';
    case VERSION:
      return 'version byte 131 inside a term';
    case ATOM_CACHE_REF:
    case DIST_HEADER:
    case DIST_FRAG_HEADER:
    case LOCAL_EXT:
      return `${tagName(tag)} is only meaningful inside the Erlang distribution protocol`;
    default:
      return `unknown tag ${tag}`;
  }
}

/** Set H to the hash of the container `f` just finished as `value` (its items' hashes are in f.ha/f.hb). */
function containerHash(f: Frame, value: Term): void {
  switch (f.kind) {
    case FRAME_TUPLE:
      return tupleHash(f.ha!, f.hb!, f.ha!.length);
    case FRAME_LIST:
      // finish() has merged the tail into items; the hashes are still one per item plus the tail.
      return listHash(f.ha!, f.hb!, f.ha!.length);
    case FRAME_MAP:
      return mapHash(f.ha!, f.hb!, 0, f.ha!.length / 2);
    default:
      return leafHash(value); // a fun: an Opaque of its bytes
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  const n = data.length;
  for (let i = 0; i < n;) {
    const end = Math.min(n, i + 5552);
    for (; i < end; i++) {
      a += data[i];
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return (b * 65536 + a) >>> 0;
}

/**
 * Inflate the zlib data `z` (which starts at `base` in `bytes`) into exactly `size` bytes.
 *
 * fflate's one-shot `unzlibSync(data, { out })` silently truncates when `out` is too small
 * (and would keep inflating a bomb to its end), and does not check the Adler-32 trailer. So we
 * stream: compressed bytes go in in steps sized so that even at deflate's maximum ratio the
 * output cannot run far past the declared size, the callback stops as soon as it would, and the
 * Adler-32 of the output is compared with the trailer.
 */
function inflateExact(bytes: Uint8Array, base: number, size: number): Uint8Array {
  const z = bytes.subarray(base);
  if (z.length < 2 + 1 + 4) throw badTerm(bytes, base, `zlib data of ${z.length} bytes is too short`);
  const cmf = z[0];
  const flg = z[1];
  if ((cmf & 0x0f) !== 8 || cmf >> 4 > 7 || ((cmf << 8) | flg) % 31 !== 0) {
    throw badTerm(bytes, base, 'not a zlib stream (bad CMF/FLG header)');
  }
  if (flg & 0x20) throw badTerm(bytes, base, 'zlib stream needs a preset dictionary');
  const deflated = z.subarray(2, z.length - 4);
  const out = new Uint8Array(size);
  let got = 0;
  const inflater = new Inflate((chunk) => {
    if (chunk.length > size - got) throw OVERFLOW;
    out.set(chunk, got);
    got += chunk.length;
  });
  let off = 0;
  try {
    do {
      const step = Math.min(INFLATE_MAX_STEP, Math.max(INFLATE_MIN_STEP, Math.floor((size - got) / DEFLATE_MAX_RATIO) + 1));
      const next = Math.min(deflated.length, off + step);
      inflater.push(deflated.subarray(off, next), next === deflated.length);
      off = next;
    } while (off < deflated.length);
  } catch (e) {
    if (e === OVERFLOW) {
      throw badTerm(bytes, base - 4, `inflated data is longer than the declared ${size} bytes`, { limit: size });
    }
    const reason = e instanceof Error ? e.message : String(e);
    throw badTerm(bytes, base + 2 + off, `invalid deflate data (${reason})`, {}, e);
  }
  if (got !== size) {
    throw badTerm(bytes, base - 4, `inflated data is ${got} bytes, not the declared ${size}`, { limit: size, actual: got });
  }
  const trailer = z.length - 4;
  const expected = ((z[trailer] << 24) | (z[trailer + 1] << 16) | (z[trailer + 2] << 8) | z[trailer + 3]) >>> 0;
  if (adler32(out) !== expected) throw badTerm(bytes, base + trailer, 'zlib Adler-32 checksum does not match');
  return out;
}

function decodeCompressed(bytes: Uint8Array, limits: Resolved): Term {
  // 131, 80, UncompressedSize:4, zlib data
  if (bytes.length < 6) throw badTerm(bytes, 1, 'compressed term ends inside its size field');
  const size = ((bytes[2] << 24) | (bytes[3] << 16) | (bytes[4] << 8) | bytes[5]) >>> 0;
  const max = limits.maxDecompressedBytes;
  if (max === 0) throw badTerm(bytes, 1, 'compressed terms are refused (maxDecompressedBytes is 0)', { limit: 0, actual: size, key: 'maxDecompressedBytes' });
  if (size > max) {
    throw badTerm(bytes, 2, `declared uncompressed size ${size} is over maxDecompressedBytes ${max}`, {
      limit: max,
      actual: size,
      key: 'maxDecompressedBytes',
    });
  }
  if (size === 0) throw badTerm(bytes, 2, 'declared uncompressed size is 0');
  const inner = inflateExact(bytes, 6, size);
  const d = new Decoder(inner, 0, limits, true);
  try {
    const t = d.run();
    if (d.pos !== inner.length) d.fail(d.pos, `${inner.length - d.pos} bytes after the term`);
    return t;
  } catch (e) {
    if (e instanceof ChanError) throw e;
    throw badTerm(inner, Math.min(d.pos, inner.length), `cannot decode: ${e instanceof Error ? e.message : String(e)}`, { inflated: true }, e);
  }
}

// ---- the fast path: small terms made of the common leaves ----

/**
 * Most channel messages are small tuples of atoms, small integers, strings and
 * binaries (`{store, joe, "writing a book"}`). The general decoder's explicit
 * stack, per-container frames and map-key hashing cost about twice what such
 * a term needs, so decodeQuoting first tries this recursive reader, which
 * knows only those leaves, tuples and proper lists, and stops at the first
 * thing it does not know or that is wrong (any other tag, a limit, a short
 * input, bytes after the term). The general decoder then reads the term from
 * the start and gives the answer or the error: at most twice the work of one
 * read, still linear in the input's length. Both give the same terms for the
 * inputs this path accepts (test/unit/etf-decode.test.ts, "fast path").
 */
const SLOW = Symbol('slow');
const EMPTY_INPUT = new Uint8Array(0);
/** A float's 8 bytes are copied here to be read (no DataView per term). */
const FLOAT_BYTES = new Uint8Array(8);
const FLOAT_VIEW = new DataView(FLOAT_BYTES.buffer);
/** Recursion stays shallow whatever maxDepth allows: deeper terms go to the general decoder. */
const FAST_MAX_DEPTH = 16;

/** The fast reader's state for the term being read (module-level: no object per term). */
let fBytes: Uint8Array = EMPTY_INPUT;
let fPos = 0;
let fAtoms = 0;
let fLimits: Resolved = DEFAULT_RESOLVED;

function fastTerm(depth: number): Term | typeof SLOW {
  const b = fBytes;
  const end = b.length;
  const p = fPos;
  if (p >= end) return SLOW;
  const tag = b[p];
  switch (tag) {
    case SMALL_INTEGER_EXT:
      if (p + 2 > end) return SLOW;
      fPos = p + 2;
      return b[p + 1];
    case INTEGER_EXT:
      if (p + 5 > end) return SLOW;
      fPos = p + 5;
      return (b[p + 1] << 24) | (b[p + 2] << 16) | (b[p + 3] << 8) | b[p + 4];
    case SMALL_ATOM_UTF8_EXT:
    case SMALL_ATOM_EXT:
      if (p + 2 > end) return SLOW;
      return fastAtom(tag, p + 2, b[p + 1]);
    case ATOM_UTF8_EXT:
    case ATOM_EXT:
      if (p + 3 > end) return SLOW;
      return fastAtom(tag, p + 3, (b[p + 1] << 8) | b[p + 2]);
    case NIL_EXT:
      fPos = p + 1;
      return [];
    case NEW_FLOAT_EXT: {
      if (p + 9 > end) return SLOW;
      for (let i = 0; i < 8; i++) FLOAT_BYTES[i] = b[p + 1 + i];
      const v = FLOAT_VIEW.getFloat64(0);
      if (!Number.isFinite(v)) return SLOW;
      fPos = p + 9;
      return floatTerm(v);
    }
    case STRING_EXT: {
      if (p + 3 > end) return SLOW;
      const len = (b[p + 1] << 8) | b[p + 2];
      const start = p + 3;
      if (start + len > end) return SLOW;
      fPos = start + len;
      return len === 0 ? [] : latin1(b, start, len);
    }
    case BINARY_EXT: {
      if (p + 5 > end) return SLOW;
      const len = ((b[p + 1] << 24) | (b[p + 2] << 16) | (b[p + 3] << 8) | b[p + 4]) >>> 0;
      const start = p + 5;
      if (len > end - start) return SLOW;
      fPos = start + len;
      return fLimits.shareLargeBinaries && len * 2 >= b.buffer.byteLength ? b.subarray(start, start + len) : b.slice(start, start + len);
    }
    case SMALL_TUPLE_EXT: {
      if (p + 2 > end || depth >= fLimits.maxDepth || depth >= FAST_MAX_DEPTH) return SLOW;
      const n = b[p + 1];
      fPos = p + 2;
      if (n > end - fPos) return SLOW;
      // Sized once (an empty array's first push reserves 17 slots): every slot is filled before it is seen.
      const items = new Array<Term>(n);
      for (let i = 0; i < n; i++) {
        const v = fastTerm(depth + 1);
        if (v === SLOW) return SLOW;
        items[i] = v;
      }
      return new Tuple(items);
    }
    case LIST_EXT: {
      if (p + 5 > end || depth >= fLimits.maxDepth || depth >= FAST_MAX_DEPTH) return SLOW;
      const n = ((b[p + 1] << 24) | (b[p + 2] << 16) | (b[p + 3] << 8) | b[p + 4]) >>> 0;
      fPos = p + 5;
      if (n >= end - fPos) return SLOW; // each element and the tail take a byte at least
      // Sized once when short; a long one grows (V8 makes a large `new Array(n)` a slow dictionary).
      const items: Term[] = n <= 1024 ? new Array<Term>(n) : [];
      for (let i = 0; i < n; i++) {
        const v = fastTerm(depth + 1);
        if (v === SLOW) return SLOW;
        items[i] = v;
      }
      // Only a proper list ([] as its tail) is read here; `n === 0` with a [] tail is [] as well.
      if (fPos >= end || b[fPos] !== NIL_EXT) return SLOW;
      fPos++;
      return items;
    }
    default:
      return SLOW;
  }
}

/** An atom's name of `len` bytes at `start` (its tag at start - 2 or - 3), as the general decoder reads it. */
function fastAtom(tag: number, start: number, len: number): Term | typeof SLOW {
  const b = fBytes;
  if (len > MAX_ATOM_CHARACTERS || len > b.length - start || ++fAtoms > fLimits.maxAtoms) return SLOW;
  if (tag === ATOM_UTF8_EXT || tag === SMALL_ATOM_UTF8_EXT) {
    for (let i = start, e = start + len; i < e; i++) if (b[i] >= 0x80) return SLOW;
  }
  fPos = start + len;
  const name = latin1Atom(b, start, len);
  return name === 'true' ? true : name === 'false' ? false : name === 'undefined' ? undefined : new Atom(name);
}

/** The term that fills `input` after its version byte, or SLOW. */
function fastDecode(input: Uint8Array, limits: Resolved): Term | typeof SLOW {
  fBytes = input;
  fPos = 1;
  fAtoms = 0;
  fLimits = limits;
  const t = fastTerm(0);
  const whole = fPos === input.length;
  fBytes = EMPTY_INPUT; // not kept alive by the module
  return whole ? t : SLOW;
}

/**
 * Decode one External Term Format term (starting with the version byte 131) that fills
 * `bytes` exactly.
 *
 * @throws ChanError `badTerm` (details: `offset`, and `limit`/`actual` for limits) for any
 *   input that is not exactly one valid term within the limits; `badArgument` only for
 *   invalid `options` or a non-Uint8Array argument.
 */
export function decodeTerm(bytes: Uint8Array, options?: DecodeOptions): Term {
  if (options?.excerpt !== false) return decodeQuoting(bytes, options);
  try {
    return decodeQuoting(bytes, options);
  } catch (e) {
    if (!(e instanceof ChanError)) throw e;
    throw new ChanError(e.code, e.message.replace(EXCERPT, ''), { details: e.details });
  }
}

/** The hex excerpt badTerm() ends its messages with. */
const EXCERPT = / \(bytes: (?:[0-9a-f]*(?:\.\.\.)?|<end>)\)$/;

function decodeQuoting(bytes: Uint8Array, options: DecodeOptions | undefined, tryFast = true): Term {
  const limits = resolve(options);
  if (!(bytes instanceof Uint8Array)) throw new ChanError('badArgument', 'decodeTerm: bytes must be a Uint8Array');
  // A plain view, so `slice` copies into plain Uint8Arrays even for a Node Buffer.
  const input = bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (input.length === 0) throw badTerm(input, 0, 'empty input (no version byte)');
  if (input[0] !== VERSION) throw badTerm(input, 0, `first byte is ${input[0]}, not the version byte 131`);
  if (input.length >= 2 && input[1] === COMPRESSED) {
    try {
      return decodeCompressed(input, limits);
    } catch (e) {
      if (e instanceof ChanError) throw e;
      throw badTerm(input, 1, `cannot decode: ${e instanceof Error ? e.message : String(e)}`, {}, e);
    }
  }
  if (tryFast) {
    const fast = fastDecode(input, limits);
    if (fast !== SLOW) return fast;
  }
  const d = new Decoder(input, 1, limits, false);
  try {
    const t = d.run();
    if (d.pos !== input.length) d.fail(d.pos, `${input.length - d.pos} bytes after the term`, { actual: input.length - d.pos });
    return t;
  } catch (e) {
    if (e instanceof ChanError) throw e;
    // Nothing but ChanError leaves: e.g. a RangeError for a bignum past V8's BigInt size.
    throw badTerm(input, Math.min(d.pos, input.length), `cannot decode: ${e instanceof Error ? e.message : String(e)}`, {}, e);
  }
}

/**
 * For the tests that hold the two readers to each other, not for the package
 * (neither index re-exports it): the fast path alone (`null` where it hands
 * the term over), and the general decoder alone.
 */
export const decodeReaders = {
  fast(bytes: Uint8Array, options?: DecodeOptions): { term: Term } | null {
    if (bytes.length < 2 || bytes[0] !== VERSION) return null;
    const input = bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const t = fastDecode(input, resolve(options));
    return t === SLOW ? null : { term: t };
  },
  general(bytes: Uint8Array, options?: DecodeOptions): Term {
    return decodeQuoting(bytes, options, false);
  },
};
