import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isChanError, type ChanError } from '../../src/errors.ts';
import { fromHex, toHex } from '../../src/wire/bytes.ts';
import { decodeTerm } from '../../src/wire/etf/decode.ts';
import { encodeTerm } from '../../src/wire/etf/encode.ts';
import { BitBinary, ErlFloat, ImproperList, Opaque, Tuple, atom, improperList, mapEntries, termEqual, tuple, type Term } from '../../src/wire/etf/term.ts';

const hex = (t: Term): string => toHex(encodeTerm(t));

function assertBadArgument(f: () => unknown, what: string): ChanError {
  try {
    f();
  } catch (e) {
    assert.ok(isChanError(e, 'badArgument'), `${what}: expected ChanError badArgument, got ${String(e)}`);
    return e;
  }
  assert.fail(`${what}: expected a badArgument error`);
}

// Bytes from /work/shared/lib_chan/trace-name-server.txt (OTP 25.2.3 on the wire, S1 and S29).
const TRACE: [Term, string][] = [
  [tuple(atom('startService'), atom('nameServer'), []), '83680364000c73746172745365727669636564000a6e616d655365727665726a'],
  [tuple(atom('lookup'), atom('joe')), '8368026400066c6f6f6b75706400036a6f65'],
  [tuple(atom('ok'), 'writing a book'), '8368026400026f6b6b000e77726974696e67206120626f6f6b'],
  [tuple(atom('store'), atom('joe'), 'writing a book'), '83680364000573746f72656400036a6f656b000e77726974696e67206120626f6f6b'],
  [tuple(atom('challenge'), 'itmwsagrwkrbnregmemhqczww'), '8368026400096368616c6c656e67656b001969746d7773616772776b72626e7265676d656d6871637a7777'],
  [
    tuple(atom('response'), 'ebc5d1f0c0fe1314c48019e2749fae53'),
    '836802640008726573706f6e73656b00206562633564316630633066653133313463343830313965323734396661653533',
  ],
  [atom('ack'), '8364000361636b'],
  [undefined, '83640009756e646566696e6564'],
  [atom('authFail'), '83640008617574684661696c'],
  [atom('badService'), '8364000a62616453657276696365'],
  [
    tuple(atom('startService'), atom('probe'), tuple(atom('client'), atom('args'))),
    '83680364000c73746172745365727669636564000570726f62656802640006636c69656e7464000461726773',
  ],
  // S29 zoo
  [tuple(atom('sérvice'), atom('サービス'), atom('ok')), '83680364000773e97276696365770ce382b5e383bce38393e382b96400026f6b'],
  [0, '836100'],
  [255, '8361ff'],
  [256, '836200000100'],
  [-1, '8362ffffffff'],
  [2147483647, '83627fffffff'],
  [2147483648, '836e040000000080'],
  [-2147483649, '836e040101000080'],
  [2n ** 70n, '836e0900000000000000000040'],
  [3.5, '8346400c000000000000'],
  [new Uint8Array([1, 2, 3]), '836d00000003010203'],
  [new BitBinary(new Uint8Array([0x20]), 3), '834d000000010320'],
  ['abc', '836b0003616263'],
  [[1000, 2000], '836c0000000262000003e862000007d06a'],
  [improperList([1], 2), '836c0000000161016102'],
  [[], '836a'],
  ['', '836a'],
  [tuple(), '836800'],
  [
    new Map<Term, Term>([
      [atom('a'), 1],
      ['k', [atom('v')]],
    ]),
    '8374000000026400016161016b00016b6c00000001640001766a',
  ],
  [{ a: 1, k: [atom('v')] }, '8374000000026400016161016400016b6c00000001640001766a'],
  [tuple(atom('echo'), atom('fun')), '8368026400046563686f64000366756e'],
];

test('etf encode - exact bytes of the original lib_chan trace (OTP 25)', () => {
  for (const [term, bytes] of TRACE) assert.equal(hex(term), bytes);
});

