/**
 * Fuzz targets shared by the bounded fuzz tests (test/fuzz/*.test.ts, a few
 * seconds inside `npm test`) and the long run (`npm run fuzz`, long.ts).
 *
 * Each target is a fast-check arbitrary of cases plus a check that throws on
 * a violation. They add to the decoder properties of the unit tests
 * (test/unit/etf-decode.test.ts: arbitrary and mutated bytes; frame.test.ts:
 * splits of one stream; conf-parser/conf-load: random and mutated text):
 *
 * - frames: random streams, limits and splits against a reference decoder;
 * - terms: limits are exact (decodes at the limit, badTerm naming the limit's
 *   key one below), decoded terms never exceed them whatever the bytes,
 *   compressed terms and zip bombs, and time per input;
 * - conf: generated conf files (valid and invalid pieces) through the whole
 *   loader, and pathological texts: only badConf, never a hang;
 * - live: a server fed recorded client traffic (legacy and secure), mutated
 *   (bytes, lengths, splits, drops, duplicates, foreign frames), blind or
 *   behind a real login (so the channel and record parsers are reached too).
 */
import net from 'node:net';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { ChanError, isChanError } from '../../src/errors.ts';
import { FRAME_INITIAL_BUFFER_BYTES, FrameDecoder, encodeFrame } from '../../src/wire/frame.ts';
import { decodeTerm, type DecodeOptions } from '../../src/wire/etf/decode.ts';
import { encodeTerm } from '../../src/wire/etf/encode.ts';
import { Atom, ImproperList, Tuple, atom, isAtom, isTuple, termEqual, tuple, type Term } from '../../src/wire/etf/term.ts';
import { formatTerm, toJson } from '../../src/wire/etf/format.ts';
import { parseConfig } from '../../src/conf/load.ts';
import { connect } from '../../src/client/node.ts';
import { legacyResponse } from '../../src/auth/legacy.ts';
import { nodeProvider } from '../../src/auth/crypto-node.ts';
import { clientAuth, clientOnReply, clientOnResult, clientStart } from '../../src/auth/secure/handshake.ts';
import { RECORD_KIND, encodeRecord, recordLayer } from '../../src/auth/secure/record.ts';
import { HANDLERS, startTestServer, type LogLine, type TestServer } from '../helpers/start-server.ts';

/** Time any single decode or parse may take before it counts as a hang. */
export const HANG_MS = 2000;

/** CPU time of this process in ms: unlike the wall clock, not counting time other processes had the CPU. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Runs f; its CPU time (not the wall clock, which other processes on a shared machine stretch) must stay under HANG_MS. */
function timed<T>(what: string, f: () => T): T {
  const t0 = cpuMs();
  const out = f();
  const ms = cpuMs() - t0;
  if (ms > HANG_MS) throw new Error(`${what} took ${ms.toFixed(0)} ms of CPU (hang threshold ${HANG_MS} ms)`);
  return out;
}

// ------------------------------------------------------------------ frames

export interface FrameCase {
  limit: number;
  frames: number[];
  cuts: number[];
  seed: number;
}

export const frameCase: fc.Arbitrary<FrameCase> = fc.record({
  limit: fc.integer({ min: 64, max: 300 }),
  // Mostly small frames, sometimes one past any limit (up to 2^32-1 announced).
  frames: fc.array(fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: 200 }) }, { weight: 1, arbitrary: fc.integer({ min: 301, max: 0xffffffff }) }), {
    maxLength: 12,
  }),
  cuts: fc.array(fc.nat(), { maxLength: 12 }),
  seed: fc.nat(),
});

/** Feed the case's stream in pieces; the decoder must agree with a reference reading. */
export function checkFrameCase(c: FrameCase): void {
  // Build the stream: frames longer than 4 KiB only announce their length (the decoder must refuse them first).
  const parts: Uint8Array[] = [];
  for (let i = 0; i < c.frames.length; i++) {
    const n = c.frames[i];
    if (n > 4096) {
      const head = new Uint8Array(4);
      new DataView(head.buffer).setUint32(0, n);
      parts.push(head, new Uint8Array(16).fill(0xee));
      break;
    }
    parts.push(encodeFrame(Uint8Array.from({ length: n }, (_, j) => (c.seed + i * 31 + j) & 0xff)));
  }
  const stream = Buffer.concat(parts);
  // Reference: frames in order up to the first length over the limit.
  const expected: Uint8Array[] = [];
  let oversize: number | undefined;
  for (let off = 0; off + 4 <= stream.length;) {
    const len = stream.readUInt32BE(off);
    if (len > c.limit) {
      oversize = len;
      break;
    }
    if (off + 4 + len > stream.length) break;
    expected.push(stream.subarray(off + 4, off + 4 + len));
    off += 4 + len;
  }
  const points = [...new Set(c.cuts.map((x) => x % (stream.length + 1)))].sort((a, b) => a - b);
  const d = new FrameDecoder(c.limit);
  const got: Uint8Array[] = [];
  let thrown: unknown;
  let prev = 0;
  for (const p of [...points, stream.length]) {
    try {
      for (const f of d.push(stream.subarray(prev, p))) got.push(f.slice());
    } catch (e) {
      thrown = e;
      break;
    }
    if (d.bufferedBytes >= c.limit + 4) throw new Error(`decoder holds ${d.bufferedBytes} bytes, more than one frame of the limit ${c.limit}`);
    prev = p;
  }
  if (oversize === undefined) {
    if (thrown !== undefined) throw new Error(`unexpected error ${String(thrown)}`);
    if (got.length !== expected.length || got.some((f, i) => Buffer.compare(f, expected[i]) !== 0)) throw new Error('frames differ from the reference');
    return;
  }
  if (!isChanError(thrown, 'frameTooLarge')) throw new Error(`an oversized frame (${oversize}) was not refused with frameTooLarge: ${String(thrown)}`);
  if (thrown.details.key !== 'maxFrameBytes' || thrown.details.actual !== oversize || thrown.details.limit !== c.limit) {
    throw new Error(`frameTooLarge details ${JSON.stringify(thrown.details)}`);
  }
  if (got.length > expected.length || got.some((f, i) => Buffer.compare(f, expected[i]) !== 0))
    throw new Error('frames before the refusal differ from the reference');
}

