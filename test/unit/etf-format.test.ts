import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseTerm } from '../../src/conf/term-parser.ts';
import { fromHex } from '../../src/wire/bytes.ts';
import { decodeTerm } from '../../src/wire/etf/decode.ts';
import { encodeTerm } from '../../src/wire/etf/encode.ts';
import { base64, formatAtom, formatTerm, toJson } from '../../src/wire/etf/format.ts';
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

const opaque = (hex: string): Term => decodeTerm(fromHex(`83${hex}`));
const PID = '5864000d6e6f6e6f6465406e6f686f7374000000090000000000000000';
const REF = '5a000364000d6e6f6e6f6465406e6f686f737400000000000251 5fbf70000143d16f17'.replace(' ', '');
const PORT = '5964000d6e6f6e6f6465406e6f686f73740000000000000000';
const EXPORT = '716400056c697374736400036d61706102';
const FUN = '7000000049015e43c1b55ab37dd1d031ff32b14f204e00000000000000006400057072 6f62656100 6202f21e0d'.replace(/ /g, '') + PID;

test('format - Erlang syntax as ~p prints it', () => {
  const cases: [Term, string][] = [
    [tuple(atom('ok'), 'writing a book'), '{ok,"writing a book"}'],
    [tuple(atom('startService'), atom('nameServer'), []), '{startService,nameServer,[]}'],
    [
      new Map<Term, Term>([
        [atom('a'), 1],
        ['k', [atom('v')]],
      ]),
      '#{a => 1,"k" => [v]}',
    ],
    [{ a: 1 }, '#{a => 1}'],
    [new Map(), '#{}'],
    [improperList([1], 2), '[1|2]'],
    [improperList([atom('a'), atom('b')], atom('c')), '[a,b|c]'],
    [[1000, 2000], '[1000,2000]'],
    [[97, 98], '"ab"'], // a charlist, as Erlang prints it
    [[1, 2], '[1,2]'],
    ['', '[]'],
    [[], '[]'],
    ['\u0001', '[1]'],
    ['a\nb\t"q"\\', '"a\\nb\\t\\"q\\"\\\\"'],
    ['サ', '[12469]'],
    [new Uint8Array([1, 2, 3]), '<<1,2,3>>'],
    [new Uint8Array([104, 105]), '<<"hi">>'],
    [new Uint8Array(), '<<>>'],
    [new BitBinary(new Uint8Array([0x20]), 3), '<<1:3>>'],
    [new BitBinary(new Uint8Array([255, 0xe0]), 3), '<<255,7:3>>'],
    [tuple(), '{}'],
    [true, 'true'],
    [undefined, 'undefined'],
    [null as unknown as Term, 'null'],
    [-1, '-1'],
    [2n ** 70n, '1180591620717411303424'],
    [3.5, '3.5'],
    [new ErlFloat(3), '3.0'],
    [-0, '-0.0'],
    [1e-7, '1.0e-7'],
    [new ErlFloat(1e21), '1.0e+21'],
    [1.5e300, '1.5e+300'],
    [tuple(atom('sérvice'), atom('サービス'), atom('ok')), "{sérvice,'サービス',ok}"],
    [opaque(EXPORT), 'fun lists:map/2'],
    [opaque(PID), '#Pid<nonode@nohost.9.0>'],
    [opaque(PORT), '#Port<nonode@nohost.0>'],
    [opaque(REF), '#Ref<nonode@nohost.1137798935.3211788289.151903>'],
    [opaque(FUN), '#Fun<probe.0.49421837>'],
    [new Opaque(88, new Uint8Array([88, 1])), '#Opaque<88:5801>'],
  ];
  for (const [t, text] of cases) assert.equal(formatTerm(t), text);
  assert.equal(formatTerm('サービス', { unicode: true }), '"サービス"');
  assert.equal(formatTerm([0x30b5], { unicode: true }), '"サ"');
  assert.equal(formatTerm('\u0001', { unicode: true }), '[1]');
});

