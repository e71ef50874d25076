/**
 * The `erl` tagged template: write terms the way the book does.
 *
 * ```ts
 * const reply = await chan.rpc(erl`{lookup, ${key}}`);
 * chan.cast(erl`{store, ${key}, ${value}}`);
 * ```
 *
 * The literal text is Erlang term syntax (see term-parser.ts); each `${...}`
 * is a JS term inserted as-is, never re-parsed, so a string value stays a
 * string whatever it contains. A `-` may precede a numeric value. A value
 * cannot sit inside quotes or stand for a binary segment. The literal parts
 * are lexed once per call site and cached. Errors are `ChanError('badConf')`
 * naming the line and column inside the template.
 */
import { LIMITS } from "../limits.js";
import { TermLexer, termError } from "./term-lexer.js";
import { MAX_TERM_TEXT_CHARS, TermParser } from "./term-parser.js";
const FILE = 'erl`...`';
/** Tokens of each literal part, cached per call site (the strings array is the same object each time). */
const cache = new WeakMap();
function lexParts(strings) {
    const hit = cache.get(strings);
    if (hit !== undefined)
        return hit;
    let size = 0;
    for (const s of strings)
        size += s.length;
    if (size > MAX_TERM_TEXT_CHARS) {
        throw termError(FILE, { line: 1, column: 1 }, `template text is ${size} characters long; the limit is ${MAX_TERM_TEXT_CHARS}`);
    }
    const parts = [];
    const ends = [];
    let start = { line: 1, column: 1 };
    for (const text of strings) {
        const lexer = new TermLexer(text, { file: FILE, start, templatePart: true });
        const tokens = [];
        for (let t = lexer.next(); t.kind !== 'eof'; t = lexer.next())
            tokens.push(t);
        const end = lexer.position();
        parts.push(tokens);
        ends.push(end);
        // The `${...}` itself is not in the strings: count it as 4 columns ("${x}").
        start = { line: end.line, column: end.column + 4 };
    }
    const out = { parts, ends };
    cache.set(strings, out);
    return out;
}
class TemplateTokens {
    parts;
    ends;
    values;
    part = 0;
    index = 0;
    valueDue = false;
    constructor(parts, ends, values) {
        this.parts = parts;
        this.ends = ends;
        this.values = values;
    }
    next() {
        for (;;) {
            if (this.valueDue) {
                this.valueDue = false;
                const end = this.ends[this.part - 1];
                return { kind: 'value', value: this.values[this.part - 1], line: end.line, column: end.column };
            }
            const tokens = this.parts[this.part];
            if (tokens === undefined) {
                const end = this.ends[this.ends.length - 1];
                return { kind: 'eof', line: end.line, column: end.column };
            }
            if (this.index < tokens.length)
                return tokens[this.index++];
            this.part++;
            this.index = 0;
            this.valueDue = this.part < this.parts.length;
        }
    }
}
/** Build a term from Erlang syntax with interpolated JS terms: exactly one term, trailing `.` optional. */
export function erl(strings, ...values) {
    const { parts, ends } = lexParts(strings);
    const parser = new TermParser(new TemplateTokens(parts, ends, values), {
        file: FILE,
        maxDepth: LIMITS.maxTermDepth.default,
    });
    return parser.one();
}
//# sourceMappingURL=erl-template.js.map