/**
 * Term -> External Term Format bytes (version 131). Isomorphic: Uint8Array, DataView and
 * TextEncoder only.
 *
 * Encoding rules (the JS model is documented in `term.ts`):
 *
 * | JS value                               | written as                                          |
 * |----------------------------------------|-----------------------------------------------------|
 * | integer `number` / `bigint`            | SMALL_INTEGER_EXT (0..255), INTEGER_EXT (int32),    |
 * |                                        | else SMALL_BIG_EXT / LARGE_BIG_EXT                  |
 * | non-integral `number`, `-0`, `ErlFloat`| NEW_FLOAT_EXT (NaN and ±Infinity: `badArgument`)    |
 * | `Atom`                                 | ATOM_EXT when every char ≤ 255 (as OTP 25 does),    |
 * |                                        | else SMALL_ATOM_UTF8_EXT / ATOM_UTF8_EXT; at most   |
 * |                                        | 255 characters                                      |
 * | `true` / `false` / `undefined` / `null`| the atoms `true`, `false`, `undefined`, `null`      |
 * | `string`                               | `""` -> NIL_EXT; STRING_EXT when every char ≤ 255   |
 * |                                        | and length ≤ 65535; else LIST_EXT of code points    |
 * | `Array`                                | LIST_EXT + NIL_EXT (`[]` -> NIL_EXT)                |
 * | `ImproperList`                         | LIST_EXT + tail (no elements: just the tail)        |
 * | `Tuple`                                | SMALL_TUPLE_EXT / LARGE_TUPLE_EXT                   |
 * | `Uint8Array` (and Node's `Buffer`)     | BINARY_EXT                                          |
 * | `BitBinary`                            | BIT_BINARY_EXT (bits = 8: BINARY_EXT); the unused   |
 * |                                        | low bits of the last byte are written as zero       |
 * | `Map`, plain object record             | MAP_EXT (record keys become atoms)                  |
 * | `Opaque`                               | its bytes, verbatim                                 |
 *
 * Anything else (functions, symbols, class instances outside the model, other typed arrays,
 * or nesting deeper than `LIMITS.maxTermDepth.max`, which is also how cycles end) throws
 * `ChanError('badArgument')`.
 *
 * The hot path writes into one reusable growable buffer through a DataView and copies the
 * result out once; `reserve` lets framing put its length prefix in front without another copy.
 */
import { ChanError } from '../../errors.ts';
import { LIMITS } from '../../limits.ts';
import { Atom, BitBinary, ErlFloat, ImproperList, Opaque, Tuple, isRecord, type Term } from './term.ts';
import {
  ATOM_EXT,
  ATOM_UTF8_EXT,
  BINARY_EXT,
  BIT_BINARY_EXT,
  INTEGER_EXT,
  LARGE_BIG_EXT,
  LARGE_TUPLE_EXT,
  LIST_EXT,
  MAP_EXT,
  MAX_ATOM_CHARACTERS,
  MAX_STRING_EXT_LENGTH,
  NEW_FLOAT_EXT,
  NIL_EXT,
  OPAQUE_TAGS,
  SMALL_ATOM_UTF8_EXT,
  SMALL_BIG_EXT,
  SMALL_INTEGER_EXT,
  SMALL_TUPLE_EXT,
  STRING_EXT,
  VERSION,
} from './tags.ts';

export interface EncodeOptions {
  /**
   * Zero bytes to leave in front of the term, e.g. 4 for a `{packet,4}` length prefix that
   * the caller fills in afterwards. The returned array is `reserve + termLength` bytes long;
   * the term (starting with 131) begins at index `reserve`.
   * @default 0
   */
  reserve?: number;
}

/** Deepest nesting the encoder follows; deeper (or cyclic) input is a `badArgument`. */
const MAX_ENCODE_DEPTH = LIMITS.maxTermDepth.max;
const MAX_RESERVE = 1024;
/** The fast path's recursion stays shallow; deeper terms take root()'s explicit stack. */
const FAST_MAX_DEPTH = 16;
const INITIAL_BUFFER_BYTES = 1024;
/** After a big term, the shared buffer is dropped back to this size so it is not kept forever. */
const KEEP_BUFFER_BYTES = 1024 * 1024;
const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;
const BIG_INT32_MIN = -0x8000_0000n;
const BIG_INT32_MAX = 0x7fff_ffffn;

const TEXT_ENCODER = new TextEncoder();
/** Pushed after a proper list's elements: write NIL_EXT (a real tail can be any term, even `undefined`). */
const NIL_TAIL: unique symbol = Symbol('nil');

