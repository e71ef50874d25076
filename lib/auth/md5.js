/**
 * MD5 (RFC 1321) in plain TypeScript: browsers have none, and the legacy
 * lib_chan login needs it. Used only for wire compatibility with Erlang
 * lib_chan; MD5 is broken as a hash and nothing new may rely on it.
 *
 * 32-bit integer arithmetic on an Int32Array state, no allocation per
 * block. The legacy login hashes about 40 bytes, so speed hardly matters;
 * it still runs at about 300 MB/s, a third of node:crypto's native MD5
 * (test/bench/crypto.ts).
 */
/** Per-step additive constants: floor(abs(sin(i + 1)) * 2^32). */
const K = new Int32Array(64);
for (let i = 0; i < 64; i++)
    K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000) | 0;
/** Per-step left rotations, by round. */
const S = Int32Array.of(7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21);
function compress(state, w) {
    let a = state[0];
    let b = state[1];
    let c = state[2];
    let d = state[3];
    let t;
    let s;
    // One loop per round, so no step branches on the round number.
    for (let i = 0; i < 16; i++) {
        s = S[i & 3];
        t = (a + ((b & c) | (~b & d)) + K[i] + w[i]) | 0;
        a = d;
        d = c;
        c = b;
        b = (b + ((t << s) | (t >>> (32 - s)))) | 0;
    }
    for (let i = 16; i < 32; i++) {
        s = S[4 | (i & 3)];
        t = (a + ((d & b) | (~d & c)) + K[i] + w[(5 * i + 1) & 15]) | 0;
        a = d;
        d = c;
        c = b;
        b = (b + ((t << s) | (t >>> (32 - s)))) | 0;
    }
    for (let i = 32; i < 48; i++) {
        s = S[8 | (i & 3)];
        t = (a + (b ^ c ^ d) + K[i] + w[(3 * i + 5) & 15]) | 0;
        a = d;
        d = c;
        c = b;
        b = (b + ((t << s) | (t >>> (32 - s)))) | 0;
    }
    for (let i = 48; i < 64; i++) {
        s = S[12 | (i & 3)];
        t = (a + (c ^ (b | ~d)) + K[i] + w[(7 * i) & 15]) | 0;
        a = d;
        d = c;
        c = b;
        b = (b + ((t << s) | (t >>> (32 - s)))) | 0;
    }
    state[0] = (state[0] + a) | 0;
    state[1] = (state[1] + b) | 0;
    state[2] = (state[2] + c) | 0;
    state[3] = (state[3] + d) | 0;
}
/** MD5 of `data`: 16 bytes. */
export function md5(data) {
    const state = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476);
    const w = new Int32Array(16);
    const n = data.length;
    const full = n - (n % 64);
    for (let off = 0; off < full; off += 64) {
        for (let j = 0; j < 16; j++) {
            const p = off + 4 * j;
            w[j] = data[p] | (data[p + 1] << 8) | (data[p + 2] << 16) | (data[p + 3] << 24);
        }
        compress(state, w);
    }
    // Padding: 0x80, zeros, then the bit length as 64-bit little-endian.
    const tail = new Uint8Array(n % 64 < 56 ? 64 : 128);
    tail.set(data.subarray(full));
    tail[n - full] = 0x80;
    const bitsLo = (n * 8) >>> 0;
    const bitsHi = Math.floor(n / 0x20000000) >>> 0;
    const L = tail.length - 8;
    tail[L] = bitsLo & 0xff;
    tail[L + 1] = (bitsLo >>> 8) & 0xff;
    tail[L + 2] = (bitsLo >>> 16) & 0xff;
    tail[L + 3] = bitsLo >>> 24;
    tail[L + 4] = bitsHi & 0xff;
    tail[L + 5] = (bitsHi >>> 8) & 0xff;
    tail[L + 6] = (bitsHi >>> 16) & 0xff;
    tail[L + 7] = bitsHi >>> 24;
    for (let off = 0; off < tail.length; off += 64) {
        for (let j = 0; j < 16; j++) {
            const p = off + 4 * j;
            w[j] = tail[p] | (tail[p + 1] << 8) | (tail[p + 2] << 16) | (tail[p + 3] << 24);
        }
        compress(state, w);
    }
    const out = new Uint8Array(16);
    for (let i = 0; i < 4; i++) {
        const v = state[i];
        out[4 * i] = v & 0xff;
        out[4 * i + 1] = (v >>> 8) & 0xff;
        out[4 * i + 2] = (v >>> 16) & 0xff;
        out[4 * i + 3] = v >>> 24;
    }
    return out;
}
//# sourceMappingURL=md5.js.map