export declare const FRAME_HEADER_BYTES = 4;
/** Prefix `payload` with its length. */
export declare function encodeFrame(payload: Uint8Array): Uint8Array;
/** Write the length prefix into the first 4 bytes of `buf` (for encoders that reserve them). */
export declare function writeFrameHeader(buf: Uint8Array, length: number): void;
export declare class FrameDecoder {
    private readonly maxFrameBytes;
    /** Bytes received but not yet returned as frames; at most one partial frame. */
    private chunks;
    private buffered;
    /** Length of the frame being assembled, or -1 while its header is incomplete. */
    private need;
    constructor(maxFrameBytes: number);
    /** Bytes held for an incomplete frame. */
    get bufferedBytes(): number;
    /**
     * Feed bytes; returns the complete frames they finish, in order. Frames may
     * be views into `data` (no copy): consume them before the caller reuses it.
     * Throws frameTooLarge as soon as a header announces too many bytes.
     */
    push(data: Uint8Array): Uint8Array[];
    private check;
    /** Remove and return the first n buffered bytes (n <= buffered). */
    private take;
}
//# sourceMappingURL=frame.d.ts.map