/**
 * `lib-chan/terms`: the Erlang term model on its own (no sockets, no crypto),
 * for code that builds, matches, prints, parses or encodes terms: handlers,
 * tools, tests. Browser-safe.
 *
 *   import { atom, tuple, isTuple, formatTerm, parseTerm } from 'lib-chan/terms';
 */
export {
  Atom,
  Tuple,
  ImproperList,
  ErlFloat,
  BitBinary,
  Opaque,
  atom,
  tuple,
  float,
  improperList,
  binary,
  isAtom,
  isTuple,
  isRecord,
  termEqual,
  mapEntries,
  type Term,
} from './wire/etf/term.ts';
export { formatTerm, toJson, type FormatOptions } from './wire/etf/format.ts';
export { encodeTerm, type EncodeOptions } from './wire/etf/encode.ts';
export { decodeTerm, type DecodeOptions } from './wire/etf/decode.ts';
export { parseTerm, parseTerms, type ParseOptions, type ParsedTerm } from './conf/term-parser.ts';
