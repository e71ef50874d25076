/**
 * Tell the two login protocols apart from the first frame a client sends.
 *
 * - Legacy lib_chan: the payload is `term_to_binary({startService, ...})`,
 *   whose first byte is the External Term Format version, 131.
 * - Secure channel: the payload starts with MAGIC ("LCSC") and one version
 *   byte. 'L' is 0x4c, so no secure hello can be taken for a term.
 */

/** "LCSC": lib_chan secure channel. */
export const MAGIC = Uint8Array.of(0x4c, 0x43, 0x53, 0x43);
export const MAGIC_BYTES = MAGIC.length;
/** First byte of every External Term Format encoding. */
export const ETF_VERSION = 131;
/** The secure protocol version this code speaks. Version 0 is never valid (it marks a refusal). */
export const SECURE_VERSION = 1;
/** Every version this code can speak, highest first. */
export const SUPPORTED_VERSIONS: readonly number[] = Object.freeze([SECURE_VERSION]);

export type FirstFrameKind = { kind: 'legacy' } | { kind: 'secure'; version: number } | { kind: 'unknown' };

/** True when `bytes` starts with MAGIC. */
export function hasMagic(bytes: Uint8Array): boolean {
  if (bytes.length < MAGIC_BYTES) return false;
  for (let i = 0; i < MAGIC_BYTES; i++) if (bytes[i] !== MAGIC[i]) return false;
  return true;
}

/** Classify the payload of a client's first frame (without its 4-byte length prefix). */
export function sniff(payload: Uint8Array): FirstFrameKind {
  if (payload.length > 0 && payload[0] === ETF_VERSION) return { kind: 'legacy' };
  if (payload.length > MAGIC_BYTES && hasMagic(payload)) return { kind: 'secure', version: payload[MAGIC_BYTES] };
  return { kind: 'unknown' };
}
