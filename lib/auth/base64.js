/** Base64 (RFC 4648) over Uint8Array with btoa/atob, which browsers and Node 20 both have. */
export function toBase64(bytes, opts = {}) {
    let bin = '';
    for (let i = 0; i < bytes.length; i++)
        bin += String.fromCharCode(bytes[i]);
    let s = btoa(bin);
    if (opts.url)
        s = s.replace(/\+/g, '-').replace(/\//g, '_');
    if (opts.pad === false || (opts.url && opts.pad !== true))
        s = s.replace(/=+$/, '');
    return s;
}
/**
 * Decode standard or URL-safe base64, padded or not. Returns null on any
 * character outside the alphabet or an impossible length.
 */
export function fromBase64(text) {
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text))
        return null;
    let s = text.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
    if (s.length % 4 === 1)
        return null;
    s += '='.repeat((4 - (s.length % 4)) % 4);
    let bin;
    try {
        bin = atob(s);
    }
    catch {
        return null;
    }
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++)
        out[i] = bin.charCodeAt(i);
    return out;
}
//# sourceMappingURL=base64.js.map