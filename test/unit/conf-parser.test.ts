import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ChanError } from '../../src/errors.ts';
import { LIMITS } from '../../src/limits.ts';
import { Atom, ErlFloat, ImproperList, Tuple, atom, float, improperList, termEqual, tuple, type Term } from '../../src/wire/etf/term.ts';
import { MAX_TERM_TEXT_CHARS, parseTerm, parseTerms } from '../../src/conf/term-parser.ts';
import { erl } from '../../src/conf/erl-template.ts';
import type { Position } from '../../src/conf/term-lexer.ts';

const BOOK_CONF = `{port, 1234}.
{service, nameServer, password, "ABXy45", mfa, mod_name_server, start_me_up, notUsed}.
`;

/** Assert that `run` throws a badConf at file:line:column. */
function assertBadConf(run: () => unknown, line: number, column: number, file = '<input>'): ChanError {
  try {
    run();
  } catch (e) {
    assert.ok(e instanceof ChanError, `expected a ChanError, got ${String(e)}`);
    assert.equal(e.code, 'badConf');
    assert.deepEqual({ file: e.details.file, line: e.details.line, column: e.details.column }, { file, line, column }, e.message);
    assert.ok(e.message.startsWith(`${file}:${line}:${column}: `), e.message);
    return e;
  }
  assert.fail('expected a badConf error');
}

function one(text: string): Term {
  const terms = parseTerms(text);
  assert.equal(terms.length, 1);
  return terms[0].term;
}

function assertTerm(actual: Term, expected: Term): void {
  assert.ok(termEqual(actual, expected), `got ${String(actual)}`);
}

describe('conf parser - the book', () => {
  it('reads the book conf exactly as written', () => {
    const terms = parseTerms(BOOK_CONF, 'lib_chan.conf');
    assert.equal(terms.length, 2);
    assertTerm(terms[0].term, tuple(atom('port'), 1234));
    assertTerm(
      terms[1].term,
      tuple(atom('service'), atom('nameServer'), atom('password'), 'ABXy45', atom('mfa'), atom('mod_name_server'), atom('start_me_up'), atom('notUsed')),
    );
    assert.deepEqual(
      terms.map(({ line, column }) => [line, column]),
      [
        [1, 1],
        [2, 1],
      ],
    );
  });

  it('skips comments and reads terms that span lines', () => {
    const text = '%% lib_chan.conf\n{port, % the port\n 1234}. % trailing\n\n  {service, s, password, "a%b",\n mfa, m, f, []}.\n% end';
    const terms = parseTerms(text);
    assert.equal(terms.length, 2);
    assertTerm(terms[0].term, tuple(atom('port'), 1234));
    assert.equal((terms[1].term as Tuple).at(3), 'a%b');
    assert.deepEqual([terms[1].line, terms[1].column], [5, 3]);
  });

  it('reads an empty text, and one with only comments, as no terms', () => {
    assert.deepEqual(parseTerms(''), []);
    assert.deepEqual(parseTerms('% nothing\n   \n'), []);
  });
});

describe('conf parser - atoms', () => {
  it('reads bare and quoted atoms', () => {
    assertTerm(one('foo_Bar@1.'), atom('foo_Bar@1'));
    assertTerm(one("'Hello world'."), atom('Hello world'));
    assertTerm(one("'it\\'s'."), atom("it's"));
    assertTerm(one("'\\x{1F600}\\n'."), atom('\u{1F600}\n'));
    assertTerm(one("'end'."), atom('end'));
    assertTerm(one('ÿlatin.'), atom('ÿlatin'));
  });

  it('maps true, false and undefined (quoted or not) to JS values', () => {
    assert.equal(one('true.'), true);
    assert.equal(one('false.'), false);
    assert.equal(one('undefined.'), undefined);
    assert.equal(one("'true'."), true);
  });

  it('refuses reserved words, variables and over-long atoms', () => {
    assertBadConf(() => parseTerms('{a, end}.'), 1, 5);
    assertBadConf(() => parseTerms('{a,\n  Foo}.'), 2, 3);
    assertBadConf(() => parseTerms('[_].'), 1, 2);
    assertBadConf(() => parseTerms(`'${'x'.repeat(256)}'.`), 1, 1);
    assert.equal((one(`'${'x'.repeat(255)}'.`) as Atom).name.length, 255);
  });
});

