/**
 * Lexer for Erlang term text, as `file:consult` reads it.
 *
 * Tokens carry their 1-based line and column. Every error is a
 * `ChanError('badConf')` whose message starts with `file:line:column:` and
 * whose details hold `{file, line, column}`. The lexer is pull-based
 * (`next()`), so a huge input never becomes a huge token array.
 *
 * Erlang rules kept: `%` comments, the escape set of strings and quoted atoms
 * (`\n`, `\x{1F600}`, octal `\101`, `\^A`, unknown `\c` = `c`), `16#FF`,
 * `$a`, `1_000` (OTP 25), reserved words are not atoms unless quoted, atoms
 * are at most 255 characters, and a `.` ends a term only when whitespace,
 * `%` or the end of the input follows it.
 */
import { ChanError } from '../errors.ts';
import type { Term } from '../wire/etf/term.ts';

export interface Position {
  line: number;
  column: number;
}

/** Punctuation the lexer knows; most of it only lets the parser say what is wrong. */
export type Punct =
  | '{'
  | '}'
  | '['
  | ']'
  | '('
  | ')'
  | ','
  | '|'
  | '||'
  | '#'
  | '/'
  | ':'
  | ';'
  | '-'
  | '+'
  | '='
  | '<'
  | '>'
  | '<<'
  | '>>'
  | '=>'
  | ':='
  | '.'
  | '*'
  | '!'
  | '?';

export type Token = Position &
  (
    | { kind: 'atom'; name: string; quoted: boolean }
    | { kind: 'var'; name: string }
    | { kind: 'integer'; value: bigint; text: string }
    | { kind: 'float'; value: number; text: string }
    | { kind: 'string'; value: string }
    | { kind: 'punct'; value: Punct }
    /** The `.` that ends a term. */
    | { kind: 'dot' }
    /** A value interpolated by the `erl` tagged template, inserted as-is. */
    | { kind: 'value'; value: Term }
    | { kind: 'eof' }
  );

/** Words of the Erlang grammar: not atoms unless quoted. */
export const RESERVED_WORDS: ReadonlySet<string> = new Set([
  'after',
  'and',
  'andalso',
  'band',
  'begin',
  'bnot',
  'bor',
  'bsl',
  'bsr',
  'bxor',
  'case',
  'catch',
  'cond',
  'div',
  'end',
  'fun',
  'if',
  'let',
  'not',
  'of',
  'or',
  'orelse',
  'receive',
  'rem',
  'try',
  'when',
  'xor',
]);

/**
 * True when the next token may be part of a password whose quotes were lost:
 * it closely follows the atom `password` or `scrypt`, or a string or quoted
 * atom that spans lines, or comes right after a string (both usual signs of a misplaced
 * quote). Error messages then describe that token without its text.
 * `recent` holds the last tokens read before it, oldest first.
 */
export function mayBeSecret(recent: readonly Token[]): boolean {
  const last = recent[recent.length - 1];
  return (
    last?.kind === 'string' ||
    recent.some((t) => t.kind === 'atom' && (t.name === 'password' || t.name === 'scrypt')) ||
    recent.some((t) => (t.kind === 'string' || (t.kind === 'atom' && t.quoted)) && spansLines(t))
  );
}

/** A string or quoted atom holding a newline: usually an unbalanced quote swallowing text. */
export function spansLines(t: Token): boolean {
  return (t.kind === 'string' && t.value.includes('\n')) || (t.kind === 'atom' && t.name.includes('\n'));
}

/** How many tokens {@link mayBeSecret} looks back. */
export const SECRET_LOOKBACK = 3;

/** Erlang's limit on the length of an atom, in characters. */
export const MAX_ATOM_CHARS = 255;
/** Longest integer literal we accept, in characters (a conf has no use for bigger bignums). */
export const MAX_INTEGER_CHARS = 1_000;

const ESCAPES: Readonly<Record<string, number>> = {
  b: 8,
  d: 127,
  e: 27,
  f: 12,
  n: 10,
  r: 13,
  s: 32,
  t: 9,
  v: 11,
};

const SINGLE_PUNCT = new Set('{}[](),|#/:;-+=<>.*!?');