// ------------------------------------------------------------------ terms

/** Nesting depth as the decoder counts it: non-empty lists, tuples, maps, improper lists. */
export function termDepth(t: Term): number {
  if (t instanceof Tuple) return 1 + Math.max(0, ...t.elements.map(termDepth));
  if (Array.isArray(t)) return t.length === 0 ? 0 : 1 + Math.max(0, ...t.map(termDepth));
  if (t instanceof ImproperList) return 1 + Math.max(termDepth(t.tail), ...t.elements.map(termDepth));
  if (t instanceof Map) return 1 + Math.max(0, ...[...t].flatMap(([k, v]) => [termDepth(k), termDepth(v)]));
  return 0;
}

/** Atoms visible in a decoded term (booleans and undefined are atoms on the wire). */
export function termAtoms(t: Term): number {
  if (t instanceof Atom || t === true || t === false || t === undefined) return 1;
  if (t instanceof Tuple) return t.elements.reduce((n: number, x) => n + termAtoms(x), 0);
  if (Array.isArray(t)) return t.reduce((n: number, x) => n + termAtoms(x), 0);
  if (t instanceof ImproperList) return termAtoms(t.tail) + t.elements.reduce((n: number, x) => n + termAtoms(x), 0);
  if (t instanceof Map) return [...t].reduce((n, [k, v]) => n + termAtoms(k) + termAtoms(v), 0);
  return 0;
}

/** Terms whose depth and atom count are exactly what termDepth/termAtoms say (no charlists, no booleans). */
const { shaped } = fc.letrec<{ shaped: Term }>((tie) => ({
  shaped: fc.oneof(
    { depthSize: 'medium', maxDepth: 12 },
    fc.integer({ min: 256, max: 1_000_000 }),
    fc.stringMatching(/^[a-z]{1,6}$/).map((s): Term => atom(s)),
    fc.uint8Array({ maxLength: 4 }),
    fc.array(tie('shaped'), { maxLength: 4 }).map((xs): Term => new Tuple(xs)),
    fc.array(tie('shaped'), { minLength: 1, maxLength: 4 }),
    fc
      .uniqueArray(fc.tuple(fc.stringMatching(/^k[a-z]{0,4}$/), tie('shaped')), { maxLength: 3, selector: ([k]) => k })
      .map((kvs): Term => new Map(kvs.map(([k, v]) => [atom(k), v] as [Term, Term]))),
  ),
}));

export interface TermLimitCase {
  term: Term;
  which: 'depth' | 'atoms';
}

export const termLimitCase: fc.Arbitrary<TermLimitCase> = fc.record({ term: shaped, which: fc.constantFrom('depth' as const, 'atoms' as const) });

/** A limit is exact: the term decodes at its own depth/atom count and is badTerm (naming the key) one below. */
export function checkTermLimitCase(c: TermLimitCase): void {
  const bytes = encodeTerm(c.term);
  const n = c.which === 'depth' ? termDepth(c.term) : termAtoms(c.term);
  const opt = (v: number): DecodeOptions => (c.which === 'depth' ? { maxDepth: v } : { maxAtoms: v, maxDepth: 10_000 });
  if (n >= 1) {
    const back = timed('decodeTerm', () => decodeTerm(bytes, opt(n)));
    if (!termEqual(back, c.term)) throw new Error(`${formatTerm(c.term)} decoded as ${formatTerm(back)}`);
  }
  if (n >= 2) {
    try {
      decodeTerm(bytes, opt(n - 1));
    } catch (e) {
      const key = c.which === 'depth' ? 'maxTermDepth' : 'maxAtomsPerTerm';
      if (isChanError(e, 'badTerm') && e.details.key === key && e.details.limit === n - 1) return;
      throw new Error(`${formatTerm(c.term)} with ${key}=${n - 1}: ${String(e)} ${JSON.stringify((e as ChanError).details)}`);
    }
    throw new Error(`${formatTerm(c.term)} (${c.which} ${n}) decoded with the limit at ${n - 1}`);
  }
}

/** Byte streams built to push the limits: repeated containers, atoms, huge counts, compressed bodies. */
const hostileToken: fc.Arbitrary<number[]> = fc.oneof<fc.Arbitrary<number[]>[]>(
  fc.constant<number[]>([104, 1]), // SMALL_TUPLE_EXT arity 1: nests
  fc.constant<number[]>([108, 0, 0, 0, 2]), // LIST_EXT of 2
  fc.constant<number[]>([116, 0, 0, 0, 1]), // MAP_EXT of 1
  fc.constant<number[]>([119, 1, 97]), // SMALL_ATOM_UTF8_EXT "a"
  fc.constant<number[]>([100, 0, 1, 98]), // ATOM_EXT "b"
  fc.constant<number[]>([106]), // NIL_EXT
  fc.constant<number[]>([97, 7]), // SMALL_INTEGER_EXT
  fc.constant<number[]>([108, 0xff, 0xff, 0xff, 0xff]), // LIST_EXT claiming 4G elements
  fc.constant<number[]>([109, 0x7f, 0xff, 0xff, 0xff]), // BINARY_EXT claiming 2G bytes
  fc.constant<number[]>([111, 0xff, 0xff, 0xff, 0x00]), // LARGE_BIG_EXT claiming 4G digits
  fc.constant<number[]>([107, 0xff, 0xff]), // STRING_EXT claiming 64K
  fc.uint8Array({ maxLength: 3 }).map((b) => [...b]),
);

export interface HostileCase {
  tokens: number[][];
  repeat: number;
  compress: boolean;
  maxDepth: number;
  maxAtoms: number;
  maxDecompressedBytes: number;
}

export const hostileTermCase: fc.Arbitrary<HostileCase> = fc.record({
  tokens: fc.array(hostileToken, { minLength: 1, maxLength: 8 }),
  repeat: fc.integer({ min: 1, max: 2000 }),
  compress: fc.boolean(),
  maxDepth: fc.integer({ min: 1, max: 200 }),
  maxAtoms: fc.integer({ min: 1, max: 500 }),
  maxDecompressedBytes: fc.integer({ min: 0, max: 1 << 16 }),
});