describe('conf parser - numbers', () => {
  it('reads integers in every notation', () => {
    const cases: [string, Term][] = [
      ['0', 0],
      ['1234', 1234],
      ['-7', -7],
      ['- 7', -7],
      ['16#FF', 255],
      ['16#ff', 255],
      ['-16#ff', -255],
      ['2#1010', 10],
      ['36#zz', 1295],
      ['1_000', 1000],
      ['16#FF_FF', 0xffff],
      ['$a', 97],
      ['$\\n', 10],
      ['$ ', 32],
      ['$\\x{1F600}', 0x1f600],
      ['$\\\\', 92],
      ['-$a', -97],
    ];
    for (const [text, value] of cases) assert.equal(one(`${text}.`), value, text);
  });

  it('gives a bigint only beyond the safe integer range', () => {
    assert.equal(one('9007199254740991.'), Number.MAX_SAFE_INTEGER);
    assert.equal(one('-9007199254740991.'), Number.MIN_SAFE_INTEGER);
    assert.equal(one('9007199254740992.'), 9007199254740992n);
    assert.equal(one('-9007199254740992.'), -9007199254740992n);
    assert.equal(one('123456789012345678901234567890.'), 123456789012345678901234567890n);
  });

  it('reads floats, keeping integral ones as ErlFloat', () => {
    assert.equal(one('1.5.'), 1.5);
    assert.equal(one('-1.5e-1.'), -0.15);
    assertTerm(one('2.0e3.'), float(2000));
    assert.ok(one('2.0e3.') instanceof ErlFloat);
    assert.ok(one('1.0.') instanceof ErlFloat);
    assert.ok(Object.is(one('-0.0.'), -0));
    assert.equal(one('1_0.2_5.'), 10.25);
    assert.equal(one('1.0E+2.') instanceof ErlFloat, true);
  });

  it('tells the end-of-term dot from a decimal point', () => {
    const terms = parseTerms('1.\n2.5.\n{3}.');
    assert.deepEqual(
      terms.map((t) => (t.term instanceof Tuple ? 'tuple' : t.term)),
      [1, 2.5, 'tuple'],
    );
  });

  it('refuses bad numbers with their position', () => {
    assertBadConf(() => parseTerms('{a, 16#FG}.'), 1, 9);
    assertBadConf(() => parseTerms('{a, 37#1}.'), 1, 5);
    assertBadConf(() => parseTerms('{a, 16#}.'), 1, 5);
    assertBadConf(() => parseTerms('1.0e400.'), 1, 1);
    assertBadConf(() => parseTerms('- a.'), 1, 1);
    assertBadConf(() => parseTerms('$'), 1, 1);
    assertBadConf(() => parseTerms(`${'9'.repeat(2000)}.`), 1, 1);
  });
});

describe('conf parser - strings', () => {
  it('reads the Erlang escapes', () => {
    assert.equal(one('"a\\nb\\tc\\\\d\\"e".'), 'a\nb\tc\\d"e');
    assert.equal(one('"\\x{1F600}\\x41\\101\\7\\^a\\s\\e\\d\\q".'), '\u{1F600}AA\u0007\u0001 \u001b\u007fq');
    assert.equal(one('"line1\nline2".'), 'line1\nline2');
    assert.equal(one('"".'), '');
  });

  it('joins adjacent strings', () => {
    assert.equal(one('"ab" "cd"\n  "ef".'), 'abcdef');
  });

  it('refuses unterminated strings and bad escapes', () => {
    assertBadConf(() => parseTerms('{a,\n "abc}.'), 2, 2);
    assertBadConf(() => parseTerms('"\\x{110000}".'), 1, 2);
    assertBadConf(() => parseTerms('"\\x{D800}".'), 1, 2);
    assertBadConf(() => parseTerms('"\\xZ1".'), 1, 2);
    assertBadConf(() => parseTerms("'abc"), 1, 1);
  });
});

