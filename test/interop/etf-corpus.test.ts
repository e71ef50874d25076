/**
 * ETF interop against Erlang/OTP itself, in both directions, over one corpus that each side
 * builds on its own: hand-written edge cases (edgeCases() here, edge_cases() in
 * erl/etf_corpus.erl, case by case in the same order) plus terms from one shared xorshift32
 * generator and seed. One `erl` process does all of it (see etf_corpus.erl for the protocol):
 *
 * (a) our encodeTerm bytes -> erl binary_to_term, compared with erl's own term by =:= and by
 *     deterministic term_to_binary (which tells -0.0 from 0.0);
 * (b) erl term_to_binary bytes (default, [compressed], [{minor_version,2}]) -> decodeTerm,
 *     compared by termEqual with what our model says Erlang's term decodes to; the default
 *     encoding must also come back from encodeTerm byte for byte (as OTP 25 writes it);
 * (c) those re-encodings -> erl binary_to_term, compared again with =:=, including pids, refs,
 *     ports and funs that only erl can make.
 * Each direction carries one deliberately wrong record that must be reported, so a comparison
 * that always says "equal" fails the test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodeTerm } from '../../src/wire/etf/decode.ts';
import { encodeTerm } from '../../src/wire/etf/encode.ts';
import { formatTerm } from '../../src/wire/etf/format.ts';
import { OPAQUE_TAGS } from '../../src/wire/etf/tags.ts';
import {
  Atom,
  BitBinary,
  ErlFloat,
  ImproperList,
  Opaque,
  Tuple,
  atom,
  improperList,
  mapEntries,
  termEqual,
  tuple,
  type Term,
} from '../../src/wire/etf/term.ts';
import { ErlProcess, compileErl, requireErl, tempDir } from '../helpers/erl.ts';

const SEED = 20261122;
const GENERATED = 400;
const VARIANTS = ['default', 'compressed', 'minor_version 2'] as const;
/** Generous: a cold erl start is about 1 s, and the whole run takes a few seconds. */
const STEP_TIMEOUT_MS = 60_000;

// ---------------------------------------------------------------- the corpus, JS side

const a = atom;
const int = (...xs: number[]): Term[] => xs;
const repeat = (s: string, n: number): string => s.repeat(n);

/** Mirror of edge_cases() in etf_corpus.erl: same cases, same order. */
function edgeCases(): Term[] {
  return [
    // integers at each encoding boundary
    0,
    255,
    256,
    -1,
    2147483647,
    2147483648,
    -2147483648,
    -2147483649,
    Number.MAX_SAFE_INTEGER,
    2n ** 53n,
    2n ** 53n + 1n,
    -Number.MAX_SAFE_INTEGER,
    -(2n ** 53n),
    -(2n ** 53n + 1n),
    2n ** 64n - 1n,
    2n ** 64n,
    -(2n ** 64n),
    2n ** 255n,
    -(2n ** 255n),
    2n ** 2040n - 1n,
    2n ** 2040n,
    -(3n ** 5000n),
    // floats
    new ErlFloat(0),
    -0,
    3.5,
    new ErlFloat(1),
    new ErlFloat(1e300),
    5e-324,
    new ErlFloat(2 ** 53),
    new ErlFloat(1.7976931348623157e308),
    -2.5,
    0.1,
    // atoms
    a(''),
    a('ok'),
    a('sérvice'),
    a('サービス'),
    a(repeat('\u00ff', 255)),
    a(repeat('\u30b5', 255)),
    a('\u{1F600}'),
    a('with space'),
    a('Quoted'),
    true,
    false,
    undefined,
    null as unknown as Term,
    // strings and lists
    '',
    'abc',
    'writing a book',
    '\u00e9\u00ff',
    repeat('a', 65535),
    repeat('a', 65536),
    'サービス',
    '\u{1F600}a',
    '\u0000\u0001\u0002',
    [],
    [[]],
    int(1000, 2000),
    Array.from({ length: 70000 }, (_, i) => i % 1000),
    [a('a'), a('b'), a('c')],
    improperList([1], 2),
    improperList([a('a'), a('b')], a('c')),
    improperList([1], new Uint8Array()),
    improperList([1], new Map()),
    improperList([a('x')], tuple(a('y'))),
    // tuples
    tuple(),
    tuple(a('a')),
    new Tuple(Array.from({ length: 255 }, (_, i) => i + 1)),
    new Tuple(Array.from({ length: 256 }, (_, i) => i + 1)),
    tuple(tuple(tuple(tuple(a('deep'))))),
    // binaries and bitstrings
    new Uint8Array(),
    new Uint8Array([1, 2, 3]),
    Uint8Array.from({ length: 70000 }, (_, i) => (i * 7) % 256),
    new BitBinary(new Uint8Array([0x20]), 3),
    new BitBinary(new Uint8Array([255, 0xe0]), 3),
    new BitBinary(new Uint8Array([0x80]), 1),
    new BitBinary(new Uint8Array([0]), 7),
    // maps (a plain record is a map with atom keys)
    new Map(),
    { a: 1 },
    new Map<Term, Term>([['k', [a('v')]]]),
    new Map<Term, Term>([
      [1, a('a')],
      [new ErlFloat(2), a('b')],
      ['x', a('c')],
      [new Uint8Array([121]), a('d')],
      [tuple(a('z')), a('e')],
      [int(1, 2), a('f')],
      [{ a: 1 }, a('g')],
    ]),
    new Map<Term, Term>(Array.from({ length: 40 }, (_, i) => [i + 1, (i + 1) * (i + 1)])),
    { outer: { inner: { deep: int(1, 2, 3) } } },
    new Map<Term, Term>([
      ['__proto__', 1],
      [a('__proto__'), 2],
    ]),
    new Map<Term, Term>([[new ErlFloat(-0), a('neg')]]),
    // lib_chan messages
    tuple(a('ok'), 'writing a book'),
    tuple(a('startService'), a('nameServer'), []),
    tuple(a('lookup'), a('joe')),
  ];
}

