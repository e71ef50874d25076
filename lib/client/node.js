/**
 * The Node client: `connect(host, port, service, password, argsC, options)`
 * over TCP, as the book's lib_chan:connect/5, or `connect(url, service, ...)`
 * with a `ws://`, `wss://` or `tcp://` URL; plus the free functions
 * cast/rpc/disconnect that mirror lib_chan's.
 */
import { resolveLimits } from "../limits.js";
import { connectTcp } from "../transport/tcp.js";
import { WebSocket } from 'ws';
import { ChanError } from "../errors.js";
import { formatHostPort } from "../auth/keys.js";
import { connectWebSocket } from "../transport/ws-client.js";
import { connectOver } from "./connect.js";
export { cast, rpc, disconnect } from "./connect.js";
import { nodeClientDefaults } from "./secure-node.js";
import { clientStart, destroyState } from "../auth/secure/handshake.js";
import { nodeProvider } from "../auth/crypto-node.js";
import { ReadyPool } from "../auth/ready-pool-node.js";
/** Hellos (ephemeral key pair and handshake state) made ahead, for connects with the native provider. */
const hellos = new ReadyPool(() => clientStart({ provider: nodeProvider }), (h) => destroyState(h.state));
export async function connect(target, ...rest) {
    if (typeof rest[0] === 'number') {
        const [port, service, password, argsC = [], options = {}] = rest;
        return connectTcpHost(target, port, service, password, argsC, options);
    }
    const [service, password, argsC = [], options = {}] = rest;
    const url = parseTarget(target);
    if (url.protocol === 'tcp:')
        return connectTcpHost(url.hostname.replace(/^\[|\]$/g, ''), Number(url.port), service, password, argsC, options);
    const limits = resolveLimits(options.limits ?? {});
    const port = Number(url.port || (url.protocol === 'wss:' ? 443 : 80));
    const opts = withHello(nodeClientDefaults(options, formatHostPort(url.hostname, port)));
    let transport;
    try {
        transport = await connectWebSocket(url.href, { WebSocket: options.webSocket ?? nodeWebSocket(limits.maxFrameBytes), maxFrameBytes: limits.maxFrameBytes, timeoutMs: limits.connectTimeoutMs });
    }
    catch (e) {
        if (opts.preparedHello)
            destroyState(opts.preparedHello.state);
        throw e;
    }
    return connectOver(transport, service, password, argsC, opts);
}
/**
 * The secure hello, made before the connection exists: one made while this
 * process was idle when the provider is the default native one, else one made
 * now (while the SYN or the WebSocket upgrade is on its way).
 */
function withHello(opts) {
    if (opts.protocol !== 'legacy' && !opts.preparedHello) {
        opts.preparedHello = opts.crypto === nodeProvider ? hellos.take() : clientStart({ provider: opts.crypto });
    }
    return opts;
}
async function connectTcpHost(host, port, service, password, argsC, options) {
    const limits = resolveLimits(options.limits ?? {});
    // Before anything is opened: it reads key files and may throw.
    const opts = nodeClientDefaults(options, `${host}:${port}`);
    const pending = connectTcp(host, port, { maxFrameBytes: limits.maxFrameBytes, timeoutMs: limits.connectTimeoutMs });
    try {
        withHello(opts);
    }
    catch (e) {
        void pending.then((t) => t.destroy(), () => { });
        throw e;
    }
    let transport;
    try {
        transport = await pending;
    }
    catch (e) {
        if (opts.preparedHello)
            destroyState(opts.preparedHello.state);
        throw e;
    }
    return connectOver(transport, service, password, argsC, opts);
}
function parseTarget(target) {
    let url;
    try {
        url = new URL(target);
    }
    catch {
        // reported below
    }
    if (!url || !['ws:', 'wss:', 'tcp:'].includes(url.protocol) || (url.protocol === 'tcp:' && !url.port)) {
        throw new ChanError('badArgument', `connect: "${target}" is neither a host followed by a port nor a ws://, wss:// or tcp://host:port URL`);
    }
    return url;
}
/** ws's WebSocket, refusing a message longer than maxFrameBytes from its header (browsers cannot). */
function nodeWebSocket(maxFrameBytes) {
    return class extends WebSocket {
        constructor(url) {
            super(url, { maxPayload: maxFrameBytes });
        }
    };
}
//# sourceMappingURL=node.js.map