import { type Term } from './term.ts';
export interface EncodeOptions {
    /**
     * Zero bytes to leave in front of the term, e.g. 4 for a `{packet,4}` length prefix that
     * the caller fills in afterwards. The returned array is `reserve + termLength` bytes long;
     * the term (starting with 131) begins at index `reserve`.
     * @default 0
     */
    reserve?: number;
}
/**
 * Encode a term as External Term Format, starting with the version byte 131
 * (after `options.reserve` zero bytes, if any). Returns a fresh array the caller owns.
 *
 * @throws ChanError `badArgument` for a value outside the term model, a non-finite float,
 *   an atom over 255 characters, or nesting deeper than 10000 (including cycles).
 */
export declare function encodeTerm(term: Term, options?: EncodeOptions): Uint8Array;
//# sourceMappingURL=encode.d.ts.map