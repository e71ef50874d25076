/**
 * `lib-chan/terms`: the Erlang term model on its own (no sockets, no crypto),
 * for code that builds, matches, prints, parses or encodes terms: handlers,
 * tools, tests. Browser-safe.
 *
 *   import { atom, tuple, isTuple, formatTerm, parseTerm } from 'lib-chan/terms';
 */
export { Atom, Tuple, ImproperList, ErlFloat, BitBinary, Opaque, atom, tuple, float, improperList, binary, isAtom, isTuple, isRecord, termEqual, mapEntries, } from "./wire/etf/term.js";
export { formatTerm, toJson } from "./wire/etf/format.js";
export { encodeTerm } from "./wire/etf/encode.js";
export { decodeTerm } from "./wire/etf/decode.js";
export { parseTerm, parseTerms } from "./conf/term-parser.js";
//# sourceMappingURL=terms.js.map