function bad(message: string, details: Record<string, unknown> = {}): ChanError {
  return new ChanError('badArgument', `encodeTerm: ${message}`, { details });
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  const ctor = (v as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === 'string' && ctor.name !== '' ? `an instance of ${ctor.name}` : 'an object';
}

class Encoder {
  buf: Uint8Array;
  view: DataView;
  pos = 0;

  constructor(size: number) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }

  /** Make room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  tagU32(tag: number, v: number): void {
    this.ensure(5);
    this.buf[this.pos] = tag;
    this.view.setUint32(this.pos + 1, v);
    this.pos += 5;
  }

  /**
   * Encode `t` if it is made of tuples and proper lists (at most FAST_MAX_DEPTH deep) and leaves (numbers,
   * strings, atoms, booleans, undefined, binaries), recursively: the stack of root() costs two
   * pushes and pops per item, about half of a small message's encode. False at the first thing
   * it does not take (a map, an improper list, a record...): the caller then rewinds and uses root(),
   * which writes the same bytes for what this takes and has the only error messages.
   */
  fast(t: Term, depth: number): boolean {
    switch (typeof t) {
      case 'number':
        this.number(t);
        return true;
      case 'string':
        this.string(t);
        return true;
      case 'boolean':
        this.latin1Atom(t ? 'true' : 'false');
        return true;
      case 'undefined':
        this.latin1Atom('undefined');
        return true;
      case 'object':
        break;
      default:
        return false;
    }
    if (t instanceof Atom) {
      this.atom(t.name);
      return true;
    }
    if (t instanceof Tuple) {
      const elements = t.elements;
      if (depth >= FAST_MAX_DEPTH || !Array.isArray(elements) || elements.length > 255) return false;
      const n = elements.length;
      this.ensure(2);
      this.buf[this.pos] = SMALL_TUPLE_EXT;
      this.buf[this.pos + 1] = n;
      this.pos += 2;
      for (let i = 0; i < n; i++) if (!this.fast(elements[i], depth + 1)) return false;
      return true;
    }
    if (Array.isArray(t)) {
      const n = t.length;
      if (n === 0) {
        this.u8(NIL_EXT);
        return true;
      }
      if (depth >= FAST_MAX_DEPTH) return false;
      this.tagU32(LIST_EXT, n);
      for (let i = 0; i < n; i++) if (!this.fast(t[i], depth + 1)) return false;
      this.u8(NIL_EXT);
      return true;
    }
    if (t instanceof Uint8Array) {
      this.binary(t);
      return true;
    }
    return false;
  }

  /** Pending terms (and NIL markers), with the nesting depth of each; reused between calls. */
  readonly stack: unknown[] = [];
  readonly depths: number[] = [];

  /**
   * Encode `root`. Iterative, so that nesting up to MAX_ENCODE_DEPTH cannot exhaust the JS
   * stack: containers write their header and push their children in reverse order.
   */
  root(root: Term): void {
    const stack = this.stack; // empty: every call ends with it drained, or reset by encodeTerm
    const depths = this.depths;
    stack.push(root);
    depths.push(0);
    while (stack.length > 0) {
      const t = stack.pop();
      const depth = depths.pop() as number;
      switch (typeof t) {
        case 'number':
          this.number(t);
          continue;
        case 'string':
          this.string(t);
          continue;
        case 'boolean':
          this.latin1Atom(t ? 'true' : 'false');
          continue;
        case 'undefined':
          this.latin1Atom('undefined');
          continue;
        case 'bigint':
          this.bigint(t);
          continue;
        case 'symbol':
          if (t === NIL_TAIL) {
            this.u8(NIL_EXT);
            continue;
          }
          throw bad('cannot encode a symbol');
        case 'object':
          break;
        default:
          throw bad(`cannot encode a ${typeof t}`);
      }
      if (t === null) {
        this.latin1Atom('null');
        continue;
      }
      if (t instanceof Atom) {
        this.atom(t.name);
        continue;
      }
      if (t instanceof Uint8Array) {
        this.binary(t);
        continue;
      }
      if (t instanceof ErlFloat) {
        this.float(t.value);
        continue;
      }
      if (t instanceof BitBinary) {
        this.bitBinary(t);
        continue;
      }
      if (t instanceof Opaque) {
        this.opaque(t);
        continue;
      }
      // A container: its children sit one level deeper.
      if (depth >= MAX_ENCODE_DEPTH) {
        throw bad(`term nested deeper than ${MAX_ENCODE_DEPTH} levels (or cyclic)`, { limit: MAX_ENCODE_DEPTH });
      }
      const inner = depth + 1;
      if (Array.isArray(t)) {
        const n = t.length;
        if (n === 0) {
          this.u8(NIL_EXT);
          continue;
        }
        this.tagU32(LIST_EXT, n);
        stack.push(NIL_TAIL);
        depths.push(inner);
        for (let i = n - 1; i >= 0; i--) {
          stack.push(t[i]);
          depths.push(inner);
        }
      } else if (t instanceof Tuple) {
        const elements = t.elements;
        if (!Array.isArray(elements)) throw bad('Tuple.elements is not an array');
        const n = elements.length;
        if (n <= 255) {
          this.ensure(2);
          this.buf[this.pos] = SMALL_TUPLE_EXT;
          this.buf[this.pos + 1] = n;
          this.pos += 2;
        } else {
          this.tagU32(LARGE_TUPLE_EXT, n);
        }
        for (let i = n - 1; i >= 0; i--) {
          stack.push(elements[i]);
          depths.push(inner);
        }
      } else if (t instanceof Map) {
        const entries = [...(t as Map<Term, Term>)];
        this.tagU32(MAP_EXT, entries.length);
        for (let i = entries.length - 1; i >= 0; i--) {
          stack.push(entries[i][1], entries[i][0]);
          depths.push(inner, inner);
        }
      } else if (t instanceof ImproperList) {
        const elements = t.elements;
        if (!Array.isArray(elements)) throw bad('ImproperList.elements is not an array');
        const n = elements.length;
        // No elements: the list is just its tail.
        if (n > 0) this.tagU32(LIST_EXT, n);
        stack.push(t.tail);
        depths.push(inner);
        for (let i = n - 1; i >= 0; i--) {
          stack.push(elements[i]);
          depths.push(inner);
        }
      } else if (isRecord(t)) {
        const r = t as { readonly [key: string]: Term };
        const keys = Object.keys(r);
        this.tagU32(MAP_EXT, keys.length);
        for (let i = keys.length - 1; i >= 0; i--) {
          stack.push(r[keys[i]], new Atom(keys[i]));
          depths.push(inner, inner);
        }
      } else {
        throw bad(`cannot encode ${describe(t)}`);
      }
    }
  }

  number(n: number): void {
    if (Number.isInteger(n) && !Object.is(n, -0)) {
      if (n >= 0 && n <= 255) {
        this.ensure(2);
        this.buf[this.pos] = SMALL_INTEGER_EXT;
        this.buf[this.pos + 1] = n;
        this.pos += 2;
      } else if (n >= INT32_MIN && n <= INT32_MAX) {
        this.ensure(5);
        this.buf[this.pos] = INTEGER_EXT;
        this.view.setInt32(this.pos + 1, n);
        this.pos += 5;
      } else if (Number.isSafeInteger(n)) {
        // At most 7 magnitude bytes: plain arithmetic is exact.
        let mag = Math.abs(n);
        this.ensure(3 + 7);
        const start = this.pos;
        this.buf[start] = SMALL_BIG_EXT;
        this.buf[start + 2] = n < 0 ? 1 : 0;
        let p = start + 3;
        while (mag > 0) {
          const b = mag % 256;
          this.buf[p++] = b;
          mag = (mag - b) / 256;
        }
        this.buf[start + 1] = p - start - 3;
        this.pos = p;
      } else {
        this.bigint(BigInt(n));
      }
      return;
    }
    this.float(n);
  }

  float(v: number): void {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw bad(`cannot encode the float ${String(v)} (Erlang floats are finite)`);
    }
    this.ensure(9);
    this.buf[this.pos] = NEW_FLOAT_EXT;
    this.view.setFloat64(this.pos + 1, v);
    this.pos += 9;
  }

  bigint(v: bigint): void {
    if (v >= BIG_INT32_MIN && v <= BIG_INT32_MAX) return this.number(Number(v));
    const negative = v < 0n;
    let hex = (negative ? -v : v).toString(16);
    if (hex.length % 2 === 1) hex = `0${hex}`;
    const n = hex.length / 2;
    if (n <= 255) {
      this.ensure(3 + n);
      this.buf[this.pos] = SMALL_BIG_EXT;
      this.buf[this.pos + 1] = n;
      this.pos += 2;
    } else {
      this.ensure(6 + n);
      this.tagU32(LARGE_BIG_EXT, n);
    }
    this.buf[this.pos++] = negative ? 1 : 0;
    // Little-endian: the last hex pair is byte 0.
    let p = this.pos;
    for (let i = hex.length - 2; i >= 0; i -= 2) {
      this.buf[p++] = (hexDigit(hex.charCodeAt(i)) << 4) | hexDigit(hex.charCodeAt(i + 1));
    }
    this.pos = p;
  }

  /** An atom written as ATOM_EXT (the caller knows it is short and Latin-1). */
  latin1Atom(name: string): void {
    const len = name.length;
    this.ensure(3 + len);
    const buf = this.buf;
    let p = this.pos;
    buf[p] = ATOM_EXT;
    buf[p + 1] = 0;
    buf[p + 2] = len;
    p += 3;
    for (let i = 0; i < len; i++) buf[p++] = name.charCodeAt(i);
    this.pos = p;
  }

  atom(name: string): void {
    if (typeof name !== 'string') throw bad('Atom.name is not a string');
    const len = name.length;
    if (len <= MAX_ATOM_CHARACTERS) {
      // Fast path: every char ≤ 255 -> ATOM_EXT, byte for byte what OTP 25 writes.
      this.ensure(3 + len);
      const buf = this.buf;
      const start = this.pos;
      let p = start + 3;
      let i = 0;
      for (; i < len; i++) {
        const c = name.charCodeAt(i);
        if (c > 255) break;
        buf[p++] = c;
      }
      if (i === len) {
        buf[start] = ATOM_EXT;
        buf[start + 1] = 0;
        buf[start + 2] = len;
        this.pos = p;
        return;
      }
    }
    // UTF-8 atom: count code points (max 255) and refuse lone surrogates, which UTF-8 cannot hold.
    let chars = 0;
    let utf8 = 0;
    for (let i = 0; i < len; i++) {
      const c = name.charCodeAt(i);
      chars++;
      if (c < 0x80) utf8 += 1;
      else if (c < 0x800) utf8 += 2;
      else if (c >= 0xd800 && c <= 0xdbff) {
        const d = i + 1 < len ? name.charCodeAt(i + 1) : 0;
        if (d < 0xdc00 || d > 0xdfff) throw bad('atom name holds a lone surrogate');
        utf8 += 4;
        i++;
      } else if (c >= 0xdc00 && c <= 0xdfff) {
        throw bad('atom name holds a lone surrogate');
      } else utf8 += 3;
    }
    if (chars > MAX_ATOM_CHARACTERS) {
      throw bad(`atom has ${chars} characters; Erlang allows at most ${MAX_ATOM_CHARACTERS}`, {
        limit: MAX_ATOM_CHARACTERS,
        actual: chars,
      });
    }
    if (utf8 <= 255) {
      this.ensure(2 + utf8);
      this.buf[this.pos] = SMALL_ATOM_UTF8_EXT;
      this.buf[this.pos + 1] = utf8;
      this.pos += 2;
    } else {
      this.ensure(3 + utf8);
      this.buf[this.pos] = ATOM_UTF8_EXT;
      this.view.setUint16(this.pos + 1, utf8);
      this.pos += 3;
    }
    const { written } = TEXT_ENCODER.encodeInto(name, this.buf.subarray(this.pos, this.pos + utf8));
    this.pos += written;
  }

  string(s: string): void {
    const len = s.length;
    if (len === 0) return this.u8(NIL_EXT);
    if (len <= MAX_STRING_EXT_LENGTH) {
      this.ensure(3 + len);
      const buf = this.buf;
      const start = this.pos;
      let p = start + 3;
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c > 255) break;
        buf[p++] = c;
      }
      if (i === len) {
        buf[start] = STRING_EXT;
        buf[start + 1] = len >>> 8;
        buf[start + 2] = len & 0xff;
        this.pos = p;
        return;
      }
    }
    // LIST_EXT of code points; the count is patched in once known.
    this.ensure(5);
    const header = this.pos;
    this.tagU32(LIST_EXT, 0);
    let count = 0;
    for (let i = 0; i < len; i++) {
      let c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < len) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
        }
      }
      if (c <= 255) {
        this.ensure(2);
        this.buf[this.pos] = SMALL_INTEGER_EXT;
        this.buf[this.pos + 1] = c;
        this.pos += 2;
      } else {
        this.ensure(5);
        this.buf[this.pos] = INTEGER_EXT;
        this.view.setInt32(this.pos + 1, c);
        this.pos += 5;
      }
      count++;
    }
    this.view.setUint32(header + 1, count);
    this.u8(NIL_EXT);
  }

  binary(b: Uint8Array): void {
    const n = b.length;
    this.ensure(5 + n);
    this.tagU32(BINARY_EXT, n);
    this.buf.set(b, this.pos);
    this.pos += n;
  }

  bitBinary(b: BitBinary): void {
    const { bytes, bits } = b;
    if (!(bytes instanceof Uint8Array)) throw bad('BitBinary.bytes is not a Uint8Array');
    if (!Number.isInteger(bits) || bits < 1 || bits > 8) throw bad(`BitBinary.bits must be 1..8, got ${String(bits)}`);
    if (bytes.length === 0) throw bad('BitBinary needs at least one byte');
    if (bits === 8) return this.binary(bytes);
    const n = bytes.length;
    this.ensure(6 + n);
    this.tagU32(BIT_BINARY_EXT, n);
    this.buf[this.pos++] = bits;
    this.buf.set(bytes, this.pos);
    this.pos += n;
    this.buf[this.pos - 1] &= (0xff << (8 - bits)) & 0xff;
  }

  opaque(o: Opaque): void {
    const bytes = o.bytes;
    if (!(bytes instanceof Uint8Array) || bytes.length < 2 || bytes[0] !== o.tag || !OPAQUE_TAGS.has(o.tag)) {
      throw bad('Opaque must hold the bytes of a pid, port, reference, fun or export, starting with its tag');
    }
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }
}