/** Whatever the bytes: a term within the limits, or badTerm; fast. */
export function checkHostileTermCase(c: HostileCase): void {
  const body = c.tokens.flat();
  const times = Math.max(1, Math.min(c.repeat, Math.ceil((64 * 1024) / Math.max(1, body.length))));
  const inner = new Uint8Array(body.length * times);
  for (let i = 0; i < times; i++) inner.set(body, i * body.length);
  let bytes: Uint8Array;
  if (c.compress) {
    const z = deflateSync(inner);
    bytes = new Uint8Array(6 + z.length);
    bytes[0] = 131;
    bytes[1] = 80;
    new DataView(bytes.buffer).setUint32(2, inner.length);
    bytes.set(z, 6);
  } else {
    bytes = new Uint8Array(1 + inner.length);
    bytes[0] = 131;
    bytes.set(inner, 1);
  }
  const opts = { maxDepth: c.maxDepth, maxAtoms: c.maxAtoms, maxDecompressedBytes: c.maxDecompressedBytes };
  let t: Term;
  try {
    t = timed('decodeTerm', () => decodeTerm(bytes, opts));
  } catch (e) {
    if (isChanError(e, 'badTerm')) return;
    throw new Error(`decodeTerm threw ${String(e)} (not badTerm)`);
  }
  if (termDepth(t) > c.maxDepth) throw new Error(`decoded depth ${termDepth(t)} over maxDepth ${c.maxDepth}`);
  if (termAtoms(t) > c.maxAtoms) throw new Error(`decoded ${termAtoms(t)} atoms, over maxAtoms ${c.maxAtoms}`);
}

// ------------------------------------------------------ algorithmic complexity

/**
 * The inputs of issue 10 that cost more than their bytes before it was
 * mended: map keys nested `depth` deep around `size` bytes (compared with a
 * flat term of the same size, decoded at the same moment), integers around
 * and far past maxIntegerBytes (decoded, then printed by formatTerm and
 * toJson), and frames dribbled in pieces of a few bytes (the reassembly must
 * hold no more than the frame plus a bounded overhead, at every step).
 */
export type ComplexityCase =
  | { kind: 'nestedKeys'; size: number; depth: number; listKey: boolean; dupAt: number }
  | { kind: 'bigInt'; bytes: number; limit: number }
  | { kind: 'dribble'; frames: number[]; pieces: number[] };

export const complexityCase: fc.Arbitrary<ComplexityCase> = fc.oneof(
  fc.record({
    kind: fc.constant('nestedKeys' as const),
    size: fc.integer({ min: 1, max: 65_535 }),
    depth: fc.integer({ min: 1, max: 62 }),
    listKey: fc.boolean(),
    dupAt: fc.integer({ min: -1, max: 62 }),
  }),
  fc.record({
    kind: fc.constant('bigInt' as const),
    bytes: fc.oneof(fc.integer({ min: 1, max: 2048 }), fc.integer({ min: 2048, max: 8 * 1024 * 1024 })),
    limit: fc.integer({ min: 8, max: 2048 }),
  }),
  fc.record({
    kind: fc.constant('dribble' as const),
    frames: fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 3 }),
    pieces: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 16 }),
  }),
);

function u32be(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/** A growable byte buffer for building big inputs fast. */
class Bytes {
  buf = new Uint8Array(1024);
  n = 0;
  push(...xs: number[]): void {
    this.room(xs.length);
    for (const x of xs) this.buf[this.n++] = x;
  }
  text(len: number, list: boolean): void {
    this.room(list ? 5 + 2 * len + 1 : 3 + len);
    if (list) this.push(108, ...u32be(len));
    else this.push(107, len >>> 8, len & 0xff);
    for (let i = 0; i < len; i++) {
      if (list) this.buf[this.n++] = 97;
      this.buf[this.n++] = 0x61 + (i % 26);
    }
    if (list) this.buf[this.n++] = 106;
  }
  room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const b = new Uint8Array(Math.max(2 * this.buf.length, this.n + k));
    b.set(this.buf.subarray(0, this.n));
    this.buf = b;
  }
  get bytes(): Uint8Array {
    return this.buf.subarray(0, this.n);
  }
}

/**
 * `depth` single-key maps nested as keys around `size` bytes of text (a
 * STRING_EXT, or the same text as a list); at level `dupAt` the map has a
 * second key equal to the first but written in the other form (badTerm).
 */
function nestedKeyBytes(size: number, depth: number, listKey: boolean, dupAt: number): Uint8Array {
  const out = new Bytes();
  out.push(131);
  for (let i = 0; i < depth; i++) out.push(116, ...u32be(i === dupAt ? 2 : 1));
  const text = Math.min(size, 65_535);
  out.text(text, listKey);
  for (let i = depth - 1; i >= 0; i--) {
    out.push(97, 1);
    if (i === dupAt) {
      for (let j = i + 1; j < depth; j++) out.push(116, ...u32be(1));
      out.text(text, !listKey);
      for (let j = i + 1; j < depth; j++) out.push(97, 1);
      out.push(97, 2);
    }
  }
  return out.bytes;
}

/** Least CPU time of `runs` calls of f, in ms (the first may pay for compiling). */
function bestMs(f: () => unknown, runs = 3): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = cpuMs();
    try {
      f();
    } catch {
      // timed either way
    }
    best = Math.min(best, cpuMs() - t);
  }
  return best;
}

