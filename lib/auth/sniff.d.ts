/**
 * Tell the two login protocols apart from the first frame a client sends.
 *
 * - Legacy lib_chan: the payload is `term_to_binary({startService, ...})`,
 *   whose first byte is the External Term Format version, 131.
 * - Secure channel: the payload starts with MAGIC ("LCSC") and one version
 *   byte. 'L' is 0x4c, so no secure hello can be taken for a term.
 */
/** "LCSC": lib_chan secure channel. */
export declare const MAGIC: Uint8Array<ArrayBuffer>;
export declare const MAGIC_BYTES: number;
/** First byte of every External Term Format encoding. */
export declare const ETF_VERSION = 131;
/** The secure protocol version this code speaks. Version 0 is never valid (it marks a refusal). */
export declare const SECURE_VERSION = 1;
/** Every version this code can speak, highest first. */
export declare const SUPPORTED_VERSIONS: readonly number[];
export type FirstFrameKind = {
    kind: 'legacy';
} | {
    kind: 'secure';
    version: number;
} | {
    kind: 'unknown';
};
/** True when `bytes` starts with MAGIC. */
export declare function hasMagic(bytes: Uint8Array): boolean;
/** Classify the payload of a client's first frame (without its 4-byte length prefix). */
export declare function sniff(payload: Uint8Array): FirstFrameKind;
//# sourceMappingURL=sniff.d.ts.map