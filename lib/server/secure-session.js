/**
 * The server side of the secure handshake, driven for one Session: hello in,
 * reply out, the encrypted login checked against the service's policy
 * (password in constant time or against its scrypt hash, or a client key on
 * the service's list), then the result and the record keys.
 */
import fs from 'node:fs';
import { ChanError } from "../errors.js";
import { X25519_KEY_BYTES } from "../auth/crypto.js";
import { nodeProvider } from "../auth/crypto-node.js";
import { generateKeyFile, loadKeyFile } from "../auth/keys-node.js";
import { encodePublicKey } from "../auth/keys.js";
import { passwordMatches, serverOnAuth, serverOnHello, serverResult, destroyState } from "../auth/secure/handshake.js";
import { verifyPasswordHash } from "../auth/password-hash-node.js";
import { bytesEqual, wipe } from "../wire/bytes.js";
import { decodeTerm } from "../wire/etf/decode.js";
import { SecureCodec } from "../chan/secure-codec.js";
import { asChanError } from "../chan/middle-man.js";
import { decodeOptionsFor, logLockout } from "./session.js";
import { ReadyPool } from "../auth/ready-pool-node.js";
/** Load the identity key named by the conf (creating it, mode 0600, when missing). */
export async function loadSecureContext(config) {
    const file = config.identityFile;
    if (file === undefined)
        return undefined;
    const provider = nodeProvider;
    let generated = false;
    let identity;
    if (!fs.existsSync(file)) {
        identity = generateKeyFile(file, 'server', provider);
        generated = true;
    }
    else {
        identity = loadKeyFile(file, 'server', provider);
    }
    const ephemerals = new ReadyPool(() => provider.x25519Keypair(provider.randomBytes(X25519_KEY_BYTES)), (p) => wipe(p.secretKey));
    return {
        identity, provider, publicKeyText: encodePublicKey('server', identity.publicKey), generated, ephemerals,
        helloDeps: { identity, provider, ephemeral: () => ephemerals.take() },
    };
}
/** Drive the secure handshake; `setFeed` routes the session's next frames here. */
export function runSecureHandshake(session, ctx, sctx, hello, setFeed) {
    const t = session.transport;
    const r = serverOnHello(sctx.helloDeps, hello);
    if (r.refused) {
        t.send(r.out);
        session.finishHandshake('versionUnsupported', { method: 'secure' }, r.refused.message);
        return;
    }
    const state = r.state;
    t.send(r.out);
    let decided = false;
    const held = [];
    setFeed((frame) => {
        if (frame instanceof ChanError) {
            if (!state.spent)
                destroyState(state);
            return;
        }
        if (decided) {
            // Records sent right behind the login, while its check (scrypt) runs.
            held.push(frame.slice());
            return;
        }
        decided = true;
        let step;
        try {
            step = serverOnAuth(state, frame);
        }
        catch (e) {
            session.refuse(asChanError(e, 'protocolError'));
            return;
        }
        void decide(session, ctx, sctx, step.state, step.request, held).catch((e) => session.refuse(asChanError(e, 'protocolError')));
    });
}
async function decide(session, ctx, sctx, state, req, held) {
    const t = session.transport;
    const fields = { service: req.service, method: req.method };
    const answer = (code, reason) => {
        wipe(req.password);
        const out = serverResult(state, code, reason);
        t.send(out.out);
        if (code !== 'ack')
            session.finishHandshake(code, fields, reason);
    };
    const service = ctx.services.get(req.service);
    if (!service)
        return answer('badService');
    const down = service.supervisor?.unavailable();
    if (down !== undefined) {
        // Its worker crashed past the restart intensity: refused until a reload, with the reason.
        const why = `service ${service.config.name} is down: ${down}`;
        wipe(req.password);
        t.send(serverResult(state, 'badService', why).out);
        session.finishHandshake('serviceDown', fields, why);
        return;
    }
    const cfg = service.config;
    const blocked = ctx.guard.check(t.remoteAddress, cfg.name);
    if (blocked > 0)
        return answer('rateLimited', `too many failed logins; retry in ${Math.ceil(blocked / 1000)} s`);
    const verdict = await check(service, req, sctx);
    // Again after the (asynchronous) check: concurrent guesses must not outlive a lock-out they caused.
    const lockedNow = ctx.guard.check(t.remoteAddress, cfg.name);
    if (lockedNow > 0)
        return answer('rateLimited', `too many failed logins; retry in ${Math.ceil(lockedNow / 1000)} s`);
    if (verdict !== 'ack') {
        if (verdict === 'authFail' && ctx.guard.failed(t.remoteAddress, cfg.name))
            logLockout(ctx, t, cfg.name, req.method);
        const delay = ctx.guard.serviceDelayMs(cfg.name);
        if (delay > 0)
            await new Promise((r) => setTimeout(r, delay));
        return answer(verdict, verdict === 'methodRefused' ? `service ${cfg.name} accepts ${cfg.auth.filter((m) => m !== 'legacy').join(', ')}` : undefined);
    }
    ctx.guard.succeeded(t.remoteAddress, cfg.name);
    let argsC;
    try {
        argsC = decodeTerm(req.argsC, decodeOptionsFor(cfg.limits));
    }
    catch (e) {
        return answer('badRequest', `ArgsC is not a valid term: ${e.message}`);
    }
    wipe(req.password);
    const out = serverResult(state, 'ack');
    t.send(out.out);
    const codec = new SecureCodec(out.session, sctx.provider, decodeOptionsFor(cfg.limits));
    session.establish(service, argsC, codec, req.method === 'none' ? 'secure' : `secure-${req.method}`, held);
}
async function check(service, req, sctx) {
    const cfg = service.config;
    const pw = cfg.password;
    if (req.method === 'key') {
        if (!cfg.auth.includes('key'))
            return 'methodRefused';
        const listed = req.clientPublicKey !== undefined && cfg.clientKeys.some((k) => bytesEqual(k, req.clientPublicKey));
        return req.signatureOk === true && listed ? 'ack' : 'authFail';
    }
    // Before the password-none shortcut: {auth, [key]} must not let a keyless login in.
    if (!cfg.auth.includes('password'))
        return 'methodRefused';
    if (pw.kind === 'none')
        return 'ack';
    if (req.method !== 'password')
        return 'authFail';
    const proof = req.password ?? new Uint8Array(0);
    if (pw.kind === 'plain')
        return passwordMatches(sctx.provider, proof, pw.secret) ? 'ack' : 'authFail';
    return (await verifyPasswordHash(proof, pw.hash)) ? 'ack' : 'authFail';
}
//# sourceMappingURL=secure-session.js.map