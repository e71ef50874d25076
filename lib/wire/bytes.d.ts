/** Byte helpers shared by every layer; Uint8Array only, so the browser bundle can use them. */
export declare const TEXT_ENCODER: TextEncoder;
export declare const TEXT_DECODER: TextDecoder;
export declare function concatBytes(parts: readonly Uint8Array[]): Uint8Array;
export declare function bytesEqual(a: Uint8Array, b: Uint8Array): boolean;
/** Compare secrets without a data-dependent early exit (length is not secret). */
export declare function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean;
export declare function toHex(bytes: Uint8Array, max?: number): string;
export declare function fromHex(hex: string): Uint8Array;
/** Overwrite a short-lived secret once it is no longer needed. */
export declare function wipe(...buffers: (Uint8Array | undefined)[]): void;
//# sourceMappingURL=bytes.d.ts.map