function hexDigit(c: number): number {
  return c <= 57 ? c - 48 : c - 87; // '0'-'9', 'a'-'f' (BigInt.toString(16) is lower case)
}

let shared: Encoder | null = null;
let busy = false;

/**
 * Encode a term as External Term Format, starting with the version byte 131
 * (after `options.reserve` zero bytes, if any). Returns a fresh array the caller owns.
 *
 * @throws ChanError `badArgument` for a value outside the term model, a non-finite float,
 *   an atom over 255 characters, or nesting deeper than 10000 (including cycles).
 */
export function encodeTerm(term: Term, options?: EncodeOptions): Uint8Array {
  return encodeWith(term, options, true);
}

/**
 * As encodeTerm, but the result is a view into the encoder's shared buffer,
 * valid only until the next encode: for a caller that consumes the bytes at
 * once (the secure codec seals them into a new array), saving an allocation
 * and a copy per message.
 */
export function encodeTermTransient(term: Term, options?: EncodeOptions): Uint8Array {
  return encodeWith(term, options, false);
}

/**
 * For the tests that hold the fast path to the general encoder, not for the package (neither
 * index re-exports it): encodeTerm through root() alone.
 */
export function encodeTermGeneral(term: Term): Uint8Array {
  return encodeWith(term, undefined, true, false);
}

