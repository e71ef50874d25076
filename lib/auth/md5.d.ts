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
/** MD5 of `data`: 16 bytes. */
export declare function md5(data: Uint8Array): Uint8Array;
//# sourceMappingURL=md5.d.ts.map