test('format - atoms are quoted exactly when Erlang needs it', () => {
  const bare = ['ok', 'a', 'nameServer', 'a_b@c1', 'sérvice', 'ßx', 'ÿ'];
  for (const name of bare) assert.equal(formatAtom(name), name);
  const quoted: [string, string][] = [
    ['', "''"],
    ['Quoted', "'Quoted'"],
    ['with space', "'with space'"],
    ['after', "'after'"],
    ['maybe', "'maybe'"],
    ['_x', "'_x'"],
    ['1a', "'1a'"],
    ["it's", "'it\\'s'"],
    ['back\\slash', "'back\\\\slash'"],
    ['サービス', "'サービス'"],
    ['a\u0000b', "'a\\x{0}b'"],
    ['\u007f\u0085', "'\\x{7F}\\x{85}'"],
    ['É', "'É'"],
    ['a÷', "'a÷'"],
  ];
  for (const [name, text] of quoted) assert.equal(formatAtom(name), text, name);
});

test('format - maxLength cuts long output; deep terms need no JS stack', () => {
  const long = Array.from({ length: 10_000 }, (_, i) => i);
  const cut = formatTerm(long, { maxLength: 50 });
  assert.ok(cut.length <= 53 && cut.endsWith('...'), cut);
  let deep: Term = 1;
  for (let i = 0; i < 20_000; i++) deep = i % 2 === 0 ? [deep] : tuple(deep);
  const text = formatTerm(deep);
  assert.equal(text.length, 20_001 + 20_000);
  const json = toJson(deep);
  assert.ok(Array.isArray(json));
});

test('toJson - the documented mapping', () => {
  const cases: [Term, unknown][] = [
    [atom('foo'), 'foo'],
    [true, true],
    [undefined, null],
    [null as unknown as Term, null],
    [42, 42],
    [2n ** 64n, '18446744073709551616'],
    [3.5, 3.5],
    [new ErlFloat(3), 3],
    ['text', 'text'],
    ['', ''],
    [
      [1, 2],
      [1, 2],
    ],
    [tuple(atom('port'), 1234), ['port', 1234]],
    [improperList([1], 2), { $improper: [1], $tail: 2 }],
    [new Uint8Array([104, 105]), 'hi'],
    [new Uint8Array([0xff]), { $binary: '/w==' }],
    [new BitBinary(new Uint8Array([0x20]), 3), { $bitstring: 'IA==', $bits: 3 }],
    [
      new Map<Term, Term>([
        [atom('a'), 1],
        ['b', [atom('c')]],
        [new Uint8Array([100]), 2],
      ]),
      { a: 1, b: ['c'], d: 2 },
    ],
    [{ x: { y: 1 } }, { x: { y: 1 } }],
    [new Map<Term, Term>([[1, atom('one')]]), { $map: [[1, 'one']] }],
    [
      new Map<Term, Term>([
        [atom('a'), 1],
        ['a', 2],
      ]),
      {
        $map: [
          ['a', 1],
          ['a', 2],
        ],
      },
    ],
    [opaque(PID), { $opaque: 'pid', $bytes: base64(fromHex(PID)) }],
    [opaque(EXPORT), { $opaque: 'export', $bytes: base64(fromHex(EXPORT)) }],
  ];
  for (const [t, json] of cases) {
    // compare through JSON, which ignores the null prototypes
    assert.equal(JSON.stringify(toJson(t)), JSON.stringify(json), formatTerm(t));
  }
  // key order is the map's order
  assert.equal(
    JSON.stringify(
      toJson(
        new Map<Term, Term>([
          [atom('z'), 1],
          [atom('a'), 2],
        ]),
      ),
    ),
    '{"z":1,"a":2}',
  );
});

test('toJson - a "__proto__" key is an own property of a null-prototype object', () => {
  const before = Object.getOwnPropertyNames(Object.prototype).sort();
  const m = decodeTerm(
    encodeTerm(
      new Map<Term, Term>([
        ['__proto__', { polluted: true }],
        [atom('constructor'), 1],
      ]),
    ),
  );
  const json = toJson(m) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(json), null);
  assert.ok(Object.hasOwn(json, '__proto__'));
  assert.equal(JSON.stringify(json), '{"__proto__":{"polluted":true},"constructor":1}');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), before);
});