/** Build the one error shape of the term reader. */
export function termError(file: string, pos: Position, problem: string): ChanError {
  return new ChanError('badConf', `${file}:${pos.line}:${pos.column}: ${problem}`, {
    details: { file, line: pos.line, column: pos.column },
  });
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Erlang whitespace: control characters, space, and Latin-1 128..160; plus the BOM. */
function isSpace(c: number): boolean {
  return c <= 0x20 || (c >= 0x80 && c <= 0xa0) || c === 0xfeff;
}

function isLower(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0xdf && c <= 0xff && c !== 0xf7);
}

function isUpper(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0xc0 && c <= 0xde && c !== 0xd7);
}

function isNameChar(c: number): boolean {
  return isLower(c) || isUpper(c) || isDigit(c) || c === 0x5f /* _ */ || c === 0x40; /* @ */
}

function digitValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x5a) return c - 0x41 + 10;
  return 99;
}

/** How a character is shown in a message: `'x'` or `U+0007`. */
export function showChar(cp: number): string {
  if (cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp <= 0xa0)) return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return `'${String.fromCodePoint(cp)}'`;
}

export interface LexerOptions {
  /** Name used in error messages. */
  file: string;
  /** Position of the first character (the `erl` template lexes its parts one by one). */
  start?: Position;
  /** Set by the `erl` template: an unterminated quote then names `${...}` as the likely cause. */
  templatePart?: boolean;
}

export class TermLexer {
  private readonly text: string;
  private readonly file: string;
  private readonly templatePart: boolean;
  private i = 0;
  /** The last tokens returned, for {@link mayBeSecret}. */
  private readonly recent: Token[] = [];
  private line: number;
  private lineStart: number;

  constructor(text: string, options: LexerOptions) {
    this.text = text;
    this.file = options.file;
    this.templatePart = options.templatePart ?? false;
    const start = options.start ?? { line: 1, column: 1 };
    this.line = start.line;
    // Columns are (index - lineStart + 1); shift lineStart so the first one is start.column.
    this.lineStart = 1 - start.column;
  }

  /** Where the lexer stands now (after the last token it returned). */
  position(): Position {
    return { line: this.line, column: this.i - this.lineStart + 1 };
  }

  private fail(pos: Position, problem: string): ChanError {
    return termError(this.file, pos, problem);
  }

  private code(at = this.i): number {
    return at < this.text.length ? this.text.charCodeAt(at) : -1;
  }

  /** Advance over one code point (counting lines) and return it. */
  private take(): number {
    const cp = this.text.codePointAt(this.i)!;
    this.i += cp > 0xffff ? 2 : 1;
    if (cp === 0x0a) {
      this.line++;
      this.lineStart = this.i;
    }
    return cp;
  }

  next(): Token {
    const t = this.scan();
    this.recent.push(t);
    if (this.recent.length > SECRET_LOOKBACK) this.recent.shift();
    return t;
  }

  private scan(): Token {
    this.skipSpaceAndComments();
    const pos = this.position();
    const c = this.code();
    if (c < 0) return { kind: 'eof', ...pos };
    if (isDigit(c)) return this.number(pos);
    if (c === 0x24 /* $ */) return this.charLiteral(pos);
    if (c === 0x27 /* ' */) return this.quotedAtom(pos);
    if (c === 0x22 /* " */) return { kind: 'string', value: this.quoted(pos, 0x22, 'string'), ...pos };
    if (isLower(c)) return this.bareAtom(pos);
    if (isUpper(c) || c === 0x5f) return this.variable(pos);
    return this.punct(pos, c);
  }

  private skipSpaceAndComments(): void {
    for (;;) {
      const c = this.code();
      if (c < 0) return;
      if (c === 0x25 /* % */) {
        while (this.i < this.text.length && this.code() !== 0x0a) this.i++;
      } else if (isSpace(c)) {
        this.take();
      } else {
        return;
      }
    }
  }

