/**
 * Erlang `{packet, 4}` framing: a 4-byte big-endian length, then that many
 * bytes. The decoder copes with frames split or coalesced across reads and
 * refuses an oversized frame from its length prefix, before buffering any of
 * its body (as ws's Receiver.haveLength() does).
 */
import { ChanError } from "../errors.js";
export const FRAME_HEADER_BYTES = 4;
/** Prefix `payload` with its length. */
export function encodeFrame(payload) {
    const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
    writeFrameHeader(out, payload.length);
    out.set(payload, FRAME_HEADER_BYTES);
    return out;
}
/** Write the length prefix into the first 4 bytes of `buf` (for encoders that reserve them). */
export function writeFrameHeader(buf, length) {
    buf[0] = length >>> 24;
    buf[1] = (length >>> 16) & 0xff;
    buf[2] = (length >>> 8) & 0xff;
    buf[3] = length & 0xff;
}
export class FrameDecoder {
    maxFrameBytes;
    /** Bytes received but not yet returned as frames; at most one partial frame. */
    chunks = [];
    buffered = 0;
    /** Length of the frame being assembled, or -1 while its header is incomplete. */
    need = -1;
    constructor(maxFrameBytes) {
        this.maxFrameBytes = maxFrameBytes;
    }
    /** Bytes held for an incomplete frame. */
    get bufferedBytes() {
        return this.buffered;
    }
    /**
     * Feed bytes; returns the complete frames they finish, in order. Frames may
     * be views into `data` (no copy): consume them before the caller reuses it.
     * Throws frameTooLarge as soon as a header announces too many bytes.
     */
    push(data) {
        const frames = [];
        let off = 0;
        // Fast path: nothing pending, whole frames sit inside this read.
        if (this.buffered === 0 && this.need < 0) {
            while (data.length - off >= FRAME_HEADER_BYTES) {
                const len = ((data[off] << 24) | (data[off + 1] << 16) | (data[off + 2] << 8) | data[off + 3]) >>> 0;
                this.check(len);
                if (data.length - off - FRAME_HEADER_BYTES < len)
                    break;
                frames.push(data.subarray(off + FRAME_HEADER_BYTES, off + FRAME_HEADER_BYTES + len));
                off += FRAME_HEADER_BYTES + len;
            }
            if (off === data.length)
                return frames;
            data = data.subarray(off);
        }
        this.chunks.push(data);
        this.buffered += data.length;
        for (;;) {
            if (this.need < 0) {
                if (this.buffered < FRAME_HEADER_BYTES)
                    return frames;
                const head = this.take(FRAME_HEADER_BYTES);
                const len = ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0;
                this.check(len);
                this.need = len;
            }
            if (this.buffered < this.need)
                return frames;
            frames.push(this.take(this.need));
            this.need = -1;
        }
    }
    check(len) {
        if (len > this.maxFrameBytes) {
            this.chunks = [];
            this.buffered = 0;
            throw new ChanError('frameTooLarge', `frame of ${len} bytes announced, limit is maxFrameBytes=${this.maxFrameBytes}`, {
                details: { limit: this.maxFrameBytes, actual: len, key: 'maxFrameBytes' },
            });
        }
    }
    /** Remove and return the first n buffered bytes (n <= buffered). */
    take(n) {
        if (n === 0)
            return new Uint8Array(0);
        const first = this.chunks[0];
        if (first.length >= n) {
            this.buffered -= n;
            if (first.length === n)
                this.chunks.shift();
            else
                this.chunks[0] = first.subarray(n);
            return first.subarray(0, n);
        }
        const out = new Uint8Array(n);
        let o = 0;
        while (o < n) {
            const c = this.chunks[0];
            const k = Math.min(c.length, n - o);
            out.set(c.subarray(0, k), o);
            o += k;
            if (k === c.length)
                this.chunks.shift();
            else
                this.chunks[0] = c.subarray(k);
        }
        this.buffered -= n;
        return out;
    }
}
//# sourceMappingURL=frame.js.map