export function checkComplexityCase(c: ComplexityCase): void {
  switch (c.kind) {
    case 'nestedKeys': {
      const nested = nestedKeyBytes(c.size, c.depth, c.listKey, c.dupAt);
      // The baseline: the same bytes of text, as a list (the costlier form), unnested.
      const flat = nestedKeyBytes(nested.length / 2, 0, true, -1);
      const dup = c.dupAt >= 0 && c.dupAt < c.depth;
      try {
        timed('decodeTerm', () => decodeTerm(nested));
        if (dup) throw new Error(`a duplicate key at level ${c.dupAt} of ${c.depth} was not found`);
      } catch (e) {
        if (!isChanError(e, 'badTerm')) throw e;
        if (!dup) throw new Error(`badTerm for a valid nested map: ${e.message}`);
      }
      const tNested = bestMs(() => decodeTerm(nested));
      const tFlat = bestMs(() => decodeTerm(flat));
      if (tNested > 40 * tFlat + 25)
        throw new Error(`nested keys (${nested.length} bytes, depth ${c.depth}) took ${tNested.toFixed(1)} ms of CPU, a flat term ${tFlat.toFixed(1)} ms`);
      return;
    }
    case 'bigInt': {
      const bytes = new Uint8Array(7 + c.bytes);
      bytes.set([131, 111, ...u32be(c.bytes), 0]);
      bytes.fill(0xa5, 7);
      let t: Term;
      try {
        t = timed('decodeTerm', () => decodeTerm(bytes, { maxIntegerBytes: c.limit }));
      } catch (e) {
        if (isChanError(e, 'badTerm') && e.details.key === 'maxIntegerBytes' && c.bytes > c.limit) return;
        throw new Error(`integer of ${c.bytes} bytes under maxIntegerBytes ${c.limit}: ${String(e)}`);
      }
      if (c.bytes > c.limit) throw new Error(`integer of ${c.bytes} bytes decoded past maxIntegerBytes ${c.limit}`);
      timed('formatTerm', () => formatTerm(t));
      timed('toJson', () => toJson(t));
      return;
    }
    case 'dribble': {
      const d = new FrameDecoder(1 << 20);
      const stream = Buffer.concat(c.frames.map((n) => encodeFrame(new Uint8Array(n).fill(n & 0xff))));
      const got: number[] = [];
      let pos = 0;
      let k = 0;
      while (pos < stream.length) {
        // mostly tiny pieces, sometimes a big one, so every reassembly path is taken
        const n = k % 50 === 49 ? 65_536 : c.pieces[k % c.pieces.length];
        k++;
        const piece = stream.subarray(pos, Math.min(stream.length, pos + n));
        pos += piece.length;
        for (const f of d.push(piece)) got.push(f.length);
        // at most twice what has arrived of the frame (or the first allocation), never past the frame
        const bound = Math.max(FRAME_INITIAL_BUFFER_BYTES, 2 * d.bufferedBytes) + 4;
        if (d.heldBytes > bound) throw new Error(`reassembly holds ${d.heldBytes} bytes after ${d.bufferedBytes} bytes of the frame (bound ${bound})`);
        if (d.heldBytes > Math.max(...c.frames) + 4) throw new Error(`reassembly holds ${d.heldBytes} bytes, more than the largest frame`);
      }
      if (got.join() !== c.frames.join()) throw new Error(`frames ${got.join()} != ${c.frames.join()}`);
      return;
    }
  }
}

export interface CompressedCase {
  term: Term;
  zeros: number;
  delta: number;
  max: number;
  level: number;
}

export const compressedCase: fc.Arbitrary<CompressedCase> = fc.record({
  term: shaped,
  // A zip bomb: many zeros inside a binary compress to almost nothing.
  zeros: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 4 * 1024 * 1024 })),
  delta: fc.oneof(
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: -64, max: 64 }) },
    { weight: 1, arbitrary: fc.integer({ min: -0xffff, max: 0xffffff }) },
  ),
  max: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1 << 20 }), fc.constant(8 * 1024 * 1024)),
  level: fc.integer({ min: 0, max: 9 }),
});

/** Compressed terms: decoded exactly when the declared size is true and within the limit, else badTerm; bombs fail fast. */
export function checkCompressedCase(c: CompressedCase): void {
  const term = c.zeros > 0 ? tuple(c.term, new Uint8Array(c.zeros)) : c.term;
  const inner = encodeTerm(term).subarray(1);
  const declared = Math.max(0, Math.min(0xffffffff, inner.length + c.delta));
  const z = deflateSync(inner, { level: c.level });
  const bytes = new Uint8Array(6 + z.length);
  bytes[0] = 131;
  bytes[1] = 80;
  new DataView(bytes.buffer).setUint32(2, declared);
  bytes.set(z, 6);
  let t: Term | undefined;
  let err: unknown;
  try {
    t = timed('decodeTerm (compressed)', () => decodeTerm(bytes, { maxDecompressedBytes: c.max, maxDepth: 10_000, maxAtoms: 100_000 }));
  } catch (e) {
    err = e;
  }
  const shouldWork = declared === inner.length && declared <= c.max && c.max > 0 && declared > 0;
  if (shouldWork) {
    if (err !== undefined) throw new Error(`a true, allowed declared size (${declared} <= ${c.max}) failed: ${String(err)}`);
    if (!termEqual(t!, term)) throw new Error('the compressed term came back different');
    return;
  }
  if (!isChanError(err, 'badTerm'))
    throw new Error(`declared ${declared}, actual ${inner.length}, max ${c.max}: expected badTerm, got ${err === undefined ? 'a term' : String(err)}`);
  if ((declared > c.max || c.max === 0) && err.details.key !== 'maxDecompressedBytes') {
    throw new Error(`over maxDecompressedBytes but the error names ${String(err.details.key)}`);
  }
}

// ------------------------------------------------------------------ conf

const confValue = (valid: string[], invalid: string[]): fc.Arbitrary<string> =>
  fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...valid) }, { weight: 1, arbitrary: fc.constantFrom(...invalid) });

const limitNames = [
  'maxFrameBytes',
  'handshakeTimeoutMs',
  'idleTimeoutMs',
  'maxConnections',
  'maxTermDepth',
  'maxQueuedBytes',
  'closeGraceMs',
  'maxLoginFailures',
];
const limitEntry = fc
  .tuple(
    confValue(limitNames, ['nosuchLimit', '"maxFrameBytes"', '42', '{maxTermDepth}']),
    confValue(['100', '1000', '65536', '5000', '0', '1'], ['-1', '99999999999999999999', '1.5', 'infinity', '"10"', '[]', '1e400']),
  )
  .map(([k, v]) => `{${k}, ${v}}`);
