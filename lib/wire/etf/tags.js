/**
 * External Term Format tag bytes, named as in Erlang's `erl_ext_dist` documentation
 * ("External Term Format", ERTS User's Guide). Only the encoder and decoder use these.
 *
 * Layouts (sizes in bytes; N = variable), as we read and write them:
 *
 * | tag | name                  | layout after the tag                                              |
 * |-----|-----------------------|-------------------------------------------------------------------|
 * | 131 | VERSION               | first byte of every term                                          |
 * |  80 | COMPRESSED            | UncompressedSize:4, zlib data (inner term has no 131)             |
 * |  97 | SMALL_INTEGER_EXT     | Int:1 (unsigned)                                                  |
 * |  98 | INTEGER_EXT           | Int:4 (signed, big-endian)                                        |
 * |  99 | FLOAT_EXT             | 31 bytes of "%.20e" text, NUL padded (minor version 0)            |
 * |  70 | NEW_FLOAT_EXT         | IEEE 754 double:8, big-endian                                     |
 * | 100 | ATOM_EXT              | Len:2, Latin-1 chars                                              |
 * | 115 | SMALL_ATOM_EXT        | Len:1, Latin-1 chars                                              |
 * | 118 | ATOM_UTF8_EXT         | Len:2, UTF-8 bytes                                                |
 * | 119 | SMALL_ATOM_UTF8_EXT   | Len:1, UTF-8 bytes                                                |
 * | 104 | SMALL_TUPLE_EXT       | Arity:1, Elements                                                 |
 * | 105 | LARGE_TUPLE_EXT       | Arity:4, Elements                                                 |
 * | 106 | NIL_EXT               | (nothing)                                                         |
 * | 107 | STRING_EXT            | Len:2, bytes (a list of small integers)                           |
 * | 108 | LIST_EXT              | Len:4, Elements, Tail                                             |
 * | 109 | BINARY_EXT            | Len:4, Data                                                       |
 * |  77 | BIT_BINARY_EXT        | Len:4, Bits:1 (1..8 used in last byte), Data                      |
 * | 110 | SMALL_BIG_EXT         | n:1, Sign:1, d(0)..d(n-1) little-endian                           |
 * | 111 | LARGE_BIG_EXT         | n:4, Sign:1, d(0)..d(n-1) little-endian                           |
 * | 116 | MAP_EXT               | Arity:4, Key1, Value1, ...                                        |
 * | 103 | PID_EXT               | Node(atom), ID:4, Serial:4, Creation:1                            |
 * |  88 | NEW_PID_EXT           | Node(atom), ID:4, Serial:4, Creation:4                            |
 * | 102 | PORT_EXT              | Node(atom), ID:4, Creation:1                                      |
 * |  89 | NEW_PORT_EXT          | Node(atom), ID:4, Creation:4                                      |
 * | 120 | V4_PORT_EXT           | Node(atom), ID:8, Creation:4                                      |
 * | 101 | REFERENCE_EXT         | Node(atom), ID:4, Creation:1                                      |
 * | 114 | NEW_REFERENCE_EXT     | Len:2, Node(atom), Creation:1, ID:4*Len                           |
 * |  90 | NEWER_REFERENCE_EXT   | Len:2, Node(atom), Creation:4, ID:4*Len                           |
 * | 117 | FUN_EXT               | NumFree:4, Pid, Module(atom), Index(int), Uniq(int), FreeVars     |
 * | 112 | NEW_FUN_EXT           | Size:4, Arity:1, Uniq:16, Index:4, NumFree:4, Module(atom),       |
 * |     |                       | OldIndex(int), OldUniq(int), Pid, FreeVars (Size counts itself)   |
 * | 113 | EXPORT_EXT            | Module(atom), Function(atom), Arity(int)                          |
 *
 * Refused by our decoder (they only make sense inside the distribution protocol, or are local to
 * one node): ATOM_CACHE_REF, DIST_HEADER, DIST_FRAG_HEADER, LOCAL_EXT.
 */