test('etf encode - integers take the smallest form, number or bigint alike', () => {
  const cases: [number | bigint, string][] = [
    [0, '836100'],
    [255, '8361ff'],
    [256, '836200000100'],
    [-1, '8362ffffffff'],
    [-2147483648, '836280000000'],
    [2147483648, '836e040000000080'],
    [-2147483648 - 1, '836e040101000080'],
    [Number.MAX_SAFE_INTEGER, '836e0700ffffffffffff1f'],
    [-Number.MAX_SAFE_INTEGER, '836e0701ffffffffffff1f'],
    [2 ** 53, '836e070000000000000020'],
    [2n ** 64n, '836e09000000000000000000' + '01'],
    [-(2n ** 64n), '836e09010000000000000000' + '01'],
  ];
  for (const [v, bytes] of cases) assert.equal(hex(v), bytes, `value ${v}`);
  // bigint and number give the same bytes for the same value
  for (const v of [0, 5, 255, 256, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 40, -(2 ** 52), Number.MAX_SAFE_INTEGER]) {
    assert.equal(hex(BigInt(v)), hex(v), `bigint ${v}`);
  }
  // an integral double beyond 2^53 is still an integer
  assert.equal(hex(1e20), hex(100000000000000000000n));
  // 255 magnitude bytes is the last SMALL_BIG_EXT, 256 the first LARGE_BIG_EXT
  const small = encodeTerm(2n ** 2040n - 1n);
  assert.deepEqual([small[1], small[2], small[3]], [110, 255, 0]);
  assert.equal(small.length, 1 + 3 + 255);
  const large = encodeTerm(-(2n ** 2040n));
  assert.deepEqual(Array.from(large.subarray(1, 7)), [111, 0, 0, 1, 0, 1]);
  assert.equal(large.length, 1 + 6 + 256);
  assert.equal(large[large.length - 1], 1);
});

test('etf encode - floats: NEW_FLOAT_EXT for non-integral numbers, -0 and ErlFloat; NaN and Infinity refused', () => {
  assert.equal(hex(3.5), '8346400c000000000000');
  assert.equal(hex(-0), '83468000000000000000');
  assert.equal(hex(new ErlFloat(3)), '83464008000000000000');
  assert.equal(hex(new ErlFloat(0)), '83460000000000000000');
  assert.equal(hex(3), '836103'); // a plain integral number is an integer
  for (const v of [NaN, Infinity, -Infinity]) {
    assertBadArgument(() => encodeTerm(v), String(v));
    assertBadArgument(() => encodeTerm(new ErlFloat(v)), `ErlFloat(${v})`);
    assertBadArgument(() => encodeTerm([1, tuple(v)]), `nested ${v}`);
  }
});

test('etf encode - atoms: ATOM_EXT when Latin-1 (as OTP 25), UTF-8 forms otherwise, at most 255 characters', () => {
  assert.equal(hex(atom('sérvice')), '83640007' + '73e97276696365');
  assert.equal(hex(atom('')), '83640000');
  assert.equal(hex(atom('サービス')), '83770c' + 'e382b5e383bce38393e382b9');
  assert.equal(hex(atom('\u{1F600}')), '837704f09f9880');
  assert.equal(hex(true), '8364000474727565');
  assert.equal(hex(false), '8364000566616c7365');
  assert.equal(hex(null as unknown as Term), '836400046e756c6c');
  const latin = encodeTerm(atom('\u00ff'.repeat(255)));
  assert.deepEqual(Array.from(latin.subarray(0, 4)), [131, 100, 0, 255]);
  const utf8 = encodeTerm(atom('\u30b5'.repeat(255)));
  assert.deepEqual(Array.from(utf8.subarray(0, 4)), [131, 118, 765 >> 8, 765 & 0xff]);
  assert.equal(utf8.length, 4 + 765);
  assert.equal(encodeTerm(atom('\u{1F600}'.repeat(255))).length, 4 + 1020); // 255 characters, 510 UTF-16 units
  const e = assertBadArgument(() => encodeTerm(atom('a'.repeat(256))), '256 chars');
  assert.equal(e.details.limit, 255);
  assertBadArgument(() => encodeTerm(atom('\u30b5'.repeat(256))), '256 unicode chars');
  assertBadArgument(() => encodeTerm(atom('a\ud800b')), 'lone surrogate');
  assertBadArgument(() => encodeTerm(atom('\udc00')), 'lone low surrogate');
  assertBadArgument(() => encodeTerm({ ['k'.repeat(300)]: 1 }), 'record key too long');
});