/** Mirror of the xorshift32 generator in etf_corpus.erl. */
class Gen {
  constructor(private s: number) {}
  word(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  pick(n: number): number {
    return this.word() % n;
  }
  picks(k: number, n: number): number[] {
    return Array.from({ length: k }, () => this.pick(n));
  }
  static readonly ALPHABET = [0x61, 0x62, 0x7a, 0x5f, 0x40, 0x20, 0x27, 0x5c, 0, 10, 127, 233, 255, 256, 12469, 128512];
  chars(maxLen: number): string {
    const len = this.pick(maxLen);
    return String.fromCodePoint(...this.picks(len, Gen.ALPHABET.length).map((i) => Gen.ALPHABET[i]));
  }
  terms(k: number, depth: number): Term[] {
    return Array.from({ length: k }, () => this.term(depth));
  }
  term(depth: number): Term {
    return this.kind(this.pick(depth >= 3 ? 8 : 13), depth);
  }
  kind(k: number, depth: number): Term {
    switch (k) {
      case 0:
        return this.pick(256);
      case 1:
        return this.word() - 2147483648;
      case 2: {
        const sign = this.pick(2);
        const n = this.pick(30) + 5;
        const bytes = this.picks(n, 256);
        let v = 0n;
        for (let i = bytes.length - 1; i >= 0; i--) v = v * 256n + BigInt(bytes[i]);
        return sign === 1 ? -v : v;
      }
      case 3: {
        const hi = this.word();
        const lo = this.word();
        const view = new DataView(new ArrayBuffer(8));
        view.setUint32(0, (hi & 0xffefffff) >>> 0);
        view.setUint32(4, lo);
        const f = view.getFloat64(0);
        return Number.isInteger(f) && !Object.is(f, -0) ? new ErlFloat(f) : f;
      }
      case 4:
        return a(this.chars(9));
      case 5:
        return this.chars(12);
      case 6:
        return new Uint8Array(this.picks(this.pick(16), 256));
      case 7: {
        const n = this.pick(4);
        const bits = this.pick(7) + 1;
        const bytes = this.picks(n, 256);
        const last = this.pick(1 << bits);
        return new BitBinary(new Uint8Array([...bytes, last << (8 - bits)]), bits);
      }
      case 8:
        return new Tuple(this.terms(this.pick(5), depth + 1));
      case 9:
        return this.terms(this.pick(5), depth + 1);
      case 10: {
        const elements = this.terms(this.pick(3) + 1, depth + 1);
        const tail = this.kind([0, 1, 3, 4, 6][this.pick(5)], depth + 1);
        return new ImproperList(elements, tail);
      }
      case 11: {
        const kvs = this.terms(2 * this.pick(4), depth + 1);
        // maps:from_list: the last of equal keys wins, at the place of the first.
        const entries: [Term, Term][] = [];
        for (let i = 0; i < kvs.length; i += 2) {
          const at = entries.findIndex(([k]) => termEqual(canon(k), canon(kvs[i])));
          if (at >= 0) entries[at][1] = kvs[i + 1];
          else entries.push([kvs[i], kvs[i + 1]]);
        }
        return new Map(entries);
      }
      default:
        return [true, false, undefined, a('null')][this.pick(4)];
    }
  }
}

function generated(seed: number, count: number): Term[] {
  return new Gen(seed).terms(count, 0);
}

/**
 * What decodeTerm gives for OTP 25's term_to_binary of the Erlang term that `t` stands for
 * (written independently of decode.ts): lists of bytes become strings (STRING_EXT), safe
 * bigints become numbers, records become Maps, and so on.
 */
function canon(t: Term): Term {
  if (t === null) return a('null');
  switch (typeof t) {
    case 'number':
      return Number.isInteger(t) && !Number.isSafeInteger(t) ? BigInt(t) : t;
    case 'bigint':
      return t >= -BigInt(Number.MAX_SAFE_INTEGER) && t <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(t) : t;
    case 'string': {
      if (t === '') return [];
      const cps = Array.from(t, (c) => c.codePointAt(0) as number);
      return canon(cps);
    }
    case 'boolean':
    case 'undefined':
      return t;
    default:
      break;
  }
  if (t instanceof Atom) {
    return t.name === 'true' ? true : t.name === 'false' ? false : t.name === 'undefined' ? undefined : t;
  }
  if (t instanceof ErlFloat) return Number.isInteger(t.value) && !Object.is(t.value, -0) ? t : t.value;
  if (Array.isArray(t)) {
    const xs = t.map(canon);
    const bytes = xs.length > 0 && xs.length <= 65535 && xs.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 255);
    return bytes ? String.fromCharCode(...(xs as number[])) : xs;
  }
  if (t instanceof ImproperList) return new ImproperList(t.elements.map(canon), canon(t.tail));
  if (t instanceof Tuple) return new Tuple(t.elements.map(canon));
  if (t instanceof Uint8Array || t instanceof Opaque) return t;
  if (t instanceof BitBinary) {
    if (t.bits === 8) return t.bytes;
    const bytes = t.bytes.slice();
    bytes[bytes.length - 1] &= (0xff << (8 - t.bits)) & 0xff;
    return new BitBinary(bytes, t.bits);
  }
  const entries = mapEntries(t);
  assert.ok(entries !== null, `canon: not a term: ${String(t)}`);
  return new Map(
    entries.map(([k, v]) => {
      const ck = canon(k);
      return [typeof ck === 'number' && Object.is(ck, -0) ? new ErlFloat(-0) : ck, canon(v)];
    }),
  );
}