export const VERSION = 131;
export const COMPRESSED = 80;
export const SMALL_INTEGER_EXT = 97;
export const INTEGER_EXT = 98;
export const FLOAT_EXT = 99;
export const NEW_FLOAT_EXT = 70;
export const SMALL_BIG_EXT = 110;
export const LARGE_BIG_EXT = 111;
export const ATOM_EXT = 100;
export const SMALL_ATOM_EXT = 115;
export const ATOM_UTF8_EXT = 118;
export const SMALL_ATOM_UTF8_EXT = 119;
export const ATOM_CACHE_REF = 82;
export const SMALL_TUPLE_EXT = 104;
export const LARGE_TUPLE_EXT = 105;
export const NIL_EXT = 106;
export const STRING_EXT = 107;
export const LIST_EXT = 108;
export const MAP_EXT = 116;
export const BINARY_EXT = 109;
export const BIT_BINARY_EXT = 77;
export const PID_EXT = 103;
export const NEW_PID_EXT = 88;
export const PORT_EXT = 102;
export const NEW_PORT_EXT = 89;
export const V4_PORT_EXT = 120;
export const REFERENCE_EXT = 101;
export const NEW_REFERENCE_EXT = 114;
export const NEWER_REFERENCE_EXT = 90;
export const FUN_EXT = 117;
export const NEW_FUN_EXT = 112;
export const EXPORT_EXT = 113;
/** Distribution-only and node-local tags: never valid in a lib_chan frame. */
export const DIST_HEADER = 68;
export const DIST_FRAG_HEADER = 69;
export const LOCAL_EXT = 121;
/** Largest STRING_EXT length (Len is 2 bytes). */
export const MAX_STRING_EXT_LENGTH = 0xffff;
/** Most characters an Erlang atom may have (longer atoms are refused by `binary_to_term`). */
export const MAX_ATOM_CHARACTERS = 255;
/** Most 32-bit words in a reference's ID (OTP 25 accepts up to 5). */
export const MAX_REFERENCE_WORDS = 5;
/** Bytes of a FLOAT_EXT body: "%.20e" text padded with NULs. */
export const FLOAT_EXT_BYTES = 31;
/** Tags whose terms are kept as `Opaque` (pids, ports, references, funs, exports). */
export const OPAQUE_TAGS = new Set([
    PID_EXT,
    NEW_PID_EXT,
    PORT_EXT,
    NEW_PORT_EXT,
    V4_PORT_EXT,
    REFERENCE_EXT,
    NEW_REFERENCE_EXT,
    NEWER_REFERENCE_EXT,
    FUN_EXT,
    NEW_FUN_EXT,
    EXPORT_EXT,
]);
const NAMES = {
    [VERSION]: 'VERSION',
    [COMPRESSED]: 'COMPRESSED',
    [SMALL_INTEGER_EXT]: 'SMALL_INTEGER_EXT',
    [INTEGER_EXT]: 'INTEGER_EXT',
    [FLOAT_EXT]: 'FLOAT_EXT',
    [NEW_FLOAT_EXT]: 'NEW_FLOAT_EXT',
    [SMALL_BIG_EXT]: 'SMALL_BIG_EXT',
    [LARGE_BIG_EXT]: 'LARGE_BIG_EXT',
    [ATOM_EXT]: 'ATOM_EXT',
    [SMALL_ATOM_EXT]: 'SMALL_ATOM_EXT',
    [ATOM_UTF8_EXT]: 'ATOM_UTF8_EXT',
    [SMALL_ATOM_UTF8_EXT]: 'SMALL_ATOM_UTF8_EXT',
    [ATOM_CACHE_REF]: 'ATOM_CACHE_REF',
    [SMALL_TUPLE_EXT]: 'SMALL_TUPLE_EXT',
    [LARGE_TUPLE_EXT]: 'LARGE_TUPLE_EXT',
    [NIL_EXT]: 'NIL_EXT',
    [STRING_EXT]: 'STRING_EXT',
    [LIST_EXT]: 'LIST_EXT',
    [MAP_EXT]: 'MAP_EXT',
    [BINARY_EXT]: 'BINARY_EXT',
    [BIT_BINARY_EXT]: 'BIT_BINARY_EXT',
    [PID_EXT]: 'PID_EXT',
    [NEW_PID_EXT]: 'NEW_PID_EXT',
    [PORT_EXT]: 'PORT_EXT',
    [NEW_PORT_EXT]: 'NEW_PORT_EXT',
    [V4_PORT_EXT]: 'V4_PORT_EXT',
    [REFERENCE_EXT]: 'REFERENCE_EXT',
    [NEW_REFERENCE_EXT]: 'NEW_REFERENCE_EXT',
    [NEWER_REFERENCE_EXT]: 'NEWER_REFERENCE_EXT',
    [FUN_EXT]: 'FUN_EXT',
    [NEW_FUN_EXT]: 'NEW_FUN_EXT',
    [EXPORT_EXT]: 'EXPORT_EXT',
    [DIST_HEADER]: 'DIST_HEADER',
    [DIST_FRAG_HEADER]: 'DIST_FRAG_HEADER',
    [LOCAL_EXT]: 'LOCAL_EXT',
};
/** The documented name of a tag byte, or `tag N` when it has none. */
export function tagName(tag) {
    return NAMES[tag] ?? `tag ${tag}`;
}
//# sourceMappingURL=tags.js.map