test('etf encode - strings: NIL, STRING_EXT up to 65535 Latin-1 chars, else a list of code points', () => {
  assert.equal(hex(''), '836a');
  assert.equal(hex('\u00e9\u00ff\u0000'), '836b0003e9ff00');
  const max = encodeTerm('a'.repeat(65535));
  assert.deepEqual(Array.from(max.subarray(0, 4)), [131, 107, 255, 255]);
  const over = encodeTerm('a'.repeat(65536));
  assert.deepEqual(Array.from(over.subarray(0, 6)), [131, 108, 0, 1, 0, 0]);
  assert.equal(over.length, 1 + 5 + 2 * 65536 + 1);
  assert.equal(hex('サ'), '836c0000000162000030b56a');
  // a code point beyond the BMP is one element, not two surrogates
  assert.equal(hex('\u{1F600}a'), '836c000000026200' + '01f600' + '61616a');
  // a lone surrogate is just an integer in an Erlang list
  assert.equal(hex('\ud800'), '836c000000016200' + '00d8006a');
});

test('etf encode - lists, improper lists and tuples', () => {
  assert.equal(hex([atom('a')]), '836c00000001' + '64000161' + '6a');
  assert.equal(hex([[]]), '836c000000016a6a');
  assert.equal(hex(improperList([atom('a'), atom('b')], atom('c'))), '836c00000002640001616400016264000163');
  // no elements: the list is its tail
  assert.equal(hex(new ImproperList([], 7)), '836107');
  const t255 = encodeTerm(new Tuple(Array.from({ length: 255 }, () => 0)));
  assert.deepEqual(Array.from(t255.subarray(0, 3)), [131, 104, 255]);
  const t256 = encodeTerm(new Tuple(Array.from({ length: 256 }, () => 0)));
  assert.deepEqual(Array.from(t256.subarray(0, 6)), [131, 105, 0, 0, 1, 0]);
  // holes in a sparse array are undefined
  assert.equal(hex(new Array(1) as Term[]), '836c00000001' + '640009756e646566696e6564' + '6a');
});

test('etf encode - binaries, bitstrings, maps, records and opaque terms', () => {
  assert.equal(hex(new Uint8Array()), '836d00000000');
  assert.equal(hex(Buffer.from([9, 8])), '836d000000020908');
  // unused low bits of the last byte are written as zero
  assert.equal(hex(new BitBinary(new Uint8Array([0xff, 0xff]), 3)), '834d0000000203ffe0');
  assert.equal(hex(new BitBinary(new Uint8Array([1, 2]), 8)), '836d000000020102');
  for (const bad of [
    new BitBinary(new Uint8Array([1]), 0),
    new BitBinary(new Uint8Array([1]), 9),
    new BitBinary(new Uint8Array(), 3),
    new BitBinary(new Uint8Array([1]), 2.5),
  ]) {
    assertBadArgument(() => encodeTerm(bad), `BitBinary bits ${bad.bits}`);
  }
  assert.equal(hex(new Map()), '837400000000');
  assert.equal(hex({}), '837400000000');
  assert.equal(hex(Object.assign(Object.create(null), { x: 1 })), '8374000000016400017861' + '01');
  const pid = fromHex('5864000d6e6f6e6f6465406e6f686f7374000000090000000000000000');
  assert.equal(hex(new Opaque(88, pid)), `83${toHex(pid)}`);
  assertBadArgument(() => encodeTerm(new Opaque(88, new Uint8Array([97, 1]))), 'opaque with wrong tag byte');
  assertBadArgument(() => encodeTerm(new Opaque(97, new Uint8Array([97, 1]))), 'opaque with a non-opaque tag');
});