  private punct(pos: Position, c: number): Token {
    const two = this.text.slice(this.i, this.i + 2);
    if (two === '<<' || two === '>>' || two === '=>' || two === ':=' || two === '||') {
      this.i += 2;
      return { kind: 'punct', value: two, ...pos };
    }
    const ch = String.fromCharCode(c);
    if (ch === '.') {
      this.i++;
      const after = this.code();
      if (after < 0 || isSpace(after) || after === 0x25) return { kind: 'dot', ...pos };
      return { kind: 'punct', value: '.', ...pos };
    }
    if (SINGLE_PUNCT.has(ch)) {
      this.i++;
      return { kind: 'punct', value: ch as Punct, ...pos };
    }
    const cp = this.text.codePointAt(this.i)!;
    throw this.fail(pos, `unexpected character ${showChar(cp)}`);
  }

  private bareAtom(pos: Position): Token {
    const start = this.i;
    while (this.i < this.text.length && isNameChar(this.code())) this.i++;
    const name = this.text.slice(start, this.i);
    if (RESERVED_WORDS.has(name)) {
      const word = mayBeSecret(this.recent) ? 'this word' : `'${name}'`;
      throw this.fail(pos, `${word} is a reserved word of Erlang, not an atom; write it quoted to use it as an atom`);
    }
    this.checkAtomLength(pos, name);
    return { kind: 'atom', name, quoted: false, ...pos };
  }

  private variable(pos: Position): Token {
    const start = this.i;
    while (this.i < this.text.length && isNameChar(this.code())) this.i++;
    return { kind: 'var', name: this.text.slice(start, this.i), ...pos };
  }

  private quotedAtom(pos: Position): Token {
    const name = this.quoted(pos, 0x27, 'quoted atom');
    this.checkAtomLength(pos, name);
    return { kind: 'atom', name, quoted: true, ...pos };
  }

  private checkAtomLength(pos: Position, name: string): void {
    let n = 0;
    for (const _ of name) n++;
    if (n > MAX_ATOM_CHARS) throw this.fail(pos, `atom is ${n} characters long; Erlang allows at most ${MAX_ATOM_CHARS}`);
  }

  /** Body of a string or quoted atom; the lexer stands on the opening quote. */
  private quoted(pos: Position, quote: number, what: string): string {
    this.i++;
    const parts: string[] = [];
    let runStart = this.i;
    for (;;) {
      const c = this.code();
      if (c < 0) {
        const hint = this.templatePart ? ' (a ${...} value cannot be placed inside quotes)' : '';
        throw this.fail(pos, `unterminated ${what} (no closing ${String.fromCharCode(quote)})${hint}`);
      }
      if (c === quote) {
        parts.push(this.text.slice(runStart, this.i));
        this.i++;
        return parts.join('');
      }
      if (c === 0x5c /* \ */) {
        parts.push(this.text.slice(runStart, this.i));
        parts.push(String.fromCodePoint(this.escape()));
        runStart = this.i;
      } else {
        this.take();
      }
    }
  }

  /** One escape sequence; the lexer stands on the backslash. Returns the code point. */
  private escape(): number {
    const pos = this.position();
    this.i++;
    const c = this.code();
    if (c < 0) throw this.fail(pos, 'unterminated escape sequence at end of input');
    const ch = String.fromCharCode(c);
    if (Object.hasOwn(ESCAPES, ch)) {
      this.i++;
      return ESCAPES[ch];
    }
    if (c >= 0x30 && c <= 0x37) {
      let v = 0;
      for (let k = 0; k < 3 && this.code() >= 0x30 && this.code() <= 0x37; k++) {
        v = v * 8 + (this.code() - 0x30);
        this.i++;
      }
      return v;
    }
    if (ch === 'x') {
      this.i++;
      if (this.code() === 0x7b /* { */) {
        this.i++;
        const start = this.i;
        while (digitValue(this.code()) < 16) this.i++;
        const hex = this.text.slice(start, this.i);
        if (hex.length === 0 || this.code() !== 0x7d /* } */) {
          throw this.fail(pos, 'bad escape: \\x{ must be followed by hex digits and }');
        }
        this.i++;
        return this.checkCodePoint(pos, hex.length > 8 ? Infinity : parseInt(hex, 16));
      }
      const a = digitValue(this.code());
      const b = digitValue(this.code(this.i + 1));
      if (a >= 16 || b >= 16) throw this.fail(pos, 'bad escape: \\x must be followed by two hex digits or {hex digits}');
      this.i += 2;
      return a * 16 + b;
    }
    if (ch === '^') {
      this.i++;
      const d = this.code();
      if (d < 0) throw this.fail(pos, 'unterminated escape sequence at end of input');
      this.take();
      return d === 0x3f /* ? */ ? 127 : d & 0x1f;
    }
    // Erlang: any other escaped character stands for itself (\\, \", \', \newline ...).
    return this.take();
  }