test('base64 - matches the standard alphabet and padding', () => {
  for (let n = 0; n < 40; n++) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
    assert.equal(base64(bytes), Buffer.from(bytes).toString('base64'));
  }
});

// ---- formatTerm output reads back with the conf parser (src/conf), to an Erlang-equal term

/** The form decodeTerm gives for OTP's encoding of the same Erlang term (charlists of bytes -> strings, ...). */
function canon(t: Term): Term {
  if (typeof t === 'string') return t === '' ? [] : canon(Array.from(t, (c) => c.codePointAt(0) as number));
  if (typeof t === 'bigint') return t >= -BigInt(Number.MAX_SAFE_INTEGER) && t <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(t) : t;
  if (Array.isArray(t)) {
    const xs = t.map(canon);
    const bytes = xs.length > 0 && xs.length <= 65535 && xs.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 255);
    return bytes ? String.fromCharCode(...(xs as number[])) : xs;
  }
  if (t instanceof Tuple) return new Tuple(t.elements.map(canon));
  if (t instanceof ImproperList) return new ImproperList(t.elements.map(canon), canon(t.tail));
  if (t instanceof Atom) return t.name === 'true' ? true : t.name === 'false' ? false : t.name === 'undefined' ? undefined : t;
  const entries = t instanceof Uint8Array ? null : mapEntries(t);
  if (entries !== null) return new Map(entries.map(([k, v]) => [canon(k), canon(v)]));
  return t;
}

const NOT_SURROGATE = fc.integer({ min: 0, max: 0x10ffff }).filter((c) => c < 0xd800 || c > 0xdfff);
const text = fc
  .oneof(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 12 }), fc.array(NOT_SURROGATE, { maxLength: 6 }))
  .map((cps) => String.fromCodePoint(...cps));
const leaf: fc.Arbitrary<Term> = fc.oneof(
  fc.integer(),
  fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((v): Term => (Number.isInteger(v) && !Object.is(v, -0) ? new ErlFloat(v) : v)),
  text.map((s) => new Atom(s)),
  fc.constantFrom<Term>(true, false, undefined),
  text,
  fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 6 }),
  fc.uint8Array({ maxLength: 12 }),
);
const { term: printable } = fc.letrec<{ term: Term }>((tie) => ({
  term: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('term'), { maxLength: 4 }),
    fc.array(tie('term'), { maxLength: 4 }).map((xs) => new Tuple(xs)),
    fc
      .tuple(
        fc.array(tie('term'), { minLength: 1, maxLength: 3 }),
        fc.oneof(
          fc.integer(),
          text.map((s) => new Atom(s)),
        ),
      )
      .map(([xs, tail]) => new ImproperList(xs, tail)),
    fc.uniqueArray(fc.tuple(leaf, tie('term')), { maxLength: 4, selector: ([k]) => formatTerm(canon(k)) }).map((e) => new Map(e)),
  ),
}));

test('format property - formatTerm output reads back (src/conf parser) as an Erlang-equal term', () => {
  fc.assert(
    fc.property(printable, (t) => {
      const printed = formatTerm(t);
      const back = parseTerm(printed);
      assert.ok(termEqual(canon(back), canon(t)), `${printed} read back as ${formatTerm(back)}`);
    }),
    { numRuns: 500, seed: 2026 },
  );
});

test('format property - formatTerm and toJson are total on decoded terms', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 48 }), (bytes) => {
      let t: Term;
      try {
        t = decodeTerm(Uint8Array.from([131, ...bytes]));
      } catch {
        return;
      }
      assert.equal(typeof formatTerm(t), 'string');
      JSON.stringify(toJson(t));
    }),
    { numRuns: 500, seed: 9 },
  );
});
