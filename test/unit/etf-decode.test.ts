import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { zlibSync } from 'fflate';
import { isChanError } from '../../src/errors.ts';
import { DEFAULT_LIMITS } from '../../src/limits.ts';
import { concatBytes, fromHex, toHex } from '../../src/wire/bytes.ts';
import { decodeReaders, decodeTerm, type DecodeOptions } from '../../src/wire/etf/decode.ts';
import { encodeTerm, encodeTermGeneral } from '../../src/wire/etf/encode.ts';
import { formatTerm } from '../../src/wire/etf/format.ts';
import { Atom, BitBinary, ErlFloat, ImproperList, Opaque, Tuple, atom, improperList, isAtom, termEqual, tuple, type Term } from '../../src/wire/etf/term.ts';

const h = (s: string): Uint8Array => fromHex(s.replace(/\s+/g, ''));
const latin1 = (s: string): string => toHex(Uint8Array.from(s, (c) => c.charCodeAt(0)));

/** Decode must fail with badTerm, an offset inside the input and a short hex excerpt. */
function assertBadTerm(bytes: Uint8Array, options?: DecodeOptions, offset?: number): Record<string, unknown> {
  try {
    const t = decodeTerm(bytes, options);
    assert.fail(`expected badTerm for ${toHex(bytes, 40)}, got ${formatTerm(t, { maxLength: 200 })}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    assert.ok(isChanError(e, 'badTerm'), `expected ChanError badTerm for ${toHex(bytes, 40)}, got ${String(e)}`);
    const at = e.details.offset;
    assert.ok(typeof at === 'number' && Number.isInteger(at) && at >= 0, `offset ${String(at)}`);
    if (e.details.inflated !== true) assert.ok(at <= bytes.length, `offset ${at} within ${bytes.length} bytes`);
    if (offset !== undefined) assert.equal(at, offset, e.message);
    assert.match(e.message, new RegExp(`offset ${at}\\b`));
    const excerpt = /\(bytes: ([0-9a-f]*)(\.\.\.)?\)$/.exec(e.message) ?? /\(bytes: <end>\)$/.exec(e.message);
    assert.ok(excerpt, `message ends with a hex excerpt: ${e.message}`);
    assert.ok((excerpt[1] ?? '').length <= 32, 'at most 16 bytes of hex');
    return e.details;
  }
}

/** Decodes, and encodes back to the same bytes. */
function roundTrips(hex: string, options?: DecodeOptions): Term {
  const bytes = h(hex);
  const t = decodeTerm(bytes, options);
  assert.equal(toHex(encodeTerm(t)), toHex(bytes), `re-encoding ${formatTerm(t)}`);
  return t;
}

// (hex of the term, Erlang's ~p text) from /work/shared/lib_chan/trace-name-server.txt
const TRACE: [string, string][] = [
  ['836a', '[]'],
  ['836100', '0'],
  ['8361ff', '255'],
  ['836800', '{}'],
  ['836200000100', '256'],
  ['8362ffffffff', '-1'],
  ['83627fffffff', '2147483647'],
  ['8364000361636b', 'ack'],
  ['836b0003616263', '"abc"'],
  ['836e040000000080', '2147483648'],
  ['836e040101000080', '-2147483649'],
  ['834d000000010320', '<<1:3>>'],
  ['836d00000003010203', '<<1,2,3>>'],
  ['8346400c000000000000', '3.5'],
  ['836c0000000161016102', '[1|2]'],
  ['83640008617574684661696c', 'authFail'],
  ['83640009756e646566696e6564', 'undefined'],
  ['836e0900000000000000000040', '1180591620717411303424'],
  ['8364000a62616453657276696365', 'badService'],
  ['836802640006707573686564 6102', '{pushed,2}'],
  ['83680264000465786974640004626f6f6d', '{exit,boom}'],
  ['836c0000000262000003e862000007d06a', '[1000,2000]'],
  ['8368026400066c6f6f6b75706400036a6f65', '{lookup,joe}'],
  ['8368026400066c6f6f6b75706400036a696d', '{lookup,jim}'],
  ['83716400056c697374736400036d61706102', 'fun lists:map/2'],
  ['8368026400026f6b6b000e77726974696e67206120626f6f6b', '{ok,"writing a book"}'],
  ['8374000000026400016161016b00016b6c00000001640001766a', '#{a => 1,"k" => [v]}'],
  ['83680364000c73746172745365727669636564000a6e616d655365727665726a', '{startService,nameServer,[]}'],
  ['83680364000c7374617274536572766963656b000a6e616d655365727665726a', '{startService,"nameServer",[]}'],
  ['83680364000773e97276696365770ce382b5e383bce38393e382b96400026f6b', "{sérvice,'サービス',ok}"],
  ['83680364000573746f72656400036a6f656b000e77726974696e67206120626f6f6b', '{store,joe,"writing a book"}'],
  ['8368026400096368616c6c656e67656b001969746d7773616772776b72626e7265676d656d6871637a7777', '{challenge,"itmwsagrwkrbnregmemhqczww"}'],
  [
    '836802640008726573706f6e73656d000000203038373037626430376463653765323136666539643536303332393339383562',
    '{response,<<"08707bd07dce7e216fe9d5603293985b">>}',
  ],
  ['83680364000c73746172745365727669636564000570726f62656802640006636c69656e7464000461726773', '{startService,probe,{client,args}}'],
];

test('etf decode - every term of the original lib_chan trace, printed as Erlang printed it, re-encoded byte for byte', () => {
  for (const [hex, text] of TRACE) {
    const t = roundTrips(hex);
    assert.equal(formatTerm(t), text);
  }
  assert.ok(termEqual(decodeTerm(h('8368026400026f6b6b000e77726974696e67206120626f6f6b')), tuple(atom('ok'), 'writing a book')));
});

test('etf decode - trace S18 (pids), S26 (compressed), S27 (trailing bytes), garbage', () => {
  const info = roundTrips(
    '836802640004696e666f6c00000006680264000473656c665864000a6368616e73727640766d000000aa000000006b032ccf68026400026d6d5864000a6368616e73727640766d000000a7000000006b032ccf6802640004617267636802640006636c69656e746400046172677368026400046172677368026400067365727665726400046172677368026400056c696e6b736c000000015864000a6368616e73727640766d000000a7000000006b032ccf6a6802640009747261705f6578697464000566616c73656a',
  );
  assert.match(formatTerm(info), /^\{info,\[\{self,#Pid<chansrv@vm\.170\.0>\},\{mm,#Pid<chansrv@vm\.167\.0>\}/);
  const compressed = h(
    '835000002731789cedc7b10980301000c0809d58b885033941300f8a982206e717d790bbeef6a1a4e9eeb9f535da736c51d258f315dfa29dcb9c000000000000000000e0075ef57e0b03',
  );
  const t = decodeTerm(compressed) as Tuple;
  assert.ok(isAtom(t.at(0), 'startService') && isAtom(t.at(1), 'nameServer'));
  // a list of 10000 zeros: a STRING_EXT inside, so a string of NULs here
  const zeros = t.at(2);
  assert.ok(typeof zeros === 'string' && zeros.length === 10_000 && /^\0+$/.test(zeros), 'a long list of zeros');
  assert.equal(encodeTerm(t).length, 1 + 0x2731);
  // S27: two terms in one frame; OTP ignores the second, we refuse it
  assertBadTerm(h('83680364000c7374617274536572766963656400066f70656e4e536a8368026400066c6f6f6b75706400036a6f65'), undefined, 28);
  assertBadTerm(h('010203'), undefined, 0);
});

test('etf decode - atoms: all four tags, true/false/undefined, Latin-1 and UTF-8, never interned', () => {
  for (const hex of ['836400026f6b', '8373026f6b', '837600026f6b', '8377026f6b']) {
    const a = roundTripsLoosely(hex);
    assert.ok(isAtom(a, 'ok'), hex);
  }
  // é as Latin-1 (100, 115) and as UTF-8 (118, 119): the same atom
  for (const hex of ['83640001e9', '837301e9', '83760002c3a9', '837702c3a9']) assert.ok(isAtom(decodeTerm(h(hex)), 'é'), hex);
  for (const [name, value] of [
    ['true', true],
    ['false', false],
    ['undefined', undefined],
  ] as const) {
    for (const tag of ['64', '73', '76', '77']) {
      const len = tag === '64' || tag === '76' ? `00${name.length.toString(16).padStart(2, '0')}` : name.length.toString(16).padStart(2, '0');
      assert.equal(decodeTerm(h(`83${tag}${len}${latin1(name)}`)), value, `${tag} ${name}`);
    }
  }
  // a BOM is part of the name, not stripped
  assert.equal((decodeTerm(h('837704efbbbf61')) as Atom).name, '\ufeffa');
  // two decodes give two objects: no global atom table
  assert.notEqual(decodeTerm(h('836400026f6b')), decodeTerm(h('836400026f6b')));
  // 255 characters are fine, 256 are not (bytes do not matter, characters do)
  assert.equal((decodeTerm(h(`836400ff${'61'.repeat(255)}`)) as Atom).name.length, 255);
  assertBadTerm(h(`83640100${'61'.repeat(256)}`), undefined, 1);
  assert.equal((decodeTerm(h(`837602fd${'e382b5'.repeat(255)}`)) as Atom).name.length, 255);
  assertBadTerm(h(`83760300${'e382b5'.repeat(256)}`), undefined, 1);
  assert.equal([...(decodeTerm(h(`837603fc${'f09f9880'.repeat(255)}`)) as Atom).name].length, 255);
  assertBadTerm(h(`837601fe${'61'.repeat(510)}`), undefined, 1);
});

function roundTripsLoosely(hex: string): Term {
  const t = decodeTerm(h(hex));
  assert.ok(termEqual(decodeTerm(encodeTerm(t)), t));
  return t;
}

test('etf decode - invalid UTF-8 in an atom is badTerm', () => {
  for (const bad of ['c328', 'c0af', 'eda080', 'f4908080', 'ff', 'e382', '80']) {
    const len = (bad.length / 2).toString(16).padStart(2, '0');
    assertBadTerm(h(`8377${len}${bad}`), undefined, 1);
    assertBadTerm(h(`837600${len}${bad}`), undefined, 1);
  }
});

test('etf decode - integers: number within ±(2^53-1), bigint beyond, any big form accepted', () => {
  assert.equal(decodeTerm(h('836e0700ffffffffffff1f')), Number.MAX_SAFE_INTEGER);
  assert.equal(decodeTerm(h('836e0701ffffffffffff1f')), -Number.MAX_SAFE_INTEGER);
  assert.equal(decodeTerm(h('836e070000000000000020')), 2n ** 53n);
  assert.equal(decodeTerm(h('836e070100000000000020')), -(2n ** 53n));
  assert.equal(decodeTerm(h(`836f0000000900${'00'.repeat(8)}01`)), 2n ** 64n);
  // not the smallest form, still the right value (as OTP reads them)
  assert.equal(decodeTerm(h('836e020005 00'.replace(' ', ''))), 5);
  assert.equal(decodeTerm(h('836e0000')), 0);
  assert.ok(Object.is(decodeTerm(h('836e010100')), 0), 'a negative zero bignum is 0, not -0');
  assert.ok(Object.is(decodeTerm(h('836e0a01' + '00'.repeat(10))), 0));
  assert.equal(decodeTerm(h('836e010205')), -5); // any non-zero sign byte is negative
  assert.equal(decodeTerm(h('836280000000')), -2147483648);
  // a bignum as long as maxIntegerBytes allows
  const big = 2n ** 80_000n - 1n;
  assert.equal(decodeTerm(encodeTerm(big), { maxIntegerBytes: 10_000 }), big);
});

test('etf decode - floats: ErlFloat when integral, number otherwise; FLOAT_EXT too; NaN/Infinity refused', () => {
  assert.equal(decodeTerm(h('8346400c000000000000')), 3.5);
  const three = decodeTerm(h('83464008000000000000'));
  assert.ok(three instanceof ErlFloat && three.value === 3);
  assert.ok(Object.is(decodeTerm(h('83468000000000000000')), -0));
  const zero = decodeTerm(h('83460000000000000000'));
  assert.ok(zero instanceof ErlFloat && Object.is(zero.value, 0));
  for (const bad of ['7ff0000000000000', 'fff0000000000000', '7ff8000000000000', '7fffffffffffffff']) assertBadTerm(h(`8346${bad}`), undefined, 1);
  // FLOAT_EXT, as term_to_binary(3.5, [{minor_version,0}]) writes it
  const old = (text: string): Uint8Array => concatBytes([h('8363'), Uint8Array.from(text.padEnd(31, '\0'), (c) => c.charCodeAt(0))]);
  assert.equal(decodeTerm(old('3.50000000000000000000e+00')), 3.5);
  assert.ok(decodeTerm(old('1.00000000000000000000e+00')) instanceof ErlFloat);
  assert.ok(Object.is(decodeTerm(old('-0.00000000000000000000e+00')), -0));
  assert.equal(toHex(encodeTerm(decodeTerm(old('3.5')))), '8346400c000000000000');
  for (const bad of ['3.5xyz', '  3.5', 'nan', 'inf', '1e999', '', '0x10', '1.5.5']) assertBadTerm(old(bad), undefined, 1);
  assertBadTerm(concatBytes([h('8363'), new Uint8Array(31).fill(0x31)]), undefined, 1); // no NUL
});

test('etf decode - strings, lists, improper lists and tails', () => {
  assert.equal(decodeTerm(h('836b0003e98000')), '\u00e9\u0080\u0000', 'Latin-1, not windows-1252');
  assert.deepEqual(decodeTerm(h('836b0000')), [], 'an empty STRING_EXT is []');
  const long = 'x'.repeat(65535);
  assert.equal(decodeTerm(encodeTerm(long)), long);
  assert.deepEqual(decodeTerm(encodeTerm('サ')), [0x30b5], 'a list of code points above 255 is number[]');
  assert.deepEqual(decodeTerm(h('836c000000016101 6c000000016102 6a')), [1, 2], '[1|[2]] is [1,2]');
  assert.deepEqual(decodeTerm(h('836c000000016101 6b00026162'.replace(/ /g, ''))), [1, 97, 98], '[1|"ab"] is [1,97,98]');
  assert.deepEqual(decodeTerm(h('836c00000000 6107'.replace(/ /g, ''))), 7, 'a LIST_EXT of length 0 is its tail');
  assert.deepEqual(decodeTerm(h('836c00000000 6a'.replace(/ /g, ''))), []);
  const imp = decodeTerm(h('836c000000016101 6c000000016102 6103'.replace(/ /g, '')));
  assert.ok(imp instanceof ImproperList && termEqual(imp, improperList([1, 2], 3)), '[1|[2|3]] is [1,2|3]');
  // a long chain of list tails costs neither depth nor quadratic copying
  const chain: Uint8Array[] = [h('83')];
  for (let i = 0; i < 20_000; i++) chain.push(h('6c000000016101'));
  chain.push(h('6a'));
  const flat = decodeTerm(concatBytes(chain), { maxDepth: 1 }) as Term[];
  assert.equal(flat.length, 20_000);
});

test('etf decode - binaries and bitstrings', () => {
  const input = h('836d00000003010203');
  const bin = decodeTerm(input) as Uint8Array;
  input[6] = 99;
  assert.deepEqual(Array.from(bin), [1, 2, 3], 'the binary is a copy, not a view of the input');
  assert.equal(bin.constructor, Uint8Array);
  const fromBuffer = decodeTerm(Buffer.from(h('836d00000003010203'))) as Uint8Array;
  assert.equal(fromBuffer.constructor, Uint8Array, 'a Buffer input still gives plain Uint8Arrays');
  const bits = decodeTerm(h('834d0000000103ff')) as BitBinary;
  assert.ok(bits instanceof BitBinary && bits.bits === 3 && bits.bytes[0] === 0xe0, 'unused bits are cleared');
  assert.ok(decodeTerm(h('834d0000000108ff')) instanceof Uint8Array, '8 bits is a whole binary');
  assert.deepEqual(decodeTerm(h('834d0000000000')), new Uint8Array());
  for (const bad of ['834d0000000100ff', '834d0000000109ff', '834d0000000003', '834d00000002 03ff'.replace(' ', '')]) {
    assertBadTerm(h(bad));
  }
});

test('etf decode - maps are Maps with any keys; duplicate keys are badTerm', () => {
  const m = decodeTerm(h('8374000000026400016161016b00016b6c00000001640001766a')) as Map<Term, Term>;
  assert.ok(m instanceof Map && m.size === 2);
  const keys = [...m.keys()];
  assert.ok(isAtom(keys[0], 'a') && keys[1] === 'k');
  // a -0.0 key stays a float (a JS Map would fold the number -0 into the integer 0)
  const neg = decodeTerm(h('837400000001 468000000000000000 64000161'.replace(/ /g, ''))) as Map<Term, Term>;
  const negKey = [...neg.keys()][0];
  assert.ok(negKey instanceof ErlFloat && Object.is(negKey.value, -0));
  assert.equal(toHex(encodeTerm(neg)), '837400000001468000000000000000' + '64000161');
  // 1 and 1.0 are different keys
  assert.equal((decodeTerm(h('837400000002 6101 6101 463ff0000000000000 6102'.replace(/ /g, ''))) as Map<Term, Term>).size, 2);
  const dups = [
    '837400000002 64000161 6101 64000161 6102', // a, a
    '837400000002 64000161 6101 770161 6102', // ATOM_EXT a, SMALL_ATOM_UTF8_EXT a
    '837400000002 6b00026162 6101 6c00000002 6161 6162 6a 6102', // "ab", [97,98]
    '837400000002 6101 6101 6200000001 6102', // 1 as SMALL_INTEGER_EXT and INTEGER_EXT
    '837400000002 6101 6101 6e0100 01 6102', // 1 and a non-canonical bignum 1
    '837400000002 6a 6101 6b0000 6102', // [] and ""
    '837400000002 7400000002 640001616101 640001626102 6101 7400000002 640001626102 640001616101 6102', // same map, other order
    '837400000002 680164000161 6101 680173 0161 6102', // {a} twice
  ];
  for (const d of dups) assertBadTerm(h(d.replace(/ /g, '')), undefined, 1);
});

test('etf decode - a key "__proto__" cannot reach Object.prototype', () => {
  const before = Object.getOwnPropertyNames(Object.prototype).sort();
  const bytes = encodeTerm(
    new Map<Term, Term>([
      ['__proto__', { polluted: true }],
      [atom('__proto__'), { polluted: true }],
      [atom('constructor'), 1],
    ]),
  );
  const m = decodeTerm(bytes) as Map<Term, Term>;
  assert.ok(m instanceof Map);
  assert.equal(m.size, 3);
  assert.equal(Object.getPrototypeOf(m), Map.prototype);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), before);
  // nested maps are Maps too, never plain objects
  const inner = m.get('__proto__');
  assert.ok(inner instanceof Map);
});

// Bytes made by OTP 25 (term_to_binary of self(), make_ref(), a port, funs).
const PID = '5864000d6e6f6e6f6465406e6f686f7374000000090000000000000000';
const REF = '5a000364000d6e6f6e6f6465406e6f686f73740000000000025 15fbf70000143d16f17'.replace(' ', '');
const PORT = '5964000d6e6f6e6f6465406e6f686f73740000000000000000';
const EXPORT = '716400056c697374736400036d61706102';
const EXPORT_UTF8 = '71770665726c616e67770361627361 01'.replace(' ', '');
const LOCAL_FUN = `700000004901 5e43c1b55ab37dd1d031ff32b14f204e 00000000 00000000 6400057072 6f6265 6100 6202f21e0d ${PID}`.replace(/ /g, '');
const EVAL_FUN =
  '700000011801065361aa461590d1bdf1eb62d1a6eb080000002a0000000164000865726c5f6576616c612a6200329b0d5864000d6e6f6e6f6465406e6f686f7374000000090000000000000000680661016c0000000268026400014c6c00000001640001616a68026400014e612a6a6400046e6f6e656400046e6f6e6574000000006c000000016805640006636c6175736561016c0000000168036400037661726101640001586a6a6c0000000168056400026f7061016400012b68056400026f7061016400012b6803640003766172610164000158680364000376617261016400014e680464000463616c6c6101680364000461746f6d61016400066c656e6774686c00000001680364000376617261016400014c6a6a6a';

test('etf decode - pids, ports, references, funs and exports are Opaque with their exact bytes', () => {
  const cases: [string, number][] = [
    [PID, 88],
    [REF, 90],
    [PORT, 89],
    [EXPORT, 113],
    [EXPORT_UTF8, 113],
    [LOCAL_FUN, 112],
    [EVAL_FUN, 112],
    ['67640003614062000000010000000001', 103], // PID_EXT
    ['6664000361406200000001 01'.replace(' ', ''), 102], // PORT_EXT
    ['78640003614062 0000000000000001 00000001'.replace(/ /g, ''), 120], // V4_PORT_EXT
    ['6564000361406200000001 01'.replace(' ', ''), 101], // REFERENCE_EXT
    ['72000264000361406201 0000000100000002'.replace(' ', ''), 114], // NEW_REFERENCE_EXT
    ['5a0005640003614062 00000001 '.replace(/ /g, '') + '00000000'.repeat(5), 90],
    ['5a0000640003614062 00000001'.replace(' ', ''), 90], // OTP accepts an empty ID
  ];
  for (const [hex, tag] of cases) {
    const t = roundTrips(`83${hex}`);
    assert.ok(t instanceof Opaque && t.tag === tag, hex);
    assert.equal(toHex(t.bytes), hex);
  }
  // inside other terms
  const nested = roundTrips(`8368026400016b6c00000001${PID}6a`);
  assert.ok(((nested as Tuple).at(1) as Term[])[0] instanceof Opaque);
  // the atoms inside count toward maxAtoms, the free variables toward maxDepth
  assertBadTerm(h(`83${EXPORT}`), { maxAtoms: 1 });
  decodeTerm(h(`83${EXPORT}`), { maxAtoms: 2 });
  assertBadTerm(h(`83${EVAL_FUN}`), { maxDepth: 3 });
  const malformed = [
    '8358 6b00016e 000000090000000000000000', // node is not an atom
    '835a0006640003614062 00000001'.replace(' ', '') + '00'.repeat(24), // 6 ID words
    '83716400016d6400016664 00016d'.replace(' ', ''), // arity is an atom
    `83${LOCAL_FUN.replace('70000000490', '70000000480')}`, // Size one short
    `83${LOCAL_FUN.replace('70000000490', '700000004a0')}`, // Size one long
    `83${LOCAL_FUN.replace(PID, '6a')}`, // no pid
    '8352 00', // ATOM_CACHE_REF
  ];
  for (const m of malformed) assertBadTerm(h(m.replace(/ /g, '')));
});

test('etf decode - compressed terms: bounded, exact, checked', () => {
  const inner = encodeTerm(
    tuple(
      atom('hello'),
      Array.from({ length: 200 }, () => atom('world')),
    ),
  );
  const body = inner.subarray(1);
  const z = zlibSync(body);
  const compressed = (size: number, data: Uint8Array = z): Uint8Array => {
    const head = new Uint8Array(6);
    head[0] = 131;
    head[1] = 80;
    new DataView(head.buffer).setUint32(2, size);
    return concatBytes([head, data]);
  };
  const ok = compressed(body.length);
  assert.ok(termEqual(decodeTerm(ok), decodeTerm(inner)));
  // from OTP: term_to_binary({hello, lists:duplicate(200, world)}, [compressed])
  const fromErl = h('835000000650789ccb604a6160cd48cdc9c9cf6160603801e494e717e5a48cd2a3f4283d4a8fd2a33429741600e57405ec');
  assert.ok(termEqual(decodeTerm(fromErl), decodeTerm(inner)));
  // declared size over the limit: refused before inflating (the data is not even zlib)
  const details = assertBadTerm(compressed(0xffffffff, new Uint8Array(16)), undefined, 2);
  assert.equal(details.limit, DEFAULT_LIMITS.maxDecompressedBytes);
  assert.equal(details.actual, 0xffffffff);
  assert.equal(assertBadTerm(ok, { maxDecompressedBytes: body.length - 1 }).limit, body.length - 1);
  decodeTerm(ok, { maxDecompressedBytes: body.length });
  assertBadTerm(ok, { maxDecompressedBytes: 0 }, 1);
  // declared size wrong either way
  assertBadTerm(compressed(body.length + 1));
  assertBadTerm(compressed(body.length - 1));
  assertBadTerm(compressed(0));
  // a bomb: 4 MiB of zeros declared as 1000 bytes stops at once
  const bomb = zlibSync(new Uint8Array(4 * 1024 * 1024));
  assert.equal(assertBadTerm(compressed(1000, bomb), undefined, 2).limit, 1000);
  // checksum, header, truncation, trailing bytes, dictionary, nesting
  const badAdler = compressed(body.length);
  badAdler[badAdler.length - 1] ^= 1;
  assertBadTerm(badAdler);
  const badHeader = compressed(body.length);
  badHeader[6] = 0x79;
  assertBadTerm(badHeader, undefined, 6);
  for (let cut = 6; cut < ok.length; cut += 7) assertBadTerm(ok.subarray(0, cut));
  assertBadTerm(concatBytes([ok, h('00')]));
  assertBadTerm(compressed(body.length, concatBytes([h('78bb'), z.subarray(2)])));
  assertBadTerm(concatBytes([h('836801'), ok.subarray(1)]), undefined, 3);
  // a valid stream whose inner term is bad: the offset is into the inflated bytes
  const badInner = zlibSync(h('6802 6101'));
  const d = assertBadTerm(compressed(4, badInner));
  assert.equal(d.inflated, true);
  // and an inner term with trailing bytes
  assertBadTerm(compressed(3, zlibSync(h('610100'))));
});

test('etf decode - truncation at every byte position of valid encodings is badTerm', () => {
  const samples: Term[] = [
    tuple(atom('startService'), atom('nameServer'), []),
    tuple(atom('ok'), 'writing a book'),
    [1000, 2000, -1, 2n ** 70n, 3.5, new ErlFloat(2)],
    improperList([atom('sérvice'), atom('サービス')], new Uint8Array([1, 2])),
    new Map<Term, Term>([
      [1, new BitBinary(new Uint8Array([0xe0]), 3)],
      ['k', tuple()],
    ]),
    decodeTerm(h(`83${EVAL_FUN}`)),
    decodeTerm(h(`836805${PID}${REF}${PORT}${EXPORT}${LOCAL_FUN}`)),
  ];
  for (const t of samples) {
    const bytes = encodeTerm(t);
    for (let n = 0; n < bytes.length; n++) assertBadTerm(bytes.subarray(0, n));
    decodeTerm(bytes);
  }
});

test('etf decode - bad tags, version bytes, distribution headers, trailing bytes', () => {
  const known = new Set([
    97, 98, 99, 70, 100, 115, 118, 119, 104, 105, 106, 107, 108, 109, 77, 110, 111, 116, 103, 88, 102, 89, 120, 101, 114, 90, 117, 112, 113, 80,
  ]);
  for (let tag = 0; tag < 256; tag++) {
    if (known.has(tag)) continue;
    const d = assertBadTerm(new Uint8Array([131, tag, 0, 0, 0, 0, 0, 0, 0, 0]), undefined, 1);
    assert.equal(d.tag, tag);
  }
  assertBadTerm(new Uint8Array(), undefined, 0);
  assertBadTerm(h('84 6a'.replace(' ', '')), undefined, 0);
  assertBadTerm(h('6a'), undefined, 0);
  assertBadTerm(h('83'), undefined, 1);
  assertBadTerm(h('836801 836a'.replace(' ', '')), undefined, 3); // 131 inside a term
  assertBadTerm(h('83440000'), undefined, 1); // DIST_HEADER
  assertBadTerm(h('836a6a'), undefined, 2);
  assertBadTerm(h('83610100'), undefined, 3);
});

test('etf decode - huge length claims fail at once, before allocating', () => {
  const claims = [
    '836cffffffff 6101 6101 6101 6101 6a', // LIST_EXT of 2^32-1 elements with 10 bytes left
    '8369ffffffff 6a', // LARGE_TUPLE_EXT
    '8374ffffffff 6a6a', // MAP_EXT
    '836dffffffff 01', // BINARY_EXT
    '834dffffffff 03 01', // BIT_BINARY_EXT
    '836bffff 61', // STRING_EXT
    '836fffffffff 00 01', // LARGE_BIG_EXT
    '836eff 00 01', // SMALL_BIG_EXT
    '8364ffff 61', // ATOM_EXT
    '8376ffff 61', // ATOM_UTF8_EXT
    '8370ffffffff', // NEW_FUN_EXT
  ];
  for (const c of claims) assertBadTerm(h(c), undefined, 1);
  const d = assertBadTerm(h('836cffffffff61016101610161016a'), undefined, 1);
  assert.equal(d.needed, 0xffffffff + 1);
  assert.equal(d.remaining, 9);
});

test('etf decode - depth: maxDepth bounds nesting, and 10000 levels need no JS stack', () => {
  const nested = (levels: number, open: string, close = ''): Uint8Array => h(`83${open.repeat(levels)}6a${close.repeat(levels)}`);
  // default 64: 64 nested containers are fine, the 65th is refused at its tag
  decodeTerm(nested(64, '6801'));
  assertBadTerm(nested(65, '6801'), undefined, 1 + 2 * 64);
  assert.equal(assertBadTerm(nested(100_000, '6801')).limit, 64);
  assertBadTerm(nested(100_000, '6c00000001', '6a'));
  assertBadTerm(nested(100_000, '74000000016a'));
  decodeTerm(nested(1, '6801'), { maxDepth: 1 });
  assertBadTerm(nested(2, '6801'), { maxDepth: 1 }, 3);
  // an empty container counts too
  decodeTerm(h('836800'), { maxDepth: 1 });
  assertBadTerm(h('8368016800'), { maxDepth: 1 }, 3);
  assertBadTerm(h('83680174000000 00'), { maxDepth: 1 }, 3);
  // the deepest allowed: 10000
  const deep = decodeTerm(nested(10_000, '6801'), { maxDepth: 10_000 });
  assert.ok(deep instanceof Tuple);
  assertBadTerm(nested(10_001, '6801'), { maxDepth: 10_000 }, 1 + 2 * 10_000);
  decodeTerm(nested(10_000, '6c00000001', '6a'), { maxDepth: 10_000 });
  decodeTerm(nested(10_000, '74000000016a'), { maxDepth: 10_000 });
  // deep map keys: duplicate detection is iterative too
  const deepKey = `${'6c00000001'.repeat(9_000)}6a${'6a'.repeat(9_000)}`;
  assertBadTerm(h(`837400000002${deepKey}6101${deepKey}6102`), { maxDepth: 10_000 }, 1);
});

test('etf decode - maxAtoms bounds the atoms of one term', () => {
  const three = encodeTerm(tuple(atom('a'), true, undefined));
  decodeTerm(three, { maxAtoms: 3 });
  assert.equal(assertBadTerm(three, { maxAtoms: 2 }).limit, 2);
});

test('etf decode - options and arguments are checked', () => {
  for (const bad of [{ maxDepth: 0 }, { maxDepth: 1.5 }, { maxDepth: 10_001 }, { maxAtoms: 0 }, { maxDecompressedBytes: -1 }, { maxDepth: Number.NaN }]) {
    assert.throws(
      () => decodeTerm(h('836a'), bad),
      (e: unknown) => isChanError(e, 'badArgument'),
      JSON.stringify(bad),
    );
  }
  assert.throws(
    () => decodeTerm('836a' as unknown as Uint8Array),
    (e: unknown) => isChanError(e, 'badArgument'),
  );
});

test('etf decode - options objects used in turn each apply their own limits, frozen or not, changed or not', () => {
  const three = encodeTerm(tuple(atom('a'), true, undefined));
  const tight = Object.freeze({ maxAtoms: 2 });
  const loose = Object.freeze({ maxAtoms: 3 });
  const mutable: DecodeOptions = { maxAtoms: 3 };
  for (let i = 0; i < 3; i++) {
    assert.equal(assertBadTerm(three, tight).limit, 2);
    decodeTerm(three, loose);
    decodeTerm(three, mutable);
  }
  mutable.maxAtoms = 2;
  assert.equal(assertBadTerm(three, mutable).limit, 2);
  const badFrozen = Object.freeze({ maxDepth: 0 });
  for (let i = 0; i < 2; i++) {
    assert.throws(
      () => decodeTerm(h('836a'), badFrozen),
      (e: unknown) => isChanError(e, 'badArgument'),
    );
  }
});

// ---------------------------------------------------------------- properties

const NOT_SURROGATE = fc.integer({ min: 0, max: 0x10ffff }).filter((c) => c < 0xd800 || c > 0xdfff);
const atomName = fc
  .oneof(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 12 }), fc.array(NOT_SURROGATE, { maxLength: 6 }))
  .map((cps) => String.fromCodePoint(...cps))
  .filter((n) => n !== 'true' && n !== 'false' && n !== 'undefined');
const floatTerm = fc.double({ noNaN: true, noDefaultInfinity: true }).map((v): Term => (Number.isInteger(v) && !Object.is(v, -0) ? new ErlFloat(v) : v));
const OPAQUES = [PID, REF, PORT, EXPORT, LOCAL_FUN, EVAL_FUN].map((x) => decodeTerm(h(`83${x}`)));

/** Leaves in the form decodeTerm returns them. */
const leaf: fc.Arbitrary<Term> = fc.oneof(
  fc.integer(),
  fc.maxSafeInteger(),
  fc
    .bigInt({ min: -(2n ** 600n), max: 2n ** 600n })
    .map((b): Term => (b >= -BigInt(Number.MAX_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b)),
  floatTerm,
  atomName.map((n) => new Atom(n)),
  fc.constantFrom<Term>(true, false, undefined),
  fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 30 }).map((cs) => String.fromCharCode(...cs)),
  fc.uint8Array({ maxLength: 24 }),
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 7 })).map(([b, bits]) => {
    b[b.length - 1] &= (0xff << (8 - bits)) & 0xff;
    return new BitBinary(b, bits);
  }),
  fc.constantFrom(...OPAQUES),
);
/** A tail that is not a list. */
const tailLeaf = leaf.filter((t) => typeof t !== 'string');
/** Map keys: no -0 (decoded as ErlFloat(-0)); unique by their printed form. */
const keyLeaf = leaf.filter((t) => !Object.is(t, -0));

const { term: modelTerm } = fc.letrec<{ term: Term; key: Term }>((tie) => ({
  term: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('term'), { maxLength: 5 }),
    fc.array(tie('term'), { maxLength: 5 }).map((xs) => new Tuple(xs)),
    fc.tuple(fc.array(tie('term'), { minLength: 1, maxLength: 4 }), tailLeaf).map(([xs, t]) => new ImproperList(xs, t)),
    fc.uniqueArray(fc.tuple(tie('key'), tie('term')), { maxLength: 5, selector: ([k]) => formatTerm(k) }).map((entries) => new Map(entries)),
  ),
  key: fc.oneof(
    { depthSize: 'small' },
    keyLeaf,
    fc.array(keyLeaf, { maxLength: 3 }).map((xs) => new Tuple(xs)),
    fc.array(keyLeaf, { maxLength: 3 }),
  ),
}));

test('etf property - decodeTerm(encodeTerm(t)) is t for every term of the model', () => {
  fc.assert(
    fc.property(modelTerm, (t) => {
      const back = decodeTerm(encodeTerm(t), { maxDepth: 10_000 });
      assert.ok(termEqual(back, t), `${formatTerm(t)} came back as ${formatTerm(back)}`);
    }),
    { numRuns: 700, seed: 0x11bc4a },
  );
});

test('etf property - strings of any code points come back as their code points', () => {
  fc.assert(
    fc.property(fc.array(NOT_SURROGATE, { maxLength: 20 }), (cps) => {
      const s = String.fromCodePoint(...cps);
      const back = decodeTerm(encodeTerm(s));
      const expected: Term = cps.length === 0 ? [] : cps.every((c) => c <= 255) ? s : cps;
      assert.ok(termEqual(back, expected));
    }),
    { numRuns: 300, seed: 7 },
  );
});

/** Decode either returns a term that re-encodes to itself, or throws badTerm; nothing else. */
function totalOn(bytes: Uint8Array, options?: DecodeOptions): void {
  let t: Term;
  try {
    t = decodeTerm(bytes, options);
  } catch (e) {
    if (!isChanError(e, 'badTerm')) throw new Error(`decodeTerm threw a non-badTerm error for ${toHex(bytes, 64)}: ${String(e)}`);
    return;
  }
  const again = decodeTerm(encodeTerm(t), { maxDepth: 10_000 });
  if (!termEqual(again, t)) throw new Error(`decoded ${toHex(bytes, 64)} to ${formatTerm(t)}, which does not re-encode to itself`);
}

test('etf property - arbitrary bytes: a term or badTerm, never another error', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, prefix) => {
      totalOn(prefix ? concatBytes([h('83'), bytes]) : bytes);
    }),
    { numRuns: 500, seed: 42 },
  );
  // structure-aware: tags followed by small numbers, so containers and lengths get exercised
  const TAGS = [97, 98, 99, 70, 100, 115, 118, 119, 104, 105, 106, 107, 108, 109, 77, 110, 111, 116, 88, 90, 112, 113, 80, 0, 1, 255];
  const token = fc.oneof(fc.constantFrom(...TAGS), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 255 }));
  fc.assert(
    fc.property(fc.array(token, { maxLength: 48 }), fc.integer({ min: 1, max: 8 }), (tokens, maxDepth) => {
      totalOn(Uint8Array.from([131, ...tokens]), { maxDepth, maxAtoms: 8, maxDecompressedBytes: 256 });
    }),
    { numRuns: 500, seed: 43 },
  );
});

type Mutation = readonly ['set' | 'insert' | 'delete' | 'truncate', number, number];

/** `bytes` with each mutation applied in turn (positions taken modulo the length at that point). */
function mutate(bytes: number[], muts: readonly Mutation[]): Uint8Array {
  let b = bytes;
  for (const [kind, at, v] of muts) {
    const i = at % (b.length + 1);
    if (kind === 'set' && i < b.length) b[i] = v;
    else if (kind === 'insert') b.splice(i, 0, v);
    else if (kind === 'delete') b.splice(i, 1);
    else if (kind === 'truncate') b = b.slice(0, i);
  }
  return Uint8Array.from(b);
}

test('etf property - mutated valid encodings: a term or badTerm, never another error', () => {
  const mutation = fc.oneof(
    fc.tuple(fc.constant('set' as const), fc.nat(), fc.integer({ min: 0, max: 255 })),
    fc.tuple(fc.constant('insert' as const), fc.nat(), fc.integer({ min: 0, max: 255 })),
    fc.tuple(fc.constant('delete' as const), fc.nat(), fc.constant(0)),
    fc.tuple(fc.constant('truncate' as const), fc.nat(), fc.constant(0)),
  );
  fc.assert(
    fc.property(modelTerm, fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.boolean(), (t, muts, compress) => {
      let b = Array.from(encodeTerm(t));
      if (compress) {
        const body = Uint8Array.from(b.slice(1));
        const size = body.length;
        b = [131, 80, size >>> 24, (size >>> 16) & 255, (size >>> 8) & 255, size & 255, ...zlibSync(body)];
      }
      totalOn(mutate(b, muts), { maxDepth: 64 });
    }),
    { numRuns: 700, seed: 44 },
  );
});

// ---- the fast path (decode.ts fastTerm) against the general decoder ----

type Answer = { term: Term } | { error: string; code: string | undefined };
function answerOf(f: () => Term): Answer {
  try {
    return { term: f() };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e), code: isChanError(e) ? e.code : undefined };
  }
}

/** decodeTerm answers as the general decoder alone does (the same term, classes included, or the same error); the fast path never accepts what it refuses. Returns whether the fast path took the input. */
function sameAnswer(bytes: Uint8Array, options?: DecodeOptions): boolean {
  const general = answerOf(() => decodeReaders.general(bytes, options));
  assert.deepStrictEqual(
    answerOf(() => decodeTerm(bytes, options)),
    general,
    `decodeTerm and the general decoder differ on ${toHex(bytes, 64)}`,
  );
  const fast = decodeReaders.fast(bytes, options);
  if (fast === null) return false;
  assert.deepStrictEqual(fast, general, `the fast path and the general decoder differ on ${toHex(bytes, 64)}`);
  return true;
}

test('etf fast path - reads the common messages and gives what the general decoder gives', () => {
  const common: Term[] = [
    tuple(atom('store'), atom('joe'), 'writing a book'),
    tuple(atom('lookup'), atom('joe')),
    tuple(atom('ok'), [1, 2, 300, -5, 0x7fffffff, -0x80000000]),
    [true, false, undefined, [], tuple(), 'x'.repeat(300)],
    tuple(atom('blob'), new Uint8Array(70_000).fill(7), 1.5, -0, new ErlFloat(3)),
    tuple(new Atom('a'.repeat(255)), atom('é')), // ATOM_UTF8_EXT (encodeTerm's choice for every atom) of 255 ASCII bytes; 'é' as Latin-1 ATOM_EXT
  ];
  for (const t of common) {
    const b = encodeTerm(t);
    assert.ok(sameAnswer(b), `the fast path handed ${formatTerm(t).slice(0, 80)} over`);
    assert.ok(termEqual(decodeTerm(b), t));
  }
  // A binary that fills half of its input's buffer is a view with shareLargeBinaries, as in the general decoder.
  const big = encodeTerm(tuple(atom('b'), new Uint8Array(4096)));
  const shared = decodeReaders.fast(big, { shareLargeBinaries: true })!.term as Tuple;
  assert.equal((shared.at(1) as Uint8Array).buffer, big.buffer);
});

test('etf fast path - hands over what it does not read, and every error, to the general decoder', () => {
  const deep = (n: number): Term => (n === 0 ? 1 : tuple(deep(n - 1)));
  const handedOver: Array<[string, Uint8Array, DecodeOptions?]> = [
    ['a map', encodeTerm(new Map<Term, Term>([[atom('a'), 1]]))],
    ['a bignum', encodeTerm(2n ** 70n)],
    ['a pid', h(`83${PID}`)],
    ['an improper list', encodeTerm(improperList([1], 2))],
    ['a list with a string tail', h('836c000000016101 6b00026869'.replace(/ /g, ''))],
    ['a non-ASCII UTF-8 atom', h('8377 02 c3a9'.replace(/ /g, ''))],
    ['a compressed term', concatBytes([h('8350'), new Uint8Array([0, 0, 0, 3]), zlibSync(h('610102').subarray(0, 2))])],
    ['deeper than the fast path goes', encodeTerm(deep(17)), { maxDepth: 100 }],
    ['deeper than maxDepth', encodeTerm(deep(3)), { maxDepth: 2 }],
    ['more atoms than maxAtoms', encodeTerm(tuple(atom('a'), atom('b'), atom('c'))), { maxAtoms: 2 }],
    ['bytes after the term', h('83610100')],
    ['a short tuple', h('8368036101')],
    ['a list longer than its input', h('836cffffffff6a')],
    ['an infinite float', h('83467ff0000000000000')],
    ['an atom of 256 characters', concatBytes([h('83760100'), new Uint8Array(256).fill(97)])],
  ];
  for (const [what, b, options] of handedOver) {
    assert.equal(sameAnswer(b, options), false, `the fast path read ${what}`);
  }
});

test('etf property - fast path: the same answer as the general decoder on model terms, mutated bytes and limits', () => {
  let fast = 0;
  fc.assert(
    fc.property(modelTerm, (t) => {
      if (sameAnswer(encodeTerm(t), { maxDepth: 10_000 })) fast++;
    }),
    { numRuns: 300, seed: 0xfa57 },
  );
  assert.ok(fast >= 60, `only ${fast} of 300 model terms took the fast path: the property checks too little of it`);
  const mutation = fc.tuple(
    fc.constantFrom('set' as const, 'insert' as const, 'delete' as const, 'truncate' as const),
    fc.nat(),
    fc.integer({ min: 0, max: 255 }),
  );
  fc.assert(
    fc.property(
      modelTerm,
      fc.array(mutation, { maxLength: 3 }),
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 1, max: 8 }),
      (t, muts, maxDepth, maxAtoms) => {
        sameAnswer(mutate(Array.from(encodeTerm(t)), muts), { maxDepth, maxAtoms });
      },
    ),
    { numRuns: 400, seed: 0xfa58 },
  );
});

test('etf property - encode fast path: the same bytes as the general encoder, and the same errors', () => {
  fc.assert(
    fc.property(modelTerm, (t) => {
      assert.deepEqual(encodeTerm(t), encodeTermGeneral(t), formatTerm(t).slice(0, 200));
    }),
    { numRuns: 400, seed: 0xe4c0 },
  );
  const bad: Term[] = [
    tuple(atom('ok'), Number.NaN),
    tuple(1, [2, Infinity]),
    tuple(atom('x'), Symbol('s') as unknown as Term, Number.NaN),
    tuple(new Atom('a'.repeat(256))),
    tuple(tuple(tuple(Number.POSITIVE_INFINITY))),
  ];
  for (const t of bad) {
    const err = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        return e instanceof Error ? e.message : String(e);
      }
      return 'no error';
    };
    assert.equal(
      err(() => encodeTerm(t)),
      err(() => encodeTermGeneral(t)),
    );
    assert.notEqual(
      err(() => encodeTerm(t)),
      'no error',
    );
  }
});