// ---------------------------------------------------------------- plumbing

function writeRecords(file: string, records: Uint8Array[]): void {
  let n = 0;
  for (const r of records) n += 4 + r.length;
  const out = new Uint8Array(n);
  const view = new DataView(out.buffer);
  let o = 0;
  for (const r of records) {
    view.setUint32(o, r.length);
    out.set(r, o + 4);
    o += 4 + r.length;
  }
  writeFileSync(file, out);
}

function readRecords(file: string): Uint8Array[] {
  const buf = new Uint8Array(readFileSync(file));
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Uint8Array[] = [];
  for (let o = 0; o < buf.length;) {
    const len = view.getUint32(o);
    out.push(buf.slice(o + 4, o + 4 + len));
    o += 4 + len;
  }
  return out;
}

/** Mismatch lines ("R1 17 differs") that erl printed for one round. */
function mismatches(erl: ErlProcess, round: 'R1' | 'R2'): string[] {
  return erl.lines.filter((l) => l.startsWith(`${round} `));
}

function short(t: Term): string {
  return formatTerm(t, { maxLength: 300 });
}

function countOpaque(t: Term, acc: Opaque[] = []): Opaque[] {
  if (t instanceof Opaque) acc.push(t);
  else if (t instanceof Tuple) for (const x of t.elements) countOpaque(x, acc);
  else if (Array.isArray(t)) for (const x of t) countOpaque(x, acc);
  else if (t instanceof Map) {
    for (const [k, v] of t) {
      countOpaque(k, acc);
      countOpaque(v, acc);
    }
  }
  return acc;
}

// ---------------------------------------------------------------- the test