describe('conf parser - tuples, lists, binaries, maps', () => {
  it('reads tuples and lists, nested', () => {
    assertTerm(one('{}.'), tuple());
    assertTerm(one('[].'), []);
    assertTerm(one('{a, [1, {b, "c"}], []}.'), tuple(atom('a'), [1, tuple(atom('b'), 'c')], []));
  });

  it('reads improper lists, and normalises a proper tail', () => {
    const t = one('[1, 2 | x].');
    assert.ok(t instanceof ImproperList);
    assertTerm(t, improperList([1, 2], atom('x')));
    assertTerm(one('[a | [b, c]].'), [atom('a'), atom('b'), atom('c')]);
    assertTerm(one('[a | []].'), [atom('a')]);
    assertTerm(one('[0 | "ab"].'), [0, 97, 98]);
    assertTerm(one('[1 | [2 | three]].'), improperList([1, 2], atom('three')));
  });

  it('reads the simple binary forms', () => {
    assert.deepEqual(one('<<>>.'), new Uint8Array());
    assert.deepEqual(one('<<"abc">>.'), new Uint8Array([97, 98, 99]));
    assert.deepEqual(one('<<1,2,3>>.'), new Uint8Array([1, 2, 3]));
    assert.deepEqual(one('<<"é"/utf8>>.'), new Uint8Array([0xc3, 0xa9]));
    assert.deepEqual(one('<<"a" "b", $c, 255, 16#10>>.'), new Uint8Array([97, 98, 99, 255, 16]));
    assert.deepEqual(one('<<1024/utf8>>.'), new TextEncoder().encode('\u0400'));
  });

  it('refuses binary forms beyond the simple ones', () => {
    assertBadConf(() => parseTerms('<<256>>.'), 1, 3);
    assertBadConf(() => parseTerms('<<-1>>.'), 1, 3);
    assertBadConf(() => parseTerms('<<"\\x{100}">>.'), 1, 3);
    assertBadConf(() => parseTerms('<<1:16>>.'), 1, 4);
    assertBadConf(() => parseTerms('<<1/float>>.'), 1, 5);
    assertBadConf(() => parseTerms('<<a>>.'), 1, 3);
  });

  it('reads maps into Map, the last of a repeated key winning', () => {
    const m = one('#{a => 1, "k" => [1], {x} => #{}}.');
    assert.ok(m instanceof Map);
    assert.equal(m.size, 3);
    assertTerm(
      m,
      new Map<Term, Term>([
        [atom('a'), 1],
        ['k', [1]],
        [tuple(atom('x')), new Map()],
      ]),
    );
    const d = one('#{a => 1, b => 2, a => 3, "ab" => x, [97, 98] => y}.') as Map<Term, Term>;
    assert.equal(d.size, 3);
    assertTerm(
      d,
      new Map<Term, Term>([
        [atom('a'), 3],
        [atom('b'), 2],
        [[97, 98], atom('y')],
      ]),
    );
  });

  it('refuses records, := and missing separators with their position', () => {
    assertBadConf(() => parseTerms('#r{a = 1}.'), 1, 1);
    assertBadConf(() => parseTerms('#{a := 1}.'), 1, 5);
    assertBadConf(() => parseTerms('#{a, 1}.'), 1, 4);
    assertBadConf(() => parseTerms('{a b}.'), 1, 4);
    assertBadConf(() => parseTerms('[a b].'), 1, 4);
    assertBadConf(() => parseTerms('[a | b, c].'), 1, 7);
    assertBadConf(() => parseTerms('{a, }.'), 1, 5);
  });
});

describe('conf parser - term boundaries and errors', () => {
  it('needs a dot after each term, followed by whitespace', () => {
    assertBadConf(() => parseTerms('{port, 1234}'), 1, 13);
    assertBadConf(() => parseTerms('{a}.{b}.'), 1, 4);
    assertBadConf(() => parseTerms('{a} {b}.'), 1, 5);
    assertTerm(parseTerms('{a}.% comment right after')[0].term, tuple(atom('a')));
  });

  it('names the file in the message and details', () => {
    assertBadConf(() => parseTerms('{port, 1234}.\n{service, nameServer\n  password}.', 'x/lib_chan.conf'), 3, 3, 'x/lib_chan.conf');
  });

  it('refuses expressions, funs and stray characters', () => {
    assertBadConf(() => parseTerms('{a, (1)}.'), 1, 5);
    assertBadConf(() => parseTerms('{a, 1 + 2}.'), 1, 7);
    assertBadConf(() => parseTerms('{a, fun}.'), 1, 5);
    assertBadConf(() => parseTerms('{a, ~}.'), 1, 5);
    assertBadConf(() => parseTerms('{a, €}.'), 1, 5);
  });

  it('bounds the nesting depth by maxTermDepth', () => {
    const max = LIMITS.maxTermDepth.default;
    const nest = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}.`;
    assert.equal(parseTerms(nest(max)).length, 1);
    assertBadConf(() => parseTerms(nest(max + 1)), 1, max + 1);
    assertBadConf(() => parseTerms(`${'{'.repeat(4)}${'}'.repeat(4)}.`, undefined, { maxDepth: 3 }), 1, 4);
    // A deep text with a huge maxDepth fails cleanly, never with a RangeError.
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}.`;
    assert.throws(
      () => parseTerms(deep, undefined, { maxDepth: 1e9 }),
      (e) => e instanceof ChanError && e.code === 'badConf',
    );
  });

  it('refuses input over 1 MiB', () => {
    assertBadConf(() => parseTerms(' '.repeat(MAX_TERM_TEXT_CHARS + 1)), 1, 1);
    assert.deepEqual(parseTerms(' '.repeat(MAX_TERM_TEXT_CHARS)), []);
  });

  it('records the position of nested terms when asked', () => {
    const positions = new WeakMap<object, Position>();
    const [{ term }] = parseTerms('{limits,\n  [{maxFrameBytes, 1},\n   {handshakeTimeoutMs, 2}]}.', 'c', { positions });
    const list = (term as Tuple).at(1) as Term[];
    assert.deepEqual(positions.get(list), { line: 2, column: 3 });
    assert.deepEqual(positions.get(list[1] as Tuple), { line: 3, column: 4 });
    assert.deepEqual(positions.get((list[1] as Tuple).at(0) as Atom), { line: 3, column: 5 });
  });
});

