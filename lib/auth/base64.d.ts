/** Base64 (RFC 4648) over Uint8Array with btoa/atob, which browsers and Node 20 both have. */
export declare function toBase64(bytes: Uint8Array, opts?: {
    url?: boolean;
    pad?: boolean;
}): string;
/**
 * Decode standard or URL-safe base64, padded or not. Returns null on any
 * character outside the alphabet or an impossible length.
 */
export declare function fromBase64(text: string): Uint8Array | null;
//# sourceMappingURL=base64.d.ts.map