test('ETF corpus: our codec and Erlang/OTP agree both ways', async (t) => {
  const tools = requireErl(t);
  if (tools === undefined) return;
  const codeDir = compileErl(tools, ['etf_corpus.erl']);
  const work = tempDir('lib-chan-etf-corpus-');

  const cases = [...edgeCases(), ...generated(SEED, GENERATED)];
  const expected = cases.map(canon);

  const ours = cases.map((c) => encodeTerm(c));

  // (a) our bytes, plus one wrong record for the sentinel {sentinel,1}.
  writeRecords(path.join(work, 'js1.bin'), [...ours, encodeTerm(tuple(a('sentinel'), 2))]);
  const erl = new ErlProcess(tools, codeDir, 'etf_corpus', 'main', [work, String(SEED), String(GENERATED)]);
  try {
    const casesLine = await erl.waitForLine(/^CASES (\d+)$/, STEP_TIMEOUT_MS);
    assert.equal(Number(casesLine[1]), cases.length, 'erl and the test must build corpora of the same size');
    const r1 = await erl.waitForLine(/^R1DONE (\d+)$/, STEP_TIMEOUT_MS);
    assert.equal(Number(r1[1]), cases.length + 1, erl.describe());
    const sentinel1 = `R1 ${cases.length + 1} differs`;
    const bad1 = mismatches(erl, 'R1');
    assert.ok(bad1.includes(sentinel1), `erl must report the deliberately wrong record: ${erl.describe()}`);
    assert.deepEqual(
      bad1.filter((l) => l !== sentinel1).map((l) => `${l}: ${short(cases[Number(l.split(' ')[1]) - 1])}`),
      [],
      'erl decodes every encodeTerm output to its own term',
    );

    // (b) erl's bytes through decodeTerm.
    const ready = await erl.waitForLine(/^READY2 (\d+) (\d+)$/, STEP_TIMEOUT_MS);
    const opaqueCases = Number(ready[2]);
    const records = readRecords(path.join(work, 'erl.bin'));
    assert.equal(records.length, Number(ready[1]));
    assert.equal(records.length, (cases.length + opaqueCases) * VARIANTS.length);

    const failures: string[] = [];
    const reencoded: Uint8Array[] = [];
    let compressedSeen = 0;
    let utf8AtomsSeen = 0;
    for (let r = 0; r < records.length; r++) {
      const i = Math.floor(r / VARIANTS.length);
      const variant = VARIANTS[r % VARIANTS.length];
      const bytes = records[r];
      if (bytes[1] === 80) compressedSeen++;
      if (variant === 'minor_version 2' && (bytes.includes(118) || bytes.includes(119))) utf8AtomsSeen++;
      let decoded: Term;
      try {
        decoded = decodeTerm(bytes, { maxDepth: 100 });
      } catch (e) {
        failures.push(`record ${r} (case ${i}, ${variant}): decodeTerm threw ${(e as Error).message}`);
        reencoded.push(new Uint8Array([131, 106]));
        continue;
      }
      const again = encodeTerm(decoded);
      reencoded.push(again);
      if (i < cases.length) {
        if (!termEqual(decoded, expected[i])) {
          failures.push(`case ${i} (${variant}): decoded ${short(decoded)}, expected ${short(expected[i])}`);
        }
      } else {
        const found = countOpaque(decoded);
        if (found.length === 0 || !found.every((o) => OPAQUE_TAGS.has(o.tag))) {
          failures.push(`opaque case ${i - cases.length} (${variant}): no pid/ref/port/fun found in ${short(decoded)}`);
        }
      }
      if (variant === 'default' && Buffer.compare(again, bytes) !== 0) {
        failures.push(`case ${i}: encodeTerm(decodeTerm(b)) differs from OTP 25's bytes for ${short(decoded)}`);
      }
    }
    assert.deepEqual(failures, [], 'decodeTerm agrees with term_to_binary');
    assert.ok(compressedSeen >= 5, `expected several really compressed records, saw ${compressedSeen}`);
    assert.ok(utf8AtomsSeen >= 10, `expected minor_version 2 atoms (118/119), saw ${utf8AtomsSeen}`);

    // The JS-side comparison can fail too: a wrong expectation is caught.
    assert.equal(termEqual(decodeTerm(records[0]), expected[1]), false);
    assert.equal(termEqual(decodeTerm(records[VARIANTS.length * 22]), canon(0)), false); // 0.0 vs 0
    assert.equal(termEqual(decodeTerm(records[VARIANTS.length * 23]), canon(new ErlFloat(0))), false); // -0.0 vs 0.0

    // (c) our re-encodings back to erl, plus one wrong record.
    writeRecords(path.join(work, 'js2.bin'), [...reencoded, encodeTerm(tuple(a('sentinel'), 2))]);
    erl.writeLine('go');
    const r2 = await erl.waitForLine(/^R2DONE (\d+)$/, STEP_TIMEOUT_MS);
    assert.equal(Number(r2[1]), records.length + 1, erl.describe());
    const sentinel2 = `R2 ${records.length + 1} differs`;
    const bad2 = mismatches(erl, 'R2');
    assert.ok(bad2.includes(sentinel2), `erl must report the deliberately wrong record: ${erl.describe()}`);
    assert.deepEqual(
      bad2.filter((l) => l !== sentinel2),
      [],
      'erl reads back every re-encoded term',
    );
    t.diagnostic(
      `${cases.length} cases (${edgeCases().length} edge, ${GENERATED} generated) + ${opaqueCases} opaque, ` +
        `${records.length} erl records (${compressedSeen} compressed), all agree both ways`,
    );
    const exit = await erl.exited;
    assert.equal(exit.code, 0, erl.describe());
  } finally {
    await erl.stop();
  }
});
