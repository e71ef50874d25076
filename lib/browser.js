/**
 * The browser entry (bundled by `npm run build` into dist/lib_chan.browser.js):
 * the client over WebSocket with the same API and errors as the Node client,
 * tweetnacl for the crypto and crypto.getRandomValues for randomness.
 *
 *   const ch = await connect('wss://example.com/chan', 'nameServer', 'ABXy45', [], { serverKey });
 *
 * A page has no known-hosts file, so the secure protocol needs the server's
 * key pinned: `serverKey` (the `lcsk1:...` text `lib_chan start` prints), or
 * your own `checkServerKey`. Serve it from the page's own origin (a config
 * JSON next to the page, or embedded at build time), never from the
 * WebSocket server you are about to check; see examples/browser/.
 */
import { ChanError } from "./errors.js";
import { resolveLimits } from "./limits.js";
import { connectOver } from "./client/connect.js";
export { cast, rpc, disconnect } from "./client/connect.js";
import { connectWebSocket } from "./transport/ws-client.js";
/**
 * Connect to `url` (ws:// or wss://) and log in to `service`. `password` is
 * null for a service without one (or when logging in with `options.clientKey`).
 */
export async function connect(url, service, password, argsC = [], options = {}) {
    const opts = options;
    if (opts.knownHosts || opts.clientKeyFile !== undefined) {
        throw new ChanError('badArgument', 'knownHosts and clientKeyFile are files: a browser has none. Pass serverKey (and clientKey) instead');
    }
    if (options.protocol !== 'legacy' && options.serverKey === undefined && options.checkServerKey === undefined) {
        throw new ChanError('badArgument', 'the secure protocol in a browser needs the server key pinned: pass options.serverKey (the lcsk1:... text the server prints), served from the page\'s own origin, or options.checkServerKey');
    }
    const WebSocketImpl = options.WebSocket ?? globalThis.WebSocket;
    if (!WebSocketImpl)
        throw new ChanError('badArgument', 'no WebSocket class: pass options.WebSocket');
    const limits = resolveLimits(options.limits ?? {});
    const transport = await connectWebSocket(url, { WebSocket: WebSocketImpl, maxFrameBytes: limits.maxFrameBytes, timeoutMs: limits.connectTimeoutMs });
    return connectOver(transport, service, password, argsC, options);
}
export { ChanError, isChanError, ERROR_CODES } from "./errors.js";
export { LIMITS } from "./limits.js";
export { Atom, Tuple, ImproperList, ErlFloat, BitBinary, Opaque, atom, tuple, float, improperList, binary, isAtom, isTuple, isRecord, termEqual, mapEntries, } from "./wire/etf/term.js";
export { formatTerm, toJson } from "./wire/etf/format.js";
export { encodeTerm } from "./wire/etf/encode.js";
export { decodeTerm } from "./wire/etf/decode.js";
export { encodePublicKey, decodePublicKey, fingerprint } from "./auth/keys.js";
//# sourceMappingURL=browser.js.map