describe('conf parser - parseTerm', () => {
  it('reads one term, with or without the dot', () => {
    assertTerm(parseTerm('{lookup, joe}'), tuple(atom('lookup'), atom('joe')));
    assertTerm(parseTerm('{lookup, joe}.'), tuple(atom('lookup'), atom('joe')));
    assertTerm(parseTerm('  {store, joe, "writing a book"}  . % c'), tuple(atom('store'), atom('joe'), 'writing a book'));
    assert.equal(parseTerm('42'), 42);
  });

  it('refuses nothing, or more than one term', () => {
    assertBadConf(() => parseTerm(''), 1, 1, '<term>');
    assertBadConf(() => parseTerm('{a}. {b}'), 1, 6, '<term>');
    assertBadConf(() => parseTerm('{a} {b}'), 1, 5, '<term>');
    assertBadConf(() => parseTerm('{a', { file: '--term' }), 1, 3, '--term');
  });
});

describe('conf parser - erl template', () => {
  it('inserts interpolated values as-is, never re-parsed', () => {
    const key = atom('joe');
    const value = 'it\'s } a "tricky", string.';
    assertTerm(erl`{store, ${key}, ${value}}`, tuple(atom('store'), key, value));
    const bytes = new Uint8Array([1, 2]);
    const t = erl`{x, ${bytes}, [${1}, ${'a'} | ${atom('t')}]}.` as Tuple;
    assert.equal(t.at(1), bytes);
    assertTerm(t.at(2), improperList([1, 'a'], atom('t')));
  });

  it('reads book-style literals around the values', () => {
    assertTerm(erl`{lookup, joe}`, tuple(atom('lookup'), atom('joe')));
    assertTerm(erl`#{${'k'} => [-${5}, -${2n}, 16#ff]}`, new Map<Term, Term>([['k', [-5, -2n, 255]]]));
    assert.equal(erl`${42}`, 42);
  });

  it('gives the same result at one call site with different values (parts are cached)', () => {
    const make = (v: Term) => erl`{v, ${v}}`;
    assertTerm(make(1), tuple(atom('v'), 1));
    assertTerm(make('two'), tuple(atom('v'), 'two'));
  });

  it('refuses a value inside quotes, and bad syntax, with a position', () => {
    assert.throws(
      () => erl`{a, '${1}'}`,
      (e) => e instanceof ChanError && e.code === 'badConf' && e.details.line === 1,
    );
    assert.throws(
      () => erl`{a,\n b c}`,
      (e) => e instanceof ChanError && e.details.line === 2 && e.details.column === 4,
    );
    assert.throws(
      () => erl`{a, ${1} ${2}}`,
      (e) => e instanceof ChanError && e.code === 'badConf',
    );
    assert.throws(
      () => erl`-${'x'}`,
      (e) => e instanceof ChanError && e.code === 'badConf',
    );
  });
});

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

/** Only ChanError('badConf') may escape the parser. */
function onlyBadConf(run: () => unknown): void {
  try {
    run();
  } catch (e) {
    if (!(e instanceof ChanError) || e.code !== 'badConf') throw e;
    assert.equal(typeof e.details.line, 'number');
  }
}

const VALID_CONFS = [
  BOOK_CONF,
  '{port, 1}.\n{service, s, password, none, mfa, m, f, [#{a => <<"x"/utf8>>}, $a, 16#FF, -1.5e3, [a | b]]}.\n',
  '{limits, [{maxFrameBytes, 1_048_576}]}.\n{\'quoted atom\', "s\\x{41}" "t", <<1,2>>}.\n% c\n',
];