const limitsList = fc.array(limitEntry, { maxLength: 4 }).map((xs) => `[${xs.join(', ')}]`);

const serviceOption = fc.oneof(
  confValue(
    [
      '{auth, [password]}',
      '{auth, [password, key, legacy]}',
      '{auth, [key]}',
      '{legacy, allow}',
      '{legacy, deny}',
      '{isolation, inline}',
      '{on_invalid, drop}',
    ],
    [
      '{auth, []}',
      '{auth, [magic]}',
      '{legacy, sometimes}',
      '{isolation, fork}',
      '{client_keys, ["lcck1:nope"]}',
      '{schema, "/nonexistent.json"}',
      '{unknown_option, 1}',
      '{auth}',
    ],
  ),
  limitsList.map((l) => `{limits, ${l}}`),
);

const serviceTerm = fc
  .record({
    name: confValue(['echo1', 'echo2', 'svc', 'nameServer'], ['"quoted"', '42', '{x}', "'with space'"]),
    pw: confValue(['"pw"', 'none', '{scrypt, "scrypt$bad"}', '""'], ['42', '{scrypt}', '[1,2]', `"${'x'.repeat(300)}"`, 'password']),
    mod: confValue(['echo', 'ops'], ['no_such_module', '"echo"', '42']),
    fn: confValue(['start', 'ignore', 'counter', 'callback'], ['no_such_fn', '"start"']),
    argsS: confValue(['notUsed', '"x"', '{a, [1, 2]}', '#{k => v}', '<<1,2,3>>'], ['[1|2|3]', '{']),
    options: fc.option(fc.array(serviceOption, { maxLength: 3 }), { freq: 2 }),
    word: confValue(['password'], ['passwd', 'pw']),
    mfa: confValue(['mfa'], ['mf', 'fun']),
  })
  .map((s) => `{service, ${s.name}, ${s.word}, ${s.pw}, ${s.mfa}, ${s.mod}, ${s.fn}, ${s.argsS}${s.options ? `, [${s.options.join(', ')}]` : ''}}`);

