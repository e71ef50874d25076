import { type Term } from '../wire/etf/term.ts';
import { type Position, type Token, type TokenSource } from './term-lexer.ts';
/** Largest term text read (a conf file, a `--term` argument): 1 MiB of characters. */
export declare const MAX_TERM_TEXT_CHARS: number;
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
export declare function parseTerms(text: string, file?: string, options?: Omit<ParseOptions, 'file'>): ParsedTerm[];
/** Read exactly one term; the trailing `.` is optional (`lib_chan call --term '{lookup, joe}'`). */
export declare function parseTerm(text: string, options?: ParseOptions): Term;
/**
 * How a token is named in a message. String contents are never shown: they
 * may be secrets; with `hide`, neither is the text of a word or number.
 */
export declare function describeToken(t: Token, hide?: boolean): string;
/** The parser over any token source (the lexer, or the `erl` template's token list). */
export declare class TermParser {
    private tok;
    /** The last tokens consumed, for {@link mayBeSecret}. */
    private readonly recent;
    private readonly src;
    private readonly file;
    private readonly maxDepth;
    private readonly positions;
    constructor(src: TokenSource, options: ParseOptions);
    /** Terms each followed by a dot, up to the end of the input. */
    all(): ParsedTerm[];
    /** Exactly one term, with an optional dot. */
    one(): Term;
    /** The current token's kind (a call, so TypeScript does not keep a stale narrowing). */
    private kind;
    private advance;
    /** The current token as a message names it, and a hint if a quote looks unbalanced. */
    private found;
    private fail;
    private unexpected;
    private expectPunct;
    private isPunct;
    private at;
    /** Enter a container at nesting level depth + 1. */
    private enter;
    private term;
    private strings;
    private punctTerm;
    private negative;
    private tuple;
    private list;
    /** `[a, b | Tail]`: a proper tail makes a proper list, as in Erlang. */
    private withTail;
    private map;
    private binary;
    /** One segment of the simple forms: `"text"`, `"text"/utf8`, `Byte`, `Char/utf8`. */
    private segment;
}
//# sourceMappingURL=term-parser.d.ts.map