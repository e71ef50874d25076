/**
 * The client side of the secure handshake, driven over a transport
 * (isomorphic). The server's key is checked (pin, or the caller's
 * checkServerKey such as a known-hosts file) before any credential is
 * encrypted, and a server that answers with the legacy protocol is refused:
 * a secure client never downgrades.
 */
import { ChanError } from "../errors.js";
import { tweetnaclProvider } from "../auth/crypto.js";
import { REPLY_MIN_BYTES, clientAuth, clientOnReply, clientOnResult, clientPrecomputeEs, clientStart, destroyState } from "../auth/secure/handshake.js";
import { decodePublicKey } from "../auth/keys.js";
import { ETF_VERSION } from "../auth/sniff.js";
import { fromHex } from "../wire/bytes.js";
import { encodeTerm } from "../wire/etf/encode.js";
import { SecureCodec } from "../chan/secure-codec.js";
export function parseServerKey(key) {
    if (key instanceof Uint8Array) {
        if (key.length !== 32)
            throw new ChanError('badArgument', `serverKey must be 32 bytes, got ${key.length}`);
        return key;
    }
    if (/^[0-9a-fA-F]{64}$/.test(key.trim()))
        return fromHex(key.trim());
    return decodePublicKey('server', key);
}
export async function secureLogin(transport, waiter, service, password, argsC, options, decodeOptions) {
    const provider = options.crypto ?? tweetnaclProvider;
    const pinnedKey = options.serverKey === undefined ? undefined : parseServerKey(options.serverKey);
    const method = options.clientKey ? 'key' : password !== null ? 'password' : 'none';
    const argsBytes = encodeTerm(argsC);
    const hello = options.preparedHello ?? clientStart({ provider });
    let state = hello.state;
    try {
        transport.send(hello.out);
        // The server now works on its reply: meanwhile, one of our two DHs, with the key it should present.
        const expected = pinnedKey ?? options.serverKeyHint;
        if (expected)
            clientPrecomputeEs(hello.state, expected);
        const reply = await waiter.next();
        // A real reply starts with a random ephemeral key (byte 131 one time in 256), so only a
        // short frame that starts with 131 is taken for a legacy term.
        if (reply.length < REPLY_MIN_BYTES && reply[0] === ETF_VERSION) {
            throw new ChanError('protocolError', `client: ${transport.peer} answered the secure hello with a legacy lib_chan term; it does not speak the secure protocol. Refusing to fall back (use protocol: 'legacy' only on a network you trust)`, {
                details: { phase: 'reply', side: 'client', peer: transport.peer },
            });
        }
        const r = clientOnReply(hello.state, reply, { pinnedKey, checkKey: options.checkServerKey });
        state = r.state;
        const a = clientAuth(r.state, { service, method, password: password ?? undefined, clientKey: options.clientKey, argsC: argsBytes });
        state = a.state;
        transport.send(a.out);
        const res = clientOnResult(a.state, await waiter.next());
        state = undefined;
        if (res.error)
            throw withService(res.error, service, transport.peer);
        return new SecureCodec(res.session, provider, decodeOptions);
    }
    catch (e) {
        if (state && !state.spent)
            destroyState(state);
        throw e;
    }
}
function withService(err, service, peer) {
    const what = {
        badService: `the server at ${peer} has no service named ${service}`,
        authFail: `service ${service} at ${peer} refused the login`,
    };
    return new ChanError(err.code, what[err.code] ? `${what[err.code]} (${err.message})` : err.message, { details: { ...err.details, service, peer }, cause: err });
}
//# sourceMappingURL=secure-login.js.map