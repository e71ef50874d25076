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
export type Punct = '{' | '}' | '[' | ']' | '(' | ')' | ',' | '|' | '||' | '#' | '/' | ':' | ';' | '-' | '+' | '=' | '<' | '>' | '<<' | '>>' | '=>' | ':=' | '.' | '*' | '!' | '?';
export type Token = Position & ({
    kind: 'atom';
    name: string;
    quoted: boolean;
} | {
    kind: 'var';
    name: string;
} | {
    kind: 'integer';
    value: bigint;
    text: string;
} | {
    kind: 'float';
    value: number;
    text: string;
} | {
    kind: 'string';
    value: string;
} | {
    kind: 'punct';
    value: Punct;
}
/** The `.` that ends a term. */
 | {
    kind: 'dot';
}
/** A value interpolated by the `erl` tagged template, inserted as-is. */
 | {
    kind: 'value';
    value: Term;
} | {
    kind: 'eof';
});
/** Words of the Erlang grammar: not atoms unless quoted. */
export declare const RESERVED_WORDS: ReadonlySet<string>;
/**
 * True when the next token may be part of a password whose quotes were lost:
 * it closely follows the atom `password` or `scrypt`, or a string or quoted
 * atom that spans lines, or comes right after a string (both usual signs of a misplaced
 * quote). Error messages then describe that token without its text.
 * `recent` holds the last tokens read before it, oldest first.
 */
export declare function mayBeSecret(recent: readonly Token[]): boolean;
/** A string or quoted atom holding a newline: usually an unbalanced quote swallowing text. */
export declare function spansLines(t: Token): boolean;
/** How many tokens {@link mayBeSecret} looks back. */
export declare const SECRET_LOOKBACK = 3;
/** Erlang's limit on the length of an atom, in characters. */
export declare const MAX_ATOM_CHARS = 255;
/** Longest integer literal we accept, in characters (a conf has no use for bigger bignums). */
export declare const MAX_INTEGER_CHARS = 1000;
/** Build the one error shape of the term reader. */
export declare function termError(file: string, pos: Position, problem: string): ChanError;
/** How a character is shown in a message: `'x'` or `U+0007`. */
export declare function showChar(cp: number): string;
export interface LexerOptions {
    /** Name used in error messages. */
    file: string;
    /** Position of the first character (the `erl` template lexes its parts one by one). */
    start?: Position;
    /** Set by the `erl` template: an unterminated quote then names `${...}` as the likely cause. */
    templatePart?: boolean;
}
export declare class TermLexer {
    private readonly text;
    private readonly file;
    private readonly templatePart;
    private i;
    /** The last tokens returned, for {@link mayBeSecret}. */
    private readonly recent;
    private line;
    private lineStart;
    constructor(text: string, options: LexerOptions);
    /** Where the lexer stands now (after the last token it returned). */
    position(): Position;
    private fail;
    private code;
    /** Advance over one code point (counting lines) and return it. */
    private take;
    next(): Token;
    private scan;
    private skipSpaceAndComments;
    private punct;
    private bareAtom;
    private variable;
    private quotedAtom;
    private checkAtomLength;
    /** Body of a string or quoted atom; the lexer stands on the opening quote. */
    private quoted;
    /** One escape sequence; the lexer stands on the backslash. Returns the code point. */
    private escape;
    private checkCodePoint;
    private charLiteral;
    /** Digits (in `base`) with single underscores between them; returns the text without underscores. */
    private digits;
    private number;
}
/** A stream of tokens with one token of lookahead (what the parser reads from). */
export interface TokenSource {
    next(): Token;
}
//# sourceMappingURL=term-lexer.d.ts.map