const topTerm = fc.oneof(
  { weight: 2, arbitrary: confValue(['{port, 0}', '{port, 1234}'], ['{port, 70000}', '{port, -1}', '{port, "1234"}', '{port}', '{port, 1, 2}']) },
  {
    weight: 1,
    arbitrary: confValue(['{bind, "127.0.0.1"}', '{bind, "0.0.0.0"}', '{bind, "::1"}'], ['{bind, localhost}', '{bind, ""}', '{bind, "999.1.1.1"}']),
  },
  { weight: 1, arbitrary: confValue(['{legacy, loopback}', '{legacy, allow}'], ['{legacy, yes}']) },
  { weight: 1, arbitrary: confValue(['{log_level, info}', '{log_level, debug}'], ['{log_level, chatty}', '{log_level, "info"}']) },
  { weight: 1, arbitrary: limitsList.map((l) => `{limits, ${l}}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(`{module_path, ["${HANDLERS}"]}`, `{module_path, "${HANDLERS}"}`, '{module_path, [42]}', '{module_path, ["/nonexistent"]}'),
  },
  { weight: 4, arbitrary: serviceTerm },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{what, is, this}',
      'atom',
      '"string"',
      '[]',
      '{}',
      '#{}',
      '<<>>',
      '{service}',
      '{identity, 42}',
      '{websocket, [{port, 0}]}',
      '{metrics, [{port, -5}]}',
    ),
  },
);

export interface ConfCase {
  terms: string[];
  sep: string[];
  tail: string;
  /** Start with {port, 0} (most confs that fail should fail for a subtler reason than a missing port). */
  port: boolean;
}

export const confCase: fc.Arbitrary<ConfCase> = fc.record({
  terms: fc.array(topTerm, { maxLength: 8 }),
  sep: fc.array(
    fc.oneof(
      { weight: 30, arbitrary: fc.constantFrom('.\n', '.\n\n', '. % comment\n', ' .\t\n', '.%\n') },
      { weight: 1, arbitrary: fc.constantFrom('.', ',\n', '\n') },
    ),
    { minLength: 8, maxLength: 8 },
  ),
  tail: fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom('', '\n', '% trailing comment') },
    { weight: 1, arbitrary: fc.constantFrom('{', '"', "'", '<<', '#{', '.', '\u0000', '\ud800') },
  ),
  port: fc.boolean(),
});

export function confText(c: ConfCase): string {
  const head = (c.port ? '{port, 0}.\n' : '') + (c.terms.some((t) => t.startsWith('{module_path')) ? '' : `{module_path, ["${HANDLERS}"]}.\n`);
  return head + c.terms.map((t, i) => t + c.sep[i % c.sep.length]).join('') + c.tail;
}

/** Pathological texts (nesting, length, numbers, encodings) the generator does not reach. */
export const PATHOLOGICAL_CONFS: string[] = [
  `{port, ${'['.repeat(100_000)}`,
  `{port, ${'{'.repeat(50_000)}1${'}'.repeat(50_000)}}.`,
  `{limits, [{maxFrameBytes, ${'9'.repeat(200_000)}}]}.`,
  `{service, ${'a'.repeat(300)}, password, none, mfa, echo, start, notUsed}.`,
  `{service, s, password, "${'x'.repeat(900_000)}", mfa, echo, start, notUsed}.`,
  `"${'\\'.repeat(100_001)}`,
  `${'% comment\n'.repeat(50_000)}{port, 0}.`,
  `${'{port, 0}.\n'.repeat(20_000)}`,
  `{port, 0}.\n${'{service, s, password, none, mfa, echo, start, notUsed}.\n'.repeat(2_000)}`,
  `{port, 2#${'1'.repeat(10_000)}}.`,
  `{port, 36#${'z'.repeat(10_000)}}.`,
  `{port, 1.${'0'.repeat(10_000)}e${'9'.repeat(400)}}.`,
  `{port, $}.`,
  `{port, 0}.\u0000\u0001\u0002`,
  `\ufeff{port, 0}.`,
  `{bind, "\ud800"}.`,
  `{port, ${'-'.repeat(10_000)}1}.`,
  `<<${'1,'.repeat(100_000)}1>>.`,
  `#{${Array.from({ length: 5000 }, (_, i) => `k${i} => ${i}`).join(', ')}}.`,
  `{port, 0}.\n{port, 0}.`,
  '',
];

/** Parse and check a conf text: it loads, or fails with badConf; never anything else, never a hang. */
export async function checkConfText(text: string, file = path.join(HANDLERS, 'fuzz.conf')): Promise<'ok' | 'badConf'> {
  const t0 = performance.now();
  let result: 'ok' | 'badConf';
  try {
    await parseConfig(text, file);
    result = 'ok';
  } catch (e) {
    if (!(e instanceof ChanError) || e.code !== 'badConf')
      throw new Error(`parseConfig threw ${e instanceof Error ? e.stack : String(e)} for:\n${text.slice(0, 400)}`);
    result = 'badConf';
  }
  const ms = performance.now() - t0;
  if (ms > HANG_MS) throw new Error(`parseConfig took ${ms.toFixed(0)} ms for:\n${text.slice(0, 200)}`);
  return result;
}

// ------------------------------------------------------------------ live server

export const LIVE_SERVICES = `
{service, echo, password, "pw", mfa, echo, start, notUsed}.
{service, open, password, none, mfa, echo, start, notUsed}.
{service, counter, password, none, mfa, ops, counter, notUsed}.
`;

/** Short timers so every fuzz connection is closed by the server, quickly; no lock-outs (every input may log in). */
export const LIVE_LIMITS =
  '{limits, [{handshakeTimeoutMs, 300}, {idleTimeoutMs, 150}, {maxLoginFailures, 1000000}, {maxServiceLoginFailures, 10000000}, {maxFrameBytes, 65536}, {maxConnectionsPerAddress, 1000}]}.';

interface Recording {
  protocol: 'legacy' | 'secure';
  service: string;
  password: string | null;
  /** Client-to-server frames, as a real client sent them. */
  frames: Uint8Array[];
  /** What the client sent after the login, as terms (secure logins re-seal them). */
  after: { kind: 'call' | 'cast' | 'close'; term?: Term }[];
}

const SESSION_MESSAGES: Recording['after'] = [
  { kind: 'call', term: tuple(atom('hello'), 1) },
  { kind: 'cast', term: [1, 2, 3, atom('x')] },
  { kind: 'call', term: tuple(atom('inc'), 'k') },
  { kind: 'call', term: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) },
  { kind: 'close' },
];

export type MutationOp =
  | { t: 'flip'; f: number; at: number; bit: number }
  | { t: 'set'; f: number; at: number; v: number }
  | { t: 'truncate'; f: number; at: number }
  | { t: 'append'; f: number; bytes: Uint8Array }
  | { t: 'drop'; f: number }
  | { t: 'dup'; f: number }
  | { t: 'swap'; f: number; g: number }
  | { t: 'insert'; f: number; bytes: Uint8Array }
  | { t: 'lie'; f: number; delta: number }
  | { t: 'foreign'; f: number; s: number; g: number };

export interface LivePlan {
  mode: 'blind' | 'login' | 'random';
  session: number;
  ops: MutationOp[];
  cuts: number[];
  prefix: Uint8Array | null;
  random: Uint8Array;
  /** Stop writing after this many chunks (a peer that goes quiet mid-way). */
  stopAfter: number | null;
}

const mutationOp: fc.Arbitrary<MutationOp> = fc.oneof(
  fc.record({ t: fc.constant('flip' as const), f: fc.nat(), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ t: fc.constant('set' as const), f: fc.nat(), at: fc.nat(), v: fc.nat(255) }),
  fc.record({ t: fc.constant('truncate' as const), f: fc.nat(), at: fc.nat() }),
  fc.record({ t: fc.constant('append' as const), f: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ t: fc.constant('drop' as const), f: fc.nat() }),
  fc.record({ t: fc.constant('dup' as const), f: fc.nat() }),
  fc.record({ t: fc.constant('swap' as const), f: fc.nat(), g: fc.nat() }),
  fc.record({ t: fc.constant('insert' as const), f: fc.nat(), bytes: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({ t: fc.constant('lie' as const), f: fc.nat(), delta: fc.integer({ min: -8, max: 8 }).filter((d) => d !== 0) }),
  fc.record({ t: fc.constant('foreign' as const), f: fc.nat(), s: fc.nat(), g: fc.nat() }),
);

export const livePlan: fc.Arbitrary<LivePlan> = fc.record({
  mode: fc.oneof(
    { weight: 5, arbitrary: fc.constant('blind' as const) },
    { weight: 4, arbitrary: fc.constant('login' as const) },
    { weight: 1, arbitrary: fc.constant('random' as const) },
  ),
  session: fc.nat(),
  ops: fc.array(mutationOp, { maxLength: 4 }),
  cuts: fc.array(fc.nat(), { maxLength: 6 }),
  prefix: fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 24 }) }),
  random: fc.uint8Array({ maxLength: 200 }),
  stopAfter: fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat(4) }),
});