test('etf encode - values outside the model are badArgument', () => {
  class Point {
    x = 1;
  }
  const outside: unknown[] = [
    () => 1,
    Symbol('s'),
    new Date(0),
    new Point(),
    new Int16Array(2),
    new ArrayBuffer(2),
    new DataView(new ArrayBuffer(1)),
    /re/,
    new Set([1]),
    Promise.resolve(),
  ];
  for (const v of outside) {
    assertBadArgument(() => encodeTerm(v as Term), String(v));
    assertBadArgument(() => encodeTerm(tuple(atom('wrapped'), [v as Term])), `nested ${String(v)}`);
    assertBadArgument(() => encodeTerm({ k: v as Term }), `record value ${String(v)}`);
  }
});

test('etf encode - nesting up to 10000 levels works; deeper and cyclic terms are badArgument', () => {
  const makers: ((x: Term) => Term)[] = [(x) => [x], (x) => tuple(x), (x) => new Map([[1, x]]), (x) => ({ k: x }), (x) => improperList([x], 1)];
  for (const make of makers) {
    let t: Term = 1;
    for (let i = 0; i < 10_000; i++) t = make(t);
    const bytes = encodeTerm(t);
    // (termEqual is recursive, so compare by re-encoding)
    assert.equal(toHex(encodeTerm(decodeTerm(bytes, { maxDepth: 10_000 }))), toHex(bytes));
    const e = assertBadArgument(() => encodeTerm(make(t)), 'depth 10001');
    assert.equal(e.details.limit, 10_000);
  }
  const cyclic: Term[] = [];
  cyclic.push(cyclic);
  assertBadArgument(() => encodeTerm(cyclic), 'cycle');
  const rec: Record<string, Term> = {};
  rec.self = rec;
  assertBadArgument(() => encodeTerm(rec), 'cyclic record');
  // the encoder recovers: the next call works
  assert.equal(hex(atom('ok')), '836400026f6b');
});

test('etf encode - reserve leaves zero bytes in front; results are fresh arrays', () => {
  const t = tuple(atom('lookup'), atom('joe'));
  const framed = encodeTerm(t, { reserve: 4 });
  assert.equal(toHex(framed), `00000000${hex(t)}`);
  framed.fill(0xee, 0, 4);
  const again = encodeTerm(t, { reserve: 4 });
  assert.equal(toHex(again.subarray(0, 4)), '00000000', 'reserved bytes are zeroed even when the buffer is reused');
  const first = encodeTerm(atom('first'));
  encodeTerm(atom('second'));
  assert.equal(toHex(first), '8364000566697273' + '74');
  assert.notEqual(first.buffer, encodeTerm(atom('first')).buffer);
  for (const bad of [-1, 1.5, 1025, NaN]) assertBadArgument(() => encodeTerm(1, { reserve: bad }), `reserve ${bad}`);
  // a big term does not leave a big buffer behind, and the next term is still right
  assert.equal(encodeTerm(new Uint8Array(3 * 1024 * 1024)).length, 3 * 1024 * 1024 + 6);
  assert.equal(hex(atom('ok')), '836400026f6b');
});

test('etf encode - a getter that encodes while we encode gets its own buffer', () => {
  const inner = tuple(atom('inner'), 1);
  const rec = {
    get a(): Term {
      return encodeTerm(inner);
    },
  };
  const bytes = encodeTerm(tuple(atom('outer'), rec as unknown as Term, 'tail'));
  const back = decodeTerm(bytes) as Tuple;
  const entries = mapEntries(back.at(1));
  assert.ok(entries !== null && entries.length === 1);
  assert.ok(termEqual(entries[0][0], atom('a')));
  assert.equal(toHex(entries[0][1] as Uint8Array), hex(inner));
  assert.equal(back.at(2), 'tail');
});
