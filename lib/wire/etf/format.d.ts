/**
 * Human and machine views of terms: `formatTerm` (Erlang syntax, for the CLI and logs) and
 * `toJson` (a JSON view, for JSON Schema validation and `--json` output). Isomorphic, and
 * iterative, so no nesting depth can exhaust the JS stack.
 *
 * ## formatTerm
 *
 * Prints what `io:format("~p")` would, without line breaks: `{ok,"writing a book"}`,
 * `[1,2|3]`, `#{a => 1,"k" => [v]}`, `<<1,2,3>>`, `<<"abc">>`, `3.5`, `3.0`. Atoms are quoted
 * when Erlang needs it (reserved words; anything but a lower-case Latin-1 letter followed by
 * Latin-1 letters, digits, `_` and `@`). A charlist, whether
 * a JS `string` or an array of integers, prints as `"..."` when every code point is printable
 * (as `io_lib:printable_latin1_list/1` decides; `printable_unicode_list/1` with the `unicode`
 * option), else as a list of integers, so two terms that Erlang finds equal (`"ab"` and
 * `[97,98]`) print the same. Everything except pids, ports,
 * references, funs (`#Pid<...>`, `#Port<...>`, `#Ref<...>`, `#Fun<...>`) and bitstrings
 * (`<<1,2:3>>`, which our conf parser does not take) reads back with Erlang's `file:consult`
 * and with `src/conf`'s parser.
 *
 * ## toJson
 *
 * | Term                                   | JSON                                               |
 * |----------------------------------------|----------------------------------------------------|
 * | atom `foo`                             | `"foo"`                                            |
 * | `true` / `false`                       | `true` / `false`                                   |
 * | `undefined` (and JS `null`)            | `null`                                             |
 * | integer (`number`)                     | number                                             |
 * | integer (`bigint`, beyond ±(2^53-1))   | decimal string, e.g. `"18446744073709551616"`      |
 * | float (`number`, `ErlFloat`)           | number (`ErlFloat(3)` -> `3`)                      |
 * | charlist `string`                      | string (`""` -> `""`)                              |
 * | proper list `Array`                    | array (integer lists stay arrays of numbers)       |
 * | improper list                          | `{"$improper": [elements...], "$tail": tail}`      |
 * | tuple                                  | array                                              |
 * | binary (valid UTF-8)                   | string                                             |
 * | binary (other)                         | `{"$binary": "<base64>"}`                          |
 * | bitstring                              | `{"$bitstring": "<base64>", "$bits": 1..7}`        |
 * | map / record, every key an atom,       | object with those keys (null prototype, so a key   |
 * | a string, or a UTF-8 binary, and no    | `__proto__` is an ordinary own property)           |
 * | two keys with the same text            |                                                    |
 * | any other map                          | `{"$map": [[key, value], ...]}`                    |
 * | pid, port, reference, fun, export      | `{"$opaque": "pid"/"port"/"reference"/"fun"/       |
 * |                                        | "export", "$bytes": "<base64>"}`                   |
 */
import { type Term } from './term.ts';
export interface FormatOptions {
    /**
     * Print lists of code points above 255 as strings too (`"サービス"`), like `~tp` with
     * `+pc unicode`. By default only Latin-1 text prints as a string, as Erlang's `~p` does.
     * @default false
     */
    unicode?: boolean;
    /**
     * Stop after about this many characters and end with `...` (the result then no longer reads
     * back). For log lines.
     * @default Infinity
     */
    maxLength?: number;
}
/**
 * A term in Erlang syntax on one line, e.g. `{ok,"writing a book"}`. Deterministic: the same
 * term (same map insertion order) always gives the same text.
 */
export declare function formatTerm(term: Term, options?: FormatOptions): string;
/**
 * An atom, quoted unless Erlang prints it bare: a lower-case first letter (Latin-1 counts, as
 * in `sérvice`), then letters, digits, `_` and `@`, and not a reserved word.
 */
export declare function formatAtom(name: string): string;
/** Standard base64 with padding (no `btoa`, which wants a Latin-1 string). */
export declare function base64(bytes: Uint8Array): string;
/** The JSON view of a term; see the table at the top of this file. */
export declare function toJson(term: Term): unknown;
//# sourceMappingURL=format.d.ts.map