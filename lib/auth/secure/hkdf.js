import { wipe } from "../../wire/bytes.js";
/** SHA-512 block size. */
const BLOCK_BYTES = 128;
export const HASH_BYTES = 64;
export function hmacSha512(provider, key, data) {
    if (provider.hmacSha512)
        return provider.hmacSha512(key, data);
    const k = new Uint8Array(BLOCK_BYTES);
    if (key.length > BLOCK_BYTES)
        k.set(provider.sha512(key));
    else
        k.set(key);
    const inner = new Uint8Array(BLOCK_BYTES + data.length);
    for (let i = 0; i < BLOCK_BYTES; i++)
        inner[i] = k[i] ^ 0x36;
    inner.set(data, BLOCK_BYTES);
    const innerHash = provider.sha512(inner);
    const outer = new Uint8Array(BLOCK_BYTES + HASH_BYTES);
    for (let i = 0; i < BLOCK_BYTES; i++)
        outer[i] = k[i] ^ 0x5c;
    outer.set(innerHash, BLOCK_BYTES);
    const mac = provider.sha512(outer);
    wipe(k, inner, outer, innerHash);
    return mac;
}
export function hkdf2(provider, chainingKey, ikm) {
    const [a, b] = hkdf(provider, chainingKey, ikm, 2);
    return [a, b];
}
export function hkdf3(provider, chainingKey, ikm) {
    const [a, b, c] = hkdf(provider, chainingKey, ikm, 3);
    return [a, b, c];
}
function hkdf(provider, chainingKey, ikm, n) {
    const temp = hmacSha512(provider, chainingKey, ikm);
    const outs = [];
    let prev = new Uint8Array(0);
    for (let i = 1; i <= n; i++) {
        const input = new Uint8Array(prev.length + 1);
        input.set(prev);
        input[prev.length] = i;
        prev = hmacSha512(provider, temp, input);
        wipe(input);
        outs.push(prev);
    }
    wipe(temp);
    return outs;
}
//# sourceMappingURL=hkdf.js.map