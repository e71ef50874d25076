import { type Term } from './term.ts';
export interface DecodeOptions {
    /**
     * Deepest nesting of tuples, lists, maps (and fun environments). An empty container counts.
     * @default LIMITS.maxTermDepth.default (64); range 1..10000
     */
    maxDepth?: number;
    /**
     * Largest declared uncompressed size of a compressed term (tag 80), in bytes; 0 refuses
     * compressed terms.
     * @default LIMITS.maxDecompressedBytes.default (8 MiB)
     */
    maxDecompressedBytes?: number;
    /**
     * Most atoms (including `true`/`false`/`undefined` and node names inside pids) in one term.
     * @default LIMITS.maxAtomsPerTerm.default
     */
    maxAtoms?: number;
}
/**
 * Decode one External Term Format term (starting with the version byte 131) that fills
 * `bytes` exactly.
 *
 * @throws ChanError `badTerm` (details: `offset`, and `limit`/`actual` for limits) for any
 *   input that is not exactly one valid term within the limits; `badArgument` only for
 *   invalid `options` or a non-Uint8Array argument.
 */
export declare function decodeTerm(bytes: Uint8Array, options?: DecodeOptions): Term;
//# sourceMappingURL=decode.d.ts.map