/** Apply mutations to a list of frame payloads; returns framed bytes (a 'lie' breaks a length prefix). */
export function mutateFrames(frames: Uint8Array[], ops: MutationOp[], foreign: Uint8Array[][]): Uint8Array {
  let fs: Uint8Array[] = frames.map((f) => Uint8Array.from(f));
  const lies = new Map<number, number>();
  const at = (i: number): number => (fs.length === 0 ? 0 : i % fs.length);
  for (const op of ops) {
    if (fs.length === 0 && op.t !== 'insert' && op.t !== 'foreign') continue;
    const i = at(op.f);
    switch (op.t) {
      case 'flip':
        if (fs[i].length > 0) fs[i][op.at % fs[i].length] ^= 1 << op.bit;
        break;
      case 'set':
        if (fs[i].length > 0) fs[i][op.at % fs[i].length] = op.v;
        break;
      case 'truncate':
        fs[i] = fs[i].subarray(0, op.at % (fs[i].length + 1));
        break;
      case 'append':
        fs[i] = Buffer.concat([fs[i], op.bytes]);
        break;
      case 'drop':
        fs.splice(i, 1);
        break;
      case 'dup':
        fs.splice(i, 0, Uint8Array.from(fs[i]));
        break;
      case 'swap': {
        const j = at(op.g);
        [fs[i], fs[j]] = [fs[j], fs[i]];
        break;
      }
      case 'insert':
        fs.splice(fs.length === 0 ? 0 : op.f % (fs.length + 1), 0, op.bytes);
        break;
      case 'lie':
        lies.set(i, op.delta);
        break;
      case 'foreign': {
        const src = foreign[op.s % foreign.length];
        if (src.length > 0) fs.splice(fs.length === 0 ? 0 : op.f % (fs.length + 1), 0, Uint8Array.from(src[op.g % src.length]));
        break;
      }
    }
  }
  fs = fs.map((f, i) => {
    const framed = encodeFrame(f);
    const d = lies.get(i);
    if (d !== undefined) new DataView(framed.buffer, framed.byteOffset).setUint32(0, Math.max(0, f.length + d));
    return framed;
  });
  return Buffer.concat(fs);
}

function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    if (p > prev) out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out;
}

/** A TCP client for one fuzz input: writes, reads frames, waits for the server to close. */
class FuzzSocket {
  private readonly decoder = new FrameDecoder(1 << 20);
  readonly frames: Uint8Array[] = [];
  private waiter: (() => void) | undefined;
  readonly closed: Promise<void>;
  isClosed = false;
  private constructor(readonly socket: net.Socket) {
    socket.on('error', () => {});
    socket.on('data', (b: Buffer) => {
      try {
        for (const f of this.decoder.push(b)) this.frames.push(f.slice());
      } catch {
        // the server sends valid frames; a failure here is reported by the caller's checks
      }
      this.waiter?.();
    });
    this.closed = new Promise((r) =>
      socket.once('close', () => {
        this.isClosed = true;
        this.waiter?.();
        r();
      }),
    );
  }

  static connect(port: number): Promise<FuzzSocket> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(new FuzzSocket(s)));
      s.once('error', reject);
    });
  }

  async frame(n: number, ms = 2000): Promise<Uint8Array | undefined> {
    const end = Date.now() + ms;
    while (this.frames.length <= n && !this.isClosed && Date.now() < end) {
      await new Promise<void>((r) => {
        this.waiter = r;
        setTimeout(r, Math.max(1, end - Date.now()));
      });
    }
    return this.frames[n];
  }

  async writeChunks(chunks: Uint8Array[], stopAfter: number | null): Promise<void> {
    for (let i = 0; i < chunks.length; i++) {
      if (this.isClosed || (stopAfter !== null && i >= stopAfter)) return;
      this.socket.write(chunks[i]);
      await new Promise((r) => setImmediate(r));
    }
  }
}

export interface LiveStats {
  inputs: number;
  /** The server's logged end of each connection: handshake result or channelClosed reason. */
  outcomes: Record<string, number>;
  /** Inputs that got past the login. */
  loggedIn: number;
  problems: string[];
}

/**
 * A live server (in this process) and recordings of real client sessions
 * through a recording proxy. `run(plan)` sends one mutated input and checks
 * that the server closed the connection by itself and logged why.
 */
export class LiveFuzzer {
  readonly stats: LiveStats = { inputs: 0, outcomes: {}, loggedIn: 0, problems: [] };
  private constructor(
    readonly ts: TestServer,
    readonly recordings: Recording[],
  ) {}

  static async start(): Promise<LiveFuzzer> {
    const ts = await startTestServer(LIVE_SERVICES, { extra: LIVE_LIMITS, websocket: false });
    try {
      return new LiveFuzzer(ts, await record(ts));
    } catch (e) {
      await ts.close();
      throw e;
    }
  }

  async close(): Promise<void> {
    await this.ts.close();
  }

