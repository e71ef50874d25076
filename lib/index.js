export { connect, cast, rpc, disconnect } from "./client/node.js";
export { ChanError, isChanError, ERROR_CODES } from "./errors.js";
export { LIMITS, resolveLimits } from "./limits.js";
export { encodePublicKey, decodePublicKey, fingerprint } from "./auth/keys.js";
export * from "./terms.js";
/** Start a server (see `lib-chan/server`, which this loads on first call). */
export async function startServer(opts = {}) {
    return (await import("./server-api.js")).startServer(opts);
}
/** Read and check a lib_chan.conf (see `lib-chan/server`, which this loads on first call). */
export async function loadConfig(file) {
    return (await import("./server-api.js")).loadConfig(file);
}
//# sourceMappingURL=index.js.map