function encodeWith(term: Term, options: EncodeOptions | undefined, copy: boolean, tryFast = true): Uint8Array {
  const reserve = options?.reserve ?? 0;
  if (!Number.isInteger(reserve) || reserve < 0 || reserve > MAX_RESERVE) {
    throw bad(`reserve must be an integer from 0 to ${MAX_RESERVE}`, { actual: reserve });
  }
  // A getter inside a record could call us back: then use a private buffer.
  const reentrant = busy;
  const enc = reentrant ? new Encoder(INITIAL_BUFFER_BYTES) : (shared ??= new Encoder(INITIAL_BUFFER_BYTES));
  busy = true;
  try {
    enc.pos = 0;
    enc.ensure(reserve + 1);
    enc.buf.fill(0, 0, reserve);
    enc.pos = reserve;
    enc.buf[enc.pos++] = VERSION;
    const start = enc.pos;
    if (!tryFast || !enc.fast(term, 0)) {
      enc.pos = start;
      enc.root(term);
    }
    return copy ? enc.buf.slice(0, enc.pos) : enc.buf.subarray(0, enc.pos);
  } catch (e) {
    enc.stack.length = 0; // drop what an error left behind
    enc.depths.length = 0;
    if (e instanceof ChanError) throw e;
    if (e instanceof RangeError) {
      // Stack exhausted before the depth limit, or an allocation too large.
      throw new ChanError('badArgument', `encodeTerm: ${e.message}`, { cause: e });
    }
    throw e;
  } finally {
    if (!reentrant) {
      busy = false;
      if (enc.buf.length > KEEP_BUFFER_BYTES) shared = null;
    }
  }
}
