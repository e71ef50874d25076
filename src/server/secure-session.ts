/**
 * The server side of the secure handshake, driven for one Session: hello in,
 * reply out, the encrypted login checked against the service's policy
 * (password in constant time or against its scrypt hash, or a client key on
 * the service's list), then the result and the record keys.
 */
import fs from 'node:fs';
import { ChanError } from '../errors.ts';
import type { ServerConfig } from '../conf/schema.ts';
import { X25519_KEY_BYTES, type CryptoProvider, type KeyPair } from '../auth/crypto.ts';
import { nodeProvider } from '../auth/crypto-node.ts';
import { generateKeyFile, loadKeyFile } from '../auth/keys-node.ts';
import { encodePublicKey } from '../auth/keys.ts';
import { passwordMatches, serverOnAuth, serverOnHello, serverResult, destroyState, type AuthRequest, type ResultName, type ServerAwaitDecision, type ServerDeps } from '../auth/secure/handshake.ts';
import { verifyPasswordHash } from '../auth/password-hash-node.ts';
import { bytesEqual, wipe } from '../wire/bytes.ts';
import { decodeTerm } from '../wire/etf/decode.ts';
import { SecureCodec } from '../chan/secure-codec.ts';
import { asChanError } from '../chan/middle-man.ts';
import { decodeOptionsFor, logLockout, type Session, type SessionContext } from './session.ts';
import { serviceUnavailable, type Service } from './services.ts';
import { ReadyPool } from '../auth/ready-pool-node.ts';

export interface SecureServerContext {
  identity: KeyPair;
  provider: CryptoProvider;
  /** `lcsk1:...`, what clients pin. */
  publicKeyText: string;
  /** True when the key file was created by this start. */
  generated: boolean;
  /** Server ephemeral key pairs made while idle (one X25519 off each login's critical path). */
  ephemerals: ReadyPool<KeyPair>;
  /** What serverOnHello needs, made once. */
  helloDeps: ServerDeps;
}

/** Load the identity key named by the conf (creating it, mode 0600, when missing). */
export async function loadSecureContext(config: ServerConfig): Promise<SecureServerContext | undefined> {
  const file = config.identityFile;
  if (file === undefined) return undefined;
  const provider = nodeProvider;
  let generated = false;
  let identity: KeyPair;
  if (!fs.existsSync(file)) {
    identity = generateKeyFile(file, 'server', provider);
    generated = true;
  } else {
    identity = loadKeyFile(file, 'server', provider);
  }
  const ephemerals = new ReadyPool(() => provider.x25519Keypair(provider.randomBytes(X25519_KEY_BYTES)), (p: KeyPair) => wipe(p.secretKey));
  return {
    identity, provider, publicKeyText: encodePublicKey('server', identity.publicKey), generated, ephemerals,
    helloDeps: { identity, provider, ephemeral: () => ephemerals.take() },
  };
}

/** Drive the secure handshake; `setFeed` routes the session's next frames here. */
export function runSecureHandshake(
  session: Session,
  ctx: SessionContext,
  sctx: SecureServerContext,
  hello: Uint8Array,
  setFeed: (feed: (frame: Uint8Array | ChanError) => void) => void,
): void {
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
  const held: Uint8Array[] = [];
  setFeed((frame) => {
    if (frame instanceof ChanError) {
      if (!state.spent) destroyState(state);
      return;
    }
    if (decided) {
      // Records sent right behind the login, while its check (scrypt) runs.
      held.push(frame.slice());
      return;
    }
    decided = true;
    let step: { state: ServerAwaitDecision; request: AuthRequest };
    try {
      step = serverOnAuth(state, frame);
    } catch (e) {
      session.refuse(asChanError(e, 'protocolError'));
      return;
    }
    void decide(session, ctx, sctx, step.state, step.request, held).catch((e) => session.refuse(asChanError(e, 'protocolError')));
  });
}

async function decide(session: Session, ctx: SessionContext, sctx: SecureServerContext, state: ServerAwaitDecision, req: AuthRequest, held: Uint8Array[]): Promise<void> {
  const t = session.transport;
  const fields = { service: req.service, method: req.method };
  const answer = (code: ResultName, reason?: string): void => {
    wipe(req.password);
    const out = serverResult(state, code, reason);
    t.send(out.out);
    if (code !== 'ack') session.finishHandshake(code, fields, reason);
  };
  const service = ctx.services.get(req.service);
  if (!service) return answer('badService');
  const down = serviceUnavailable(service);
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
  if (blocked > 0) return answer('rateLimited', `too many failed logins; retry in ${Math.ceil(blocked / 1000)} s`);
  const verdict = await check(service, req, sctx);
  // Again after the (asynchronous) check: concurrent guesses must not outlive a lock-out they caused.
  const lockedNow = ctx.guard.check(t.remoteAddress, cfg.name);
  if (lockedNow > 0) return answer('rateLimited', `too many failed logins; retry in ${Math.ceil(lockedNow / 1000)} s`);
  if (verdict !== 'ack') {
    if (verdict === 'authFail' && ctx.guard.failed(t.remoteAddress, cfg.name)) logLockout(ctx, t, cfg.name, req.method);
    const delay = ctx.guard.serviceDelayMs(cfg.name);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    return answer(verdict, verdict === 'methodRefused' ? `service ${cfg.name} accepts ${cfg.auth.filter((m) => m !== 'legacy').join(', ')}` : undefined);
  }
  ctx.guard.succeeded(t.remoteAddress, cfg.name);
  let argsC;
  try {
    argsC = decodeTerm(req.argsC, decodeOptionsFor(cfg.limits));
  } catch (e) {
    return answer('badRequest', `ArgsC is not a valid term: ${(e as Error).message}`);
  }
  wipe(req.password);
  const out = serverResult(state, 'ack');
  t.send(out.out);
  const codec = new SecureCodec(out.session!, sctx.provider, decodeOptionsFor(cfg.limits));
  session.establish(service, argsC, codec, req.method === 'none' ? 'secure' : `secure-${req.method}`, held);
}

async function check(service: Service, req: AuthRequest, sctx: SecureServerContext): Promise<ResultName> {
  const cfg = service.config;
  const pw = cfg.password;
  if (req.method === 'key') {
    if (!cfg.auth.includes('key')) return 'methodRefused';
    const listed = req.clientPublicKey !== undefined && cfg.clientKeys.some((k) => bytesEqual(k, req.clientPublicKey!));
    return req.signatureOk === true && listed ? 'ack' : 'authFail';
  }
  // Before the password-none shortcut: {auth, [key]} must not let a keyless login in.
  if (!cfg.auth.includes('password')) return 'methodRefused';
  if (pw.kind === 'none') return 'ack';
  if (req.method !== 'password') return 'authFail';
  const proof = req.password ?? new Uint8Array(0);
  if (pw.kind === 'plain') return passwordMatches(sctx.provider, proof, pw.secret) ? 'ack' : 'authFail';
  return (await verifyPasswordHash(proof, pw.hash)) ? 'ack' : 'authFail';
}
