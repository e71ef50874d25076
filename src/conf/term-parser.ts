/**
 * Parser for Erlang term text, as `file:consult` reads it, into the JS term
 * model of `wire/etf/term.ts`.
 *
 * Accepted: atoms, integers (any size; `16#FF`, `$a`, `1_000`), floats,
 * strings with adjacent concatenation (`"ab" "cd"`), tuples, proper and
 * improper lists, simple binaries (`<<"abc">>`, `<<1,2,3>>`, `<<"x"/utf8>>`),
 * maps (`#{k => v}`) and a unary minus before a number. Nothing else: no
 * variables, operators, funs, records or expressions.
 *
 * Mapping: atom -> `Atom`, except `true`/`false` -> booleans and `undefined`
 * -> `undefined`; string -> JS string; integer -> number, or bigint beyond
 * the safe range; an integral float literal -> `ErlFloat`; map -> `Map`
 * (a repeated key keeps the last value, as in Erlang).
 *
 * Bounded: input of at most {@link MAX_TERM_TEXT_CHARS} characters, nesting
 * of at most `maxTermDepth` (LIMITS) levels. Only `ChanError('badConf')` is
 * ever thrown, with `details: {file, line, column}`.
 */
import { ChanError } from '../errors.ts';
import { LIMITS } from '../limits.ts';
import { Atom, BitBinary, ErlFloat, ImproperList, Opaque, Tuple, float, type Term } from '../wire/etf/term.ts';
import { SECRET_LOOKBACK, TermLexer, mayBeSecret, spansLines, termError, type Position, type Token, type TokenSource } from './term-lexer.ts';

const UTF8 = new TextEncoder();

/** Largest term text read (a conf file, a `--term` argument): 1 MiB of characters. */
export const MAX_TERM_TEXT_CHARS = 1024 * 1024;

export interface ParseOptions {
  /** Name shown in error messages; default `<input>` (`<term>` for parseTerm). */
  file?: string;
  /** Deepest nesting of tuples, lists, maps and binaries; default LIMITS.maxTermDepth.default. */
  maxDepth?: number;
  /**
   * When given, the position of every object-valued term (Atom, Tuple, list,
   * Map, ErlFloat, binary) is recorded here, so later checks can point at
   * the exact line of a nested element.
   */
  positions?: WeakMap<object, Position>;
}

export interface ParsedTerm {
  term: Term;
  line: number;
  column: number;
}

/** Read every `Term.` of a conf text, with the position where each term starts. */
export function parseTerms(text: string, file?: string, options: Omit<ParseOptions, 'file'> = {}): ParsedTerm[] {
  const name = file ?? '<input>';
  checkSize(text, name);
  return guardStack(name, () => new TermParser(new TermLexer(text, { file: name }), { ...options, file: name }).all());
}

/** Read exactly one term; the trailing `.` is optional (`lib_chan call --term '{lookup, joe}'`). */
export function parseTerm(text: string, options: ParseOptions = {}): Term {
  const name = options.file ?? '<term>';
  checkSize(text, name);
  return guardStack(name, () => new TermParser(new TermLexer(text, { file: name }), { ...options, file: name }).one());
}

function checkSize(text: string, file: string): void {
  if (text.length > MAX_TERM_TEXT_CHARS) {
    throw termError(file, { line: 1, column: 1 }, `input is ${text.length} characters long; the limit is ${MAX_TERM_TEXT_CHARS} (1 MiB)`);
  }
}

/** A deep maxDepth could still exhaust the JS stack: report it as the conf error it is. */
function guardStack<T>(file: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof RangeError) {
      throw new ChanError('badConf', `${file}: term is nested too deeply to read`, { details: { file }, cause: e });
    }
    throw e;
  }
}

/**
 * How a token is named in a message. String contents are never shown: they
 * may be secrets; with `hide`, neither is the text of a word or number.
 */
export function describeToken(t: Token, hide = false): string {
  if (hide && (t.kind === 'atom' || t.kind === 'var')) return t.kind === 'atom' && t.quoted ? 'a quoted atom' : 'a bare word';
  if (spansLines(t)) return t.kind === 'atom' ? `a quoted atom from line ${t.line}` : `a string from line ${t.line}`;
  if (hide && (t.kind === 'integer' || t.kind === 'float')) return 'a number';
  switch (t.kind) {
    case 'atom':
      return `'${t.name.replace(/[\\']/g, '\\$&')}'`;
    case 'var':
      return `variable ${t.name}`;
    case 'integer':
    case 'float':
      return `number ${t.text}`;
    case 'string':
      return 'a string';
    case 'punct':
      return `'${t.value}'`;
    case 'dot':
      return "'.'";
    case 'value':
      return 'an interpolated ${...} value';
    case 'eof':
      return 'end of input';
  }
}

