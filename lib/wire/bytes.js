/** Byte helpers shared by every layer; Uint8Array only, so the browser bundle can use them. */
export const TEXT_ENCODER = new TextEncoder();
export const TEXT_DECODER = new TextDecoder('utf-8', { fatal: true });
export function concatBytes(parts) {
    let n = 0;
    for (const p of parts)
        n += p.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) {
        out.set(p, o);
        o += p.length;
    }
    return out;
}
export function bytesEqual(a, b) {
    if (a.length !== b.length)
        return false;
    for (let i = 0; i < a.length; i++)
        if (a[i] !== b[i])
            return false;
    return true;
}
/** Compare secrets without a data-dependent early exit (length is not secret). */
export function constantTimeEqual(a, b) {
    if (a.length !== b.length)
        return false;
    let diff = 0;
    for (let i = 0; i < a.length; i++)
        diff |= a[i] ^ b[i];
    return diff === 0;
}
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
export function toHex(bytes, max = Infinity) {
    let s = '';
    const n = Math.min(bytes.length, max);
    for (let i = 0; i < n; i++)
        s += HEX[bytes[i]];
    return n < bytes.length ? `${s}...` : s;
}
export function fromHex(hex) {
    if (hex.length % 2 !== 0 || /[^0-9a-fA-F]/.test(hex))
        throw new TypeError('not a hex string');
    const out = new Uint8Array(hex.length / 2);
    for (let i = 0; i < out.length; i++)
        out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    return out;
}
/** Overwrite a short-lived secret once it is no longer needed. */
export function wipe(...buffers) {
    for (const b of buffers)
        b?.fill(0);
}
//# sourceMappingURL=bytes.js.map