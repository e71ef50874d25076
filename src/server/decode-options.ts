/** The ETF decode options of a set of limits, shared by the legacy and secure login drivers and the channels. */
import type { Limits } from '../limits.ts';
import type { DecodeOptions } from '../wire/etf/decode.ts';

const DECODE_OPTIONS = new WeakMap<Limits, DecodeOptions>();

/** The decode options of a set of limits: one shared object per conf, not one per connection. */
export function decodeOptionsFor(l: Limits): DecodeOptions {
  let o = DECODE_OPTIONS.get(l);
  if (!o) {
    o = Object.freeze({
      maxDepth: l.maxTermDepth,
      maxDecompressedBytes: l.maxDecompressedBytes,
      maxAtoms: l.maxAtomsPerTerm,
      maxIntegerBytes: l.maxIntegerBytes,
    });
    DECODE_OPTIONS.set(l, o);
  }
  return o;
}