function toInteger(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** The parser over any token source (the lexer, or the `erl` template's token list). */
export class TermParser {
  private tok: Token;
  /** The last tokens consumed, for {@link mayBeSecret}. */
  private readonly recent: Token[] = [];
  private readonly src: TokenSource;
  private readonly file: string;
  private readonly maxDepth: number;
  private readonly positions: WeakMap<object, Position> | undefined;

  constructor(src: TokenSource, options: ParseOptions) {
    this.src = src;
    this.file = options.file ?? '<input>';
    this.maxDepth = options.maxDepth ?? LIMITS.maxTermDepth.default;
    this.positions = options.positions;
    this.tok = src.next();
  }

  /** Terms each followed by a dot, up to the end of the input. */
  all(): ParsedTerm[] {
    const out: ParsedTerm[] = [];
    while (this.tok.kind !== 'eof') {
      const { line, column } = this.tok;
      const term = this.term(0);
      if (this.tok.kind !== 'dot') throw this.unexpected("expected '.' after the term");
      this.advance();
      out.push({ term, line, column });
    }
    return out;
  }

  /** Exactly one term, with an optional dot. */
  one(): Term {
    if (this.tok.kind === 'eof') throw this.unexpected('expected a term');
    const term = this.term(0);
    if (this.kind() === 'dot') this.advance();
    if (this.kind() !== 'eof') {
      throw this.unexpected('expected exactly one term, but more follows it');
    }
    return term;
  }

  /** The current token's kind (a call, so TypeScript does not keep a stale narrowing). */
  private kind(): Token['kind'] {
    return this.tok.kind;
  }

  private advance(): Token {
    const t = this.tok;
    this.recent.push(t);
    if (this.recent.length > SECRET_LOOKBACK) this.recent.shift();
    this.tok = this.src.next();
    return t;
  }

  /** The current token as a message names it, and a hint if a quote looks unbalanced. */
  private found(): string {
    const t = this.tok;
    const text = describeToken(t, mayBeSecret(this.recent));
    const last = this.recent[this.recent.length - 1];
    if (last !== undefined && spansLines(last)) {
      const what = last.kind === 'string' ? 'string' : 'quoted atom';
      return `${text} (after a ${what} that runs from line ${last.line}: is a closing quote missing?)`;
    }
    if (spansLines(t)) return `${text} (it spans lines: is a closing quote missing?)`;
    return text;
  }

  private fail(pos: Position, problem: string): ChanError {
    return termError(this.file, pos, problem);
  }

  private unexpected(what: string): ChanError {
    const t = this.tok;
    if (t.kind === 'punct' && t.value === '.') {
      return this.fail(t, "a '.' ending a term must be followed by whitespace, a comment or the end of input");
    }
    return this.fail(t, `${what}, found ${this.found()}`);
  }

  private expectPunct(value: string, what: string): void {
    if (this.tok.kind !== 'punct' || this.tok.value !== value) throw this.unexpected(what);
    this.advance();
  }

  private isPunct(value: string): boolean {
    return this.tok.kind === 'punct' && this.tok.value === value;
  }

  private at<T extends Term>(pos: Position, term: T): T {
    if (this.positions !== undefined && typeof term === 'object' && term !== null) {
      this.positions.set(term, { line: pos.line, column: pos.column });
    }
    return term;
  }

  /** Enter a container at nesting level depth + 1. */
  private enter(pos: Position, depth: number): number {
    if (depth + 1 > this.maxDepth) {
      throw this.fail(pos, `term is nested more than ${this.maxDepth} levels deep (limit maxTermDepth)`);
    }
    return depth + 1;
  }

  private term(depth: number): Term {
    const t = this.tok;
    switch (t.kind) {
      case 'atom':
        this.advance();
        // 'true' and true are the same atom in Erlang, so quoting changes nothing.
        if (t.name === 'true') return true;
        if (t.name === 'false') return false;
        if (t.name === 'undefined') return undefined;
        return this.at(t, new Atom(t.name));
      case 'integer':
        this.advance();
        return toInteger(t.value);
      case 'float':
        this.advance();
        return this.at(t, float(t.value));
      case 'string':
        return this.strings();
      case 'value':
        this.advance();
        return t.value;
      case 'var':
        if (mayBeSecret(this.recent)) throw this.unexpected('expected a term (a word starting with a capital or _ is a variable; quote it)');
        throw this.fail(t, `variables are not allowed in terms: ${t.name} (write '${t.name}' for an atom, or "${t.name}" for a string)`);
      case 'punct':
        return this.punctTerm(t, depth);
      case 'dot':
      case 'eof':
        throw this.unexpected('expected a term');
    }
  }

  private strings(): string {
    let s = '';
    for (let t = this.tok; t.kind === 'string'; t = this.tok) {
      s += t.value;
      this.advance();
    }
    return s;
  }

  private punctTerm(t: Token & { kind: 'punct' }, depth: number): Term {
    switch (t.value) {
      case '{':
        return this.tuple(t, this.enter(t, depth));
      case '[':
        return this.list(t, this.enter(t, depth));
      case '<<':
        this.enter(t, depth);
        return this.binary(t);
      case '#':
        return this.map(t, this.enter(t, depth));
      case '-':
        return this.negative(t);
      case '(':
        throw this.fail(t, "'(' is not allowed: terms are plain data, with no expressions or function calls");
      default:
        throw this.unexpected('expected a term');
    }
  }

  private negative(minus: Token): Term {
    this.advance();
    const t = this.tok;
    if (t.kind === 'integer') {
      this.advance();
      return toInteger(-t.value);
    }
    if (t.kind === 'float') {
      this.advance();
      return this.at(minus, float(-t.value));
    }
    if (t.kind === 'value') {
      this.advance();
      if (typeof t.value === 'number' || typeof t.value === 'bigint') return -t.value;
      if (t.value instanceof ErlFloat) return float(-t.value.value);
    }
    throw this.fail(minus, `'-' may only precede a number, found ${this.found()}`);
  }

  private tuple(open: Token, depth: number): Tuple {
    this.advance();
    const elements: Term[] = [];
    if (!this.isPunct('}')) {
      for (;;) {
        elements.push(this.term(depth));
        if (this.isPunct(',')) {
          this.advance();
          continue;
        }
        this.expectPunct('}', "expected ',' or '}' after tuple element");
        break;
      }
    } else {
      this.advance();
    }
    return this.at(open, new Tuple(elements));
  }

  private list(open: Token, depth: number): Term {
    this.advance();
    if (this.isPunct(']')) {
      this.advance();
      return this.at(open, []);
    }
    const elements: Term[] = [];
    for (;;) {
      elements.push(this.term(depth));
      if (this.isPunct(',')) {
        this.advance();
        continue;
      }
      if (this.isPunct('|')) {
        this.advance();
        const tail = this.term(depth);
        this.expectPunct(']', "expected ']' after the tail of a list ([Head | Tail])");
        return this.withTail(open, elements, tail);
      }
      this.expectPunct(']', "expected ',', '|' or ']' after list element");
      return this.at(open, elements);
    }
  }

  /** `[a, b | Tail]`: a proper tail makes a proper list, as in Erlang. */
  private withTail(open: Token, elements: Term[], tail: Term): Term {
    if (Array.isArray(tail)) return this.at(open, elements.concat(tail));
    if (typeof tail === 'string') {
      for (const ch of tail) elements.push(ch.codePointAt(0)!);
      return this.at(open, elements);
    }
    if (tail instanceof ImproperList) return this.at(open, new ImproperList(elements.concat(tail.elements), tail.tail));
    return this.at(open, new ImproperList(elements, tail));
  }

  private map(hash: Token, depth: number): Map<Term, Term> {
    this.advance();
    if (this.tok.kind === 'atom') {
      throw this.fail(hash, `records are not supported (#${this.tok.name}{...}); write a tuple or a map #{...}`);
    }
    this.expectPunct('{', "expected '{' after '#' (a map is written #{Key => Value, ...})");
    const out = new Map<Term, Term>();
    const keys = new Map<string, Term>();
    if (this.isPunct('}')) {
      this.advance();
      return this.at(hash, out);
    }
    for (;;) {
      const key = this.term(depth);
      if (this.isPunct(':=')) throw this.fail(this.tok, "':=' only updates an existing map; a map literal uses '=>'");
      this.expectPunct('=>', "expected '=>' after map key");
      const value = this.term(depth);
      const canon = canonicalKey(key);
      // A repeated key keeps the last value, as in Erlang; keys are compared by value.
      if (keys.has(canon)) out.delete(keys.get(canon));
      keys.set(canon, key);
      out.set(key, value);
      if (this.isPunct(',')) {
        this.advance();
        continue;
      }
      this.expectPunct('}', "expected ',' or '}' after map value");
      return this.at(hash, out);
    }
  }

  private binary(open: Token): Uint8Array {
    this.advance();
    const bytes: number[] = [];
    if (this.isPunct('>>')) {
      this.advance();
      return this.at(open, new Uint8Array(0));
    }
    for (;;) {
      this.segment(bytes);
      if (this.isPunct(',')) {
        this.advance();
        continue;
      }
      this.expectPunct('>>', "expected ',' or '>>' after binary segment");
      return this.at(open, Uint8Array.from(bytes));
    }
  }

  /** One segment of the simple forms: `"text"`, `"text"/utf8`, `Byte`, `Char/utf8`. */
  private segment(bytes: number[]): void {
    const t = this.tok;
    let codes: number[];
    if (t.kind === 'string') {
      codes = Array.from(this.strings(), (ch) => ch.codePointAt(0)!);
    } else if (t.kind === 'integer') {
      this.advance();
      codes = [Number(t.value > 0x10ffffn ? 0x110000n : t.value)];
    } else if (t.kind === 'punct' && t.value === '-') {
      this.advance();
      const n = this.tok;
      if (n.kind !== 'integer') throw this.fail(t, `'-' may only precede a number, found ${this.found()}`);
      this.advance();
      codes = [-Number(n.value > 0x10ffffn ? 0x110000n : n.value)];
    } else {
      throw this.unexpected('expected a binary segment ("text" or an integer 0..255)');
    }
    if (this.isPunct(':')) {
      throw this.fail(this.tok, 'binary segment sizes (Value:Size) are not supported; use <<"text">>, <<"text"/utf8>> or <<Byte, ...>>');
    }
    let type = 'integer';
    if (this.isPunct('/')) {
      this.advance();
      const ty = this.tok;
      if (ty.kind !== 'atom' || (ty.name !== 'utf8' && ty.name !== 'integer')) {
        throw this.fail(ty, `unsupported binary segment type ${this.found()}: only /utf8 and /integer are supported`);
      }
      this.advance();
      type = ty.name;
    }
    const what = t.kind === 'string' ? 'character' : 'value';
    for (const c of codes) {
      if (type === 'utf8') {
        if (c < 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) throw this.fail(t, `binary segment ${what} ${c} is not a Unicode code point`);
        for (const b of UTF8.encode(String.fromCodePoint(c))) bytes.push(b);
      } else {
        if (c < 0 || c > 255) {
          const hint = t.kind === 'string' ? '; write <<"..."/utf8>> for UTF-8' : '';
          throw this.fail(t, `binary segment ${what} ${c > 0x10ffff ? 'too large' : c} does not fit in a byte (0..255)${hint}`);
        }
        bytes.push(c);
      }
    }
  }
}

/**
 * A string that is equal for terms Erlang's `=:=` calls equal (a charlist and
 * its list of codes, `[]` and `""`), used to find repeated map keys.
 */
function canonicalKey(t: Term): string {
  if (typeof t === 'string') return canonicalKey(Array.from(t, (ch) => ch.codePointAt(0)!));
  if (typeof t === 'number') return Object.is(t, -0) ? 'n-0' : `n${t}`;
  if (typeof t === 'bigint') return `n${t}`;
  if (typeof t === 'boolean' || t === undefined) return `a${String(t)}`;
  if (t instanceof Atom) return `a${t.name}`;
  if (t instanceof ErlFloat) return `f${t.value}`;
  if (t instanceof Tuple) return `{${t.elements.map(canonicalKey).join(',')}}`;
  if (Array.isArray(t)) return `[${t.map(canonicalKey).join(',')}]`;
  if (t instanceof ImproperList) return `[${t.elements.map(canonicalKey).join(',')}|${canonicalKey(t.tail)}]`;
  if (t instanceof Uint8Array) return `<${t.join(',')}>`;
  if (t instanceof BitBinary) return `<${t.bytes.join(',')}:${t.bits}>`;
  if (t instanceof Opaque) return `o${t.tag}:${t.bytes.join(',')}`;
  if (t instanceof Map) {
    return `#{${[...t]
      .map(([k, v]) => `${canonicalKey(k)}=>${canonicalKey(v)}`)
      .sort()
      .join(',')}}`;
  }
  return `#{${Object.keys(t)
    .map((k) => `a${k}=>${canonicalKey(t[k])}`)
    .sort()
    .join(',')}}`;
}