  /** Run plans, `concurrency` at a time. */
  async runAll(plans: LivePlan[], concurrency = 32): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < plans.length) await this.run(plans[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, plans.length) }, worker));
    this.trimLogs();
  }

  async run(plan: LivePlan): Promise<void> {
    this.stats.inputs++;
    const rec = this.recordings[plan.session % this.recordings.length];
    const from = this.ts.logs.length;
    const sock = await FuzzSocket.connect(this.ts.port);
    const peer = `127.0.0.1:${sock.socket.localPort}`;
    sock.socket.resume();
    let loggedIn = false;
    try {
      if (plan.mode === 'random') {
        await sock.writeChunks(split(Buffer.concat([plan.prefix ?? new Uint8Array(0), plan.random]), plan.cuts), plan.stopAfter);
      } else if (plan.mode === 'blind' || rec.protocol === 'legacy') {
        let frames = rec.frames;
        if (plan.mode === 'login') {
          loggedIn = await legacyLogin(sock, rec);
          frames = rec.frames.slice(rec.password === null ? 1 : 2);
        }
        const bytes = mutateFrames(
          frames,
          plan.ops,
          this.recordings.map((r) => r.frames),
        );
        await sock.writeChunks(split(plan.prefix ? Buffer.concat([plan.prefix, bytes]) : bytes, plan.cuts), plan.stopAfter);
      } else {
        const sealer = await secureLogin(sock, rec, this.ts.server.publicKey!);
        loggedIn = sealer !== undefined;
        if (sealer) {
          // Mutate the record plaintexts, then seal them: the server's record and term parsers see the damage.
          const plains = rec.after.map((m, i) =>
            m.kind === 'close' ? encodeRecord(RECORD_KIND.close, 0, new Uint8Array(0)) : encodeRecord(RECORD_KIND[m.kind], i + 1, encodeTerm(m.term!)),
          );
          const mutated =
            plan.ops.length === 0
              ? plains
              : splitFrames(
                  mutateFrames(
                    plains,
                    plan.ops.filter((o) => o.t !== 'lie'),
                    [plains],
                  ),
                );
          const sealed = mutated.map((p) => sealer.seal(p));
          const lies = plan.ops.filter((o) => o.t === 'lie');
          const bytes = mutateFrames(sealed, lies, [sealed]);
          await sock.writeChunks(split(bytes, plan.cuts), plan.stopAfter);
        }
      }
      if (loggedIn) this.stats.loggedIn++;
      // The server must close every connection itself: handshakeTimeoutMs, idleTimeoutMs or an error.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const gaveUp = await Promise.race([sock.closed.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), 3000)))]);
      clearTimeout(timer);
      if (gaveUp) this.stats.problems.push(`server did not close ${peer} within 3 s (${describePlan(plan)})`);
    } finally {
      sock.socket.destroy();
    }
    const isEnd = (l: LogLine): boolean => l.peer === peer && ((l.event === 'handshake' && l.result !== 'ack') || l.event === 'channelClosed');
    const line = await this.endLine(from, isEnd, peer);
    if (!line) {
      this.stats.problems.push(`no log line for the end of ${peer} (${describePlan(plan)})`);
      return;
    }
    const outcome = `${String(line.event)}:${String(line.event === 'handshake' ? line.result : line.reason)}`;
    this.stats.outcomes[outcome] = (this.stats.outcomes[outcome] ?? 0) + 1;
  }

  /**
   * The first line at index `from` or later matching `isEnd`, now or within 3 s. (Scans only the
   * new lines: the log of a long run is large.)
   */
  private endLine(from: number, isEnd: (l: LogLine) => boolean, peer: string): Promise<LogLine | undefined> {
    const logs = this.ts.logs;
    for (let i = from; i < logs.length; i++) if (isEnd(logs[i])) return Promise.resolve(logs[i]);
    let armed = false;
    // waitForLog first searches the whole log, synchronously: `armed` keeps that search short.
    const p = this.ts.waitForLog((l) => armed && isEnd(l), `the end of ${peer}`, 3000).catch(() => undefined);
    armed = true;
    return p;
  }

  /** Forget old log lines between batches (a long run would otherwise keep them all). */
  trimLogs(keep = 5000): void {
    const logs = this.ts.logs;
    if (logs.length > keep * 2) logs.splice(0, logs.length - keep);
  }

  /** After the storm: a good client still gets answers, and no connection is left over. */
  async checkStillServes(): Promise<void> {
    for (const protocol of ['legacy', 'secure'] as const) {
      const ch = await connect('127.0.0.1', this.ts.port, 'echo', 'pw', [], { protocol, serverKey: this.ts.server.publicKey });
      const r = await ch.rpc(tuple(atom('still'), atom('here')));
      ch.close();
      if (!isTuple(r, 2, 'echo')) throw new Error(`the server answered ${formatTerm(r)}`);
    }
  }
}

function splitFrames(framed: Uint8Array): Uint8Array[] {
  const d = new FrameDecoder(1 << 24);
  return d.push(framed).map((f) => f.slice());
}

export function describePlan(p: LivePlan): string {
  return JSON.stringify(p, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
}

async function legacyLogin(sock: FuzzSocket, rec: Recording): Promise<boolean> {
  sock.socket.write(encodeFrame(rec.frames[0]));
  const first = await sock.frame(0);
  if (!first) return false;
  const t = decodeTerm(first);
  if (isAtom(t, 'ack')) return true;
  if (!isTuple(t, 2, 'challenge') || typeof t.at(1) !== 'string' || rec.password === null) return false;
  sock.socket.write(encodeFrame(encodeTerm(tuple(atom('response'), legacyResponse(t.at(1) as string, rec.password)))));
  const ack = await sock.frame(1);
  return ack !== undefined && isAtom(decodeTerm(ack), 'ack');
}

async function secureLogin(sock: FuzzSocket, rec: Recording, serverKey: Uint8Array) {
  const hello = clientStart({ provider: nodeProvider });
  sock.socket.write(encodeFrame(hello.out));
  const reply = await sock.frame(0);
  if (!reply) return undefined;
  const r = clientOnReply(hello.state, reply, { pinnedKey: serverKey });
  const a = clientAuth(r.state, {
    service: rec.service,
    method: rec.password === null ? 'none' : 'password',
    password: rec.password ?? undefined,
    argsC: encodeTerm([]),
  });
  sock.socket.write(encodeFrame(a.out));
  const result = await sock.frame(1);
  if (!result) return undefined;
  const res = clientOnResult(a.state, result);
  if (!res.session) return undefined;
  return recordLayer(res.session, nodeProvider).sealer;
}

/** Real client sessions through a recording proxy: what each client sent, frame by frame. */
async function record(ts: TestServer): Promise<Recording[]> {
  const captured: Uint8Array[][] = [];
  const proxy = net.createServer((down) => {
    const frames: Uint8Array[] = [];
    captured.push(frames);
    const d = new FrameDecoder(1 << 24);
    const up = net.connect({ port: ts.port, host: '127.0.0.1' });
    down.on('data', (b: Buffer) => {
      for (const f of d.push(b)) frames.push(f.slice());
      up.write(b);
    });
    up.on('data', (b) => down.write(b));
    const end = (): void => {
      down.destroy();
      up.destroy();
    };
    down.on('close', end);
    up.on('close', end);
    down.on('error', end);
    up.on('error', end);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const port = (proxy.address() as net.AddressInfo).port;
  const out: Recording[] = [];
  try {
    for (const [protocol, service, password] of [
      ['legacy', 'echo', 'pw'],
      ['secure', 'echo', 'pw'],
      ['legacy', 'open', null],
      ['secure', 'open', null],
      ['legacy', 'counter', null],
      ['secure', 'counter', null],
    ] as const) {
      const n = captured.length;
      const ch = await connect('127.0.0.1', port, service, password, [], { protocol, serverKey: ts.server.publicKey });
      for (const m of SESSION_MESSAGES) {
        if (m.kind === 'call') await ch.rpc(m.term!).catch(() => undefined);
        else if (m.kind === 'cast') ch.cast(m.term!);
      }
      ch.close();
      await ch.closed;
      await new Promise((r) => setTimeout(r, 20));
      out.push({ protocol, service, password, frames: captured[n], after: SESSION_MESSAGES });
    }
  } finally {
    proxy.close();
  }
  return out;
}
