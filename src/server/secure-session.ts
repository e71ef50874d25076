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
import {
  READ_FEATURES,
  passwordMatches,
  serverOnAuth,
  serverOnHello,
  serverResult,
  destroyState,
  type AuthRequest,
  type ResultName,
  type ServerAwaitDecision,
  type ServerDeps,
} from '../auth/secure/handshake.ts';
import { verifyPasswordHash } from '../auth/password-hash-node.ts';
import { bytesEqual, wipe } from '../wire/bytes.ts';
import { decodeTerm } from '../wire/etf/decode.ts';
import type { Transport } from '../transport/transport.ts';
import { asChanError } from '../chan/middle-man.ts';
import { decodeOptionsFor } from './decode-options.ts';
import { shownName } from './first-frame.ts';
import type { Service } from './services.ts';
import type { Login } from './hand-off.ts';
import { authorize, type AuthorizeContext } from './authorize.ts';
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
  const ephemerals = new ReadyPool(
    () => provider.x25519Keypair(provider.randomBytes(X25519_KEY_BYTES)),
    (p: KeyPair) => wipe(p.secretKey),
  );
  return {
    identity,
    provider,
    publicKeyText: encodePublicKey('server', identity.publicKey),
    generated,
    ephemerals,
    helloDeps: { identity, provider, ephemeral: () => ephemerals.take(), features: READ_FEATURES },
  };
}

/**
 * What the secure login driver needs of the connection's Session (which
 * drives the legacy login itself and hands a secure hello to this driver):
 * the transport, the answer to give, and the login's bookkeeping.
 */
export interface SecureLoginHost {
  readonly transport: Transport;
  /** Bytes of frames held behind an unanswered login (bounded by maxLoginFrameBytes). */
  heldLoginBytes: number;
  /** The login has been answered or the connection is gone. */
  readonly isDecided: boolean;
  maxCheckWaitMs(): number;
  refuse(err: ChanError): void;
  finishHandshake(result: string, fields: Record<string, unknown>, reason?: string): void;
  establish(login: Login): void;
}

/** Drive the secure handshake; `setFeed` routes the session's next frames here. */
export function runSecureHandshake(
  session: SecureLoginHost,
  ctx: AuthorizeContext,
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
      // Records sent right behind the login, while its check (scrypt) runs: our client sends
      // none, so a little is plenty (issue 10, finding 3: they used to be kept without bound).
      const limit = ctx.config.limits.maxLoginFrameBytes;
      if (session.heldLoginBytes + frame.length > limit) {
        session.refuse(
          new ChanError('limitExceeded', `server: more than maxLoginFrameBytes=${limit} bytes sent behind a login before its answer`, {
            details: { limit, actual: session.heldLoginBytes + frame.length, phase: 'auth', side: 'server', key: 'maxLoginFrameBytes' },
          }),
        );
        held.length = 0;
        session.heldLoginBytes = 0;
        return;
      }
      held.push(frame.slice());
      session.heldLoginBytes += frame.length;
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

async function decide(
  session: SecureLoginHost,
  ctx: AuthorizeContext,
  sctx: SecureServerContext,
  state: ServerAwaitDecision,
  req: AuthRequest,
  held: Uint8Array[],
): Promise<void> {
  const t = session.transport;
  // The name is the peer's (up to 64 KiB): the log shows a bounded prefix of a name we do not serve.
  const fields = { service: shownName(req.service), method: req.method };
  const answer = (code: ResultName, reason?: string): void => {
    wipe(req.password);
    const out = serverResult(state, code, reason);
    t.send(out.out);
    if (code !== 'ack') session.finishHandshake(code, fields, reason);
  };
  const adm = authorize(ctx, t, req.service, req.method);
  if (!adm.ok) {
    if (adm.result === 'serviceDown') {
      // The client sees badService with the reason; the log says serviceDown.
      wipe(req.password);
      t.send(serverResult(state, 'badService', adm.reason).out);
      session.finishHandshake('serviceDown', fields, adm.reason);
      return;
    }
    return answer(adm.result === 'legacyRefused' ? 'methodRefused' : adm.result, adm.reason);
  }
  const service = adm.service;
  const cfg = service.config;
  const verdict = await adm.verify(
    () => check(service, req, sctx),
    session.maxCheckWaitMs(),
    () => session.isDecided,
  );
  // The connection may have gone, or its handshake timed out, while the check waited for its turn.
  if (session.isDecided) return wipe(req.password);
  if (verdict.result !== 'ack') return answer(verdict.result, verdict.reason);
  let argsC;
  try {
    // The reason goes back to the client and into the log: no decrypted bytes in it (issue 10, finding 8).
    argsC = decodeTerm(req.argsC, { ...decodeOptionsFor(cfg.limits), excerpt: false });
  } catch (e) {
    return answer('badRequest', `ArgsC is not a valid term: ${(e as Error).message}`);
  }
  wipe(req.password);
  const out = serverResult(state, 'ack');
  session.establish({ service, argsC, method: req.method === 'none' ? 'secure' : `secure-${req.method}`, ack: out.out, held, keys: out.session! });
}

/** The credential check alone (authorize() has decided the method is allowed and a check is needed). */
async function check(service: Service, req: AuthRequest, sctx: SecureServerContext): Promise<boolean> {
  const cfg = service.config;
  const pw = cfg.password;
  if (req.method === 'key') {
    const listed = req.clientPublicKey !== undefined && cfg.clientKeys.some((k) => bytesEqual(k, req.clientPublicKey!));
    return req.signatureOk === true && listed;
  }
  if (req.method !== 'password' || pw.kind === 'none') return false;
  const proof = req.password ?? new Uint8Array(0);
  if (pw.kind === 'plain') return passwordMatches(sctx.provider, proof, pw.secret);
  return verifyPasswordHash(proof, pw.hash);
}