  private checkCodePoint(pos: Position, cp: number): number {
    if (!(cp <= 0x10ffff) || (cp >= 0xd800 && cp <= 0xdfff)) {
      throw this.fail(pos, 'bad escape: \\x{...} is not a Unicode code point');
    }
    return cp;
  }

  private charLiteral(pos: Position): Token {
    const start = this.i;
    this.i++;
    const c = this.code();
    if (c < 0) throw this.fail(pos, "'$' at end of input: a character literal needs a character ($a)");
    const cp = c === 0x5c ? this.escape() : this.take();
    return { kind: 'integer', value: BigInt(cp), text: this.text.slice(start, this.i), ...pos };
  }

  /** Digits (in `base`) with single underscores between them; returns the text without underscores. */
  private digits(pos: Position, base: number): string {
    const start = this.i;
    let out = '';
    for (;;) {
      const c = this.code();
      if (digitValue(c) < base) {
        out += String.fromCharCode(c);
        this.i++;
      } else if (c === 0x5f && out.length > 0 && digitValue(this.code(this.i + 1)) < base) {
        this.i++;
      } else {
        break;
      }
      if (this.i - start > MAX_INTEGER_CHARS) throw this.fail(pos, `number literal longer than ${MAX_INTEGER_CHARS} characters`);
    }
    return out;
  }

  private number(pos: Position): Token {
    const start = this.i;
    const intDigits = this.digits(pos, 10);
    if (this.code() === 0x23 /* # */) {
      const base = Number(intDigits);
      if (!(base >= 2 && base <= 36)) throw this.fail(pos, `base ${intDigits} is not allowed: an integer base must be from 2 to 36`);
      this.i++;
      const body = this.digits(pos, base);
      if (body.length === 0) {
        const c = this.code();
        const found = c < 0 ? 'end of input' : showChar(this.text.codePointAt(this.i)!);
        throw this.fail(pos, `expected digits of base ${base} after '${intDigits}#', found ${found}`);
      }
      if (isNameChar(this.code())) {
        throw this.fail(this.position(), `${showChar(this.code())} is not a digit of base ${base}`);
      }
      let value = 0n;
      const b = BigInt(base);
      for (let k = 0; k < body.length; k++) value = value * b + BigInt(digitValue(body.charCodeAt(k)));
      return { kind: 'integer', value, text: this.text.slice(start, this.i), ...pos };
    }
    if (this.code() === 0x2e /* . */ && isDigit(this.code(this.i + 1))) {
      this.i++;
      const frac = this.digits(pos, 10);
      let exp = '';
      const e = this.code();
      if (e === 0x65 || e === 0x45) {
        const sign = this.code(this.i + 1);
        const hasSign = sign === 0x2b || sign === 0x2d;
        if (isDigit(this.code(this.i + (hasSign ? 2 : 1)))) {
          this.i += hasSign ? 2 : 1;
          exp = `e${hasSign ? String.fromCharCode(sign) : ''}${this.digits(pos, 10)}`;
        }
      }
      const text = this.text.slice(start, this.i);
      const value = Number(`${intDigits}.${frac}${exp}`);
      if (!Number.isFinite(value)) throw this.fail(pos, `float ${text} is out of range`);
      return { kind: 'float', value, text, ...pos };
    }
    return { kind: 'integer', value: BigInt(intDigits), text: this.text.slice(start, this.i), ...pos };
  }
}

/** A stream of tokens with one token of lookahead (what the parser reads from). */
export interface TokenSource {
  next(): Token;
}