/** Erlang text for a term of the generated subset (the inverse of the parser). */
function print(t: Term): string {
  if (typeof t === 'number') {
    if (Number.isInteger(t)) return String(t);
    const [mantissa, exponent] = t.toExponential().split('e');
    return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}e${exponent}`;
  }
  if (typeof t === 'bigint') return String(t);
  if (typeof t === 'boolean' || t === undefined) return String(t);
  if (typeof t === 'string') {
    return `"${[...t].map((c) => (c === '"' || c === '\\' ? `\\${c}` : c < ' ' ? `\\x{${c.codePointAt(0)!.toString(16)}}` : c)).join('')}"`;
  }
  if (t instanceof Atom) return `'${t.name.replace(/[\\']/g, '\\$&')}'`;
  if (t instanceof ErlFloat) return `${t.value}.0`;
  if (t instanceof Tuple) return `{${t.elements.map(print).join(', ')}}`;
  if (Array.isArray(t)) return `[${t.map(print).join(', ')}]`;
  if (t instanceof ImproperList) return `[${t.elements.map(print).join(', ')} | ${print(t.tail)}]`;
  if (t instanceof Uint8Array) return `<<${[...t].join(',')}>>`;
  if (t instanceof Map) return `#{${[...t].map(([k, v]) => `${print(k)} => ${print(v)}`).join(', ')}}`;
  throw new Error('not generated');
}

const atomName = fc.string({ maxLength: 12 }).filter((s) => !['true', 'false', 'undefined'].includes(s));
const { term: arbTerm } = fc.letrec<{ term: Term }>((tie) => ({
  term: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer().map((n): Term => n),
    fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map((n): Term => (n >= -(2n ** 53n) + 1n && n <= 2n ** 53n - 1n ? Number(n) : n)),
    fc
      .double({ noNaN: true, noDefaultInfinity: true })
      .filter((d) => !Number.isInteger(d))
      .map((d): Term => d),
    fc.integer({ min: -1e6, max: 1e6 }).map((n): Term => float(n)),
    fc
      .string({ unit: 'grapheme', maxLength: 12 })
      .filter((s) => s !== '')
      .map((s): Term => s),
    atomName.map((s): Term => atom(s)),
    fc.boolean().map((b): Term => b),
    fc.uint8Array({ maxLength: 6 }).map((b): Term => b),
    fc.array(tie('term'), { maxLength: 4 }).map((xs): Term => new Tuple(xs)),
    fc.array(tie('term'), { minLength: 1, maxLength: 4 }).map((xs): Term => xs),
    fc.tuple(fc.array(tie('term'), { minLength: 1, maxLength: 3 }), atomName).map(([xs, a]): Term => improperList(xs, atom(a))),
    fc.array(fc.tuple(atomName, tie('term')), { maxLength: 3 }).map((kvs): Term => new Map<Term, Term>([...new Map(kvs)].map(([k, v]) => [atom(k), v]))),
  ),
}));

// Any code point, lone surrogates included, with ASCII (where the syntax is) drawn as often as the rest. Not
// fast-check's unit 'binary': its first use builds a table of all 1.1 million code points, 1 s of CPU.
const anyChar = fc.oneof(
  fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
);

describe('conf parser - properties', () => {
  it('throws nothing but badConf on random text', () => {
    fc.assert(
      fc.property(fc.string({ unit: anyChar, maxLength: 200 }), (s) => {
        onlyBadConf(() => parseTerms(s));
        onlyBadConf(() => parseTerm(s));
      }),
      { numRuns: 1000, seed: 42 },
    );
  });

  it('throws nothing but badConf on mutated valid confs', () => {
    const alphabet = fc.constantFrom(...'{}[]()<>|,.#$%\'"\\-+=:/ \n\t0123456789abcAZ_#e'.split(''));
    const edit = fc.tuple(fc.nat(), fc.nat(3), fc.string({ unit: alphabet, maxLength: 3 }));
    fc.assert(
      fc.property(fc.constantFrom(...VALID_CONFS), fc.array(edit, { minLength: 1, maxLength: 6 }), (conf, edits) => {
        let text = conf;
        for (const [at, del, ins] of edits) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + ins + text.slice(i + del);
        }
        onlyBadConf(() => parseTerms(text, 'mutated.conf'));
      }),
      { numRuns: 1200, seed: 7 },
    );
  });

  it('reads back what it prints (the generated subset)', () => {
    fc.assert(
      fc.property(arbTerm, (t) => {
        const text = print(t);
        const back = parseTerm(text);
        assert.ok(termEqual(back, t), `${text}`);
        assert.ok(termEqual(parseTerms(`${text}.\n`)[0].term, t));
      }),
      { numRuns: 500, seed: 1 },
    );
  });
});
