/**
 * One connection on the server, from accept to the handler: tells the legacy
 * and secure protocols apart by the first frame, drives the login under a
 * deadline, then hands the transport to a middle-man and spawns the handler.
 * The handshake steps themselves are pure (src/auth); this file owns the
 * socket, the timer and the log lines.
 */
import { ChanError } from '../errors.ts';
import { toHex } from '../wire/bytes.ts';
import type { Limits } from '../limits.ts';
import type { Transport } from '../transport/transport.ts';
import { LegacyCodec, type ChannelCodec } from '../chan/codec.ts';
import { MiddleMan, asChanError, type CloseInfo } from '../chan/middle-man.ts';
import { atom, isAtom, isTuple, tuple, type Term } from '../wire/etf/term.ts';
import { encodeTerm } from '../wire/etf/encode.ts';
import { decodeTerm, type DecodeOptions } from '../wire/etf/decode.ts';
import { makeChallenge, checkLegacyResponse } from '../auth/legacy.ts';
import { sniff } from '../auth/sniff.ts';
import type { ServerConfig } from '../conf/schema.ts';
import { serviceUnavailable, type Service, type ServiceRegistry } from './services.ts';
import type { Logger } from './log.ts';
import type { LoginGuard } from './login-guard.ts';
import type { SessionMetrics } from './metrics.ts';
import type { SecureServerContext } from './secure-session.ts';
import { runSecureHandshake } from './secure-session.ts';

export interface SessionContext {
  config: ServerConfig;
  services: ServiceRegistry;
  log: Logger;
  randomBytes(n: number): Uint8Array;
  guard: LoginGuard;
  /** Counters for the metrics endpoint, when the conf asks for one. */
  metrics?: SessionMetrics;
  secure?: SecureServerContext;
  /** Called once the login succeeded and the handler runs. */
  established(mm: MiddleMan): void;
  /** Called once when the connection is gone, whatever happened; `info` when it had a channel. */
  ended(session: Session, info?: CloseInfo): void;
}

export type LegacyPolicy = 'allow' | 'loopback' | 'deny';

export function legacyAllowed(service: Service, config: ServerConfig, transport: Transport): boolean {
  if (!service.config.auth.includes('legacy')) return false;
  const policy: LegacyPolicy = service.config.legacy ?? config.legacy;
  return policy === 'allow' || (policy === 'loopback' && transport.isLoopback);
}

type Phase = { phase: 'awaitFirst' } | { phase: 'awaitResponse'; service: Service; challenge: string; argsC: Term } | { phase: 'secure' } | { phase: 'done' };

export class Session {
  readonly transport: Transport;
  private readonly ctx: SessionContext;
  private readonly startedAt = Date.now();
  private readonly decodeOptions: DecodeOptions;
  private state: Phase = { phase: 'awaitFirst' };
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Frames that arrive after the login but before the middle-man exists. */
  private early: Uint8Array[] | undefined;
  /** Frames for the secure handshake driver. */
  private secureFeed: ((frame: Uint8Array | ChanError) => void) | undefined;
  private ended = false;
  mm: MiddleMan | undefined;

  constructor(ctx: SessionContext, transport: Transport) {
    this.ctx = ctx;
    this.transport = transport;
    const l = ctx.config.limits;
    this.decodeOptions = decodeOptionsFor(l);
    this.timer = setTimeout(() => this.onHandshakeTimeout(), l.handshakeTimeoutMs);
    transport.start({
      frame: (f) => this.onFrame(f),
      close: (err) => this.onClose(err),
    });
  }

  get limits(): Limits {
    return this.ctx.config.limits;
  }

  private onFrame(frame: Uint8Array): void {
    try {
      switch (this.state.phase) {
        case 'awaitFirst':
          return this.onFirst(frame);
        case 'awaitResponse':
          return this.onResponse(frame, this.state);
        case 'secure':
          this.secureFeed?.(frame);
          return;
        case 'done':
          this.early?.push(frame);
          return;
      }
    } catch (e) {
      this.refuse(asChanError(e, 'protocolError'));
    }
  }

  private onFirst(frame: Uint8Array): void {
    const kind = sniff(frame);
    if (kind.kind === 'secure') {
      if (!this.ctx.secure) {
        this.refuse(new ChanError('protocolError', 'server: secure handshake requested but this server has no identity key (add {identity, "server.key"} to the conf)', { details: { phase: 'hello', side: 'server' } }));
        return;
      }
      this.state = { phase: 'secure' };
      runSecureHandshake(this, this.ctx, this.ctx.secure, frame, (feed: (f: Uint8Array | ChanError) => void) => (this.secureFeed = feed));
      return;
    }
    if (kind.kind !== 'legacy') {
      throw new ChanError('protocolError', `server: first frame is neither a lib_chan term nor a secure hello (starts ${toHex(frame, 8)})`, { details: { phase: 'first frame', side: 'server' } });
    }
    const term = decodeTerm(frame, this.decodeOptions);
    if (!isTuple(term, 3, 'startService')) {
      throw new ChanError('protocolError', 'server: the first message must be {startService, Service, ArgsC}', { details: { phase: 'startService', side: 'server' } });
    }
    const [, svcTerm, argsC] = term.elements;
    const name = isAtom(svcTerm) ? svcTerm.name : undefined;
    const service = name === undefined ? undefined : this.ctx.services.get(name);
    if (!service) {
      this.send(atom('badService'));
      this.finishHandshake('badService', { service: name ?? String(svcTerm), method: 'legacy' });
      return;
    }
    const down = serviceUnavailable(service);
    if (down !== undefined) {
      // The original's client knows only badService for a service it cannot have.
      this.send(atom('badService'));
      this.finishHandshake('serviceDown', { service: service.config.name, method: 'legacy' }, `service ${service.config.name} is down: ${down}`);
      return;
    }
    if (!legacyAllowed(service, this.ctx.config, this.transport)) {
      const why = service.config.auth.includes('legacy')
        ? `the legacy MD5 login is refused for service ${service.config.name}: it sends a password hash an eavesdropper can attack offline. Use the secure client, or enable it with {legacy, allow} in the service options or at the top of the conf`
        // {legacy, allow} alone would not help here: the service's auth list leaves legacy out.
        : `the legacy MD5 login is refused for service ${service.config.name}: its {auth, [...]} option does not list legacy. Use the secure client, or add legacy to that list (plus {legacy, allow} for peers not on loopback)`;
      this.send(tuple(atom('legacyRefused'), why));
      this.finishHandshake('legacyRefused', { service: service.config.name, method: 'legacy' }, why);
      return;
    }
    const pw = service.config.password;
    if (pw.kind === 'none') {
      this.send(atom('ack'));
      this.establish(service, argsC, new LegacyCodec(serviceDecodeOptions(service)), 'legacy');
      return;
    }
    if (pw.kind !== 'plain') {
      const why = `service ${service.config.name} stores a password hash, which the legacy MD5 login cannot check; use the secure client`;
      this.send(tuple(atom('legacyRefused'), why));
      this.finishHandshake('legacyRefused', { service: service.config.name, method: 'legacy' }, why);
      return;
    }
    const blocked = this.ctx.guard.check(this.transport.remoteAddress, service.config.name);
    if (blocked > 0) {
      this.send(atom('authFail'));
      this.finishHandshake('rateLimited', { service: service.config.name, method: 'legacy', retryAfterMs: blocked });
      return;
    }
    const challenge = makeChallenge(this.ctx.randomBytes);
    this.state = { phase: 'awaitResponse', service, challenge, argsC };
    this.send(tuple(atom('challenge'), challenge));
  }

  private onResponse(frame: Uint8Array, st: { service: Service; challenge: string; argsC: Term }): void {
    const term = decodeTerm(frame, this.decodeOptions);
    const pw = st.service.config.password;
    const name = st.service.config.name;
    const response = isTuple(term, 2, 'response') ? term.elements[1] : undefined;
    if (response === undefined) {
      throw new ChanError('protocolError', 'server: expected {response, R} after the challenge', { details: { phase: 'response', side: 'server', service: name } });
    }
    // Checked again here: logins started before a lock-out must not keep guessing after it.
    const blocked = this.ctx.guard.check(this.transport.remoteAddress, name);
    if (blocked > 0) {
      this.send(atom('authFail'));
      this.finishHandshake('rateLimited', { service: name, method: 'legacy', retryAfterMs: blocked });
      return;
    }
    const ok = typeof response === 'string' && pw.kind === 'plain' && checkLegacyResponse(st.challenge, pw.secret, response);
    if (!ok) {
      if (this.ctx.guard.failed(this.transport.remoteAddress, name)) logLockout(this.ctx, this.transport, name, 'legacy');
      this.send(atom('authFail'));
      this.finishHandshake('authFail', { service: name, method: 'legacy' });
      return;
    }
    this.ctx.guard.succeeded(this.transport.remoteAddress, name);
    this.send(atom('ack'));
    this.establish(st.service, st.argsC, new LegacyCodec(serviceDecodeOptions(st.service)), 'legacy');
  }

  private send(term: Term): void {
    this.transport.send(encodeTerm(term));
  }

  /** The login succeeded: hand the transport to a middle-man and spawn the handler. */
  establish(service: Service, argsC: Term, codec: ChannelCodec, method: string, held: Uint8Array[] = []): void {
    this.finishHandshake('ack', { service: service.config.name, method });
    const early = [...held, ...(this.early ?? [])];
    this.early = undefined;
    const mm = new MiddleMan({
      pending: early,
      transport: this.transport,
      codec,
      limits: service.config.limits,
      service: service.config.name,
      log: this.ctx.log,
      validate: service.validate,
      onInvalid: service.config.onInvalid,
    });
    this.mm = mm;
    this.ctx.established(mm);
    spawnHandler(service, mm, argsC);
    void mm.closed.then((info) => {
      this.ended = true;
      this.ctx.ended(this, info);
      this.ctx.log[info.error && info.error.code !== 'connectionLost' ? 'warn' : 'info']({
        event: 'channelClosed', service: service.config.name, peer: this.transport.peer, reason: info.reason,
        error: info.error?.message, details: info.error?.details, bytesIn: info.bytesIn, bytesOut: info.bytesOut, messagesIn: info.messagesIn, messagesOut: info.messagesOut,
      }, 'channel closed');
    });
  }

  /** Log the handshake result; for anything but ack, close after the reply is flushed. */
  finishHandshake(result: string, fields: Record<string, unknown>, reason?: string): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // The secure driver's closure holds the handshake state (chaining key, transcript hash): let it go.
    this.secureFeed = undefined;
    const durationMs = Date.now() - this.startedAt;
    const level = result === 'ack' ? 'info' : 'warn';
    this.ctx.log[level]({ event: 'handshake', result, peer: this.transport.peer, durationMs, ...fields, reason }, `login ${result}`);
    this.ctx.metrics?.handshake(result, String(fields.method ?? 'unknown'));
    if (result !== 'ack') {
      this.state = { phase: 'done' };
      this.transport.end();
    } else {
      this.state = { phase: 'done' };
    }
  }

  /** Close a connection that broke the protocol, with its reason in the log. */
  refuse(err: ChanError): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.state.phase === 'done' && this.mm) {
      this.mm.abort(err);
      return;
    }
    if (this.state.phase !== 'done') this.ctx.metrics?.handshake(err.code, phaseMethod(this.state.phase), err.details.key);
    this.state = { phase: 'done' };
    this.ctx.log.warn({ event: 'handshake', result: err.code, peer: this.transport.peer, durationMs: Date.now() - this.startedAt, reason: err.message, details: err.details }, 'connection refused');
    this.transport.destroy(err);
  }

  private onHandshakeTimeout(): void {
    this.timer = undefined;
    const l = this.limits.handshakeTimeoutMs;
    this.secureFeed?.(new ChanError('handshakeTimeout', `server: no complete login within handshakeTimeoutMs=${l}`, { details: { limit: l, phase: this.state.phase, side: 'server' } }));
    this.refuse(new ChanError('handshakeTimeout', `server: ${this.transport.peer} did not finish the login within handshakeTimeoutMs=${l} (phase ${this.state.phase})`, {
      details: { limit: l, phase: this.state.phase, side: 'server', key: 'handshakeTimeoutMs' },
    }));
  }

  private onClose(err?: ChanError): void {
    if (this.ended) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.secureFeed?.(err ?? new ChanError('connectionLost', 'server: peer closed during the handshake', { details: { side: 'server' } }));
      if (this.state.phase !== 'done') {
        this.ctx.metrics?.handshake(err?.code ?? 'connectionLost', phaseMethod(this.state.phase), err?.details.key);
        this.ctx.log[err && err.code !== 'connectionLost' ? 'warn' : 'info']({ event: 'handshake', result: err?.code ?? 'connectionLost', peer: this.transport.peer, phase: this.state.phase, durationMs: Date.now() - this.startedAt, reason: err?.message, details: err?.details }, err && err.code !== 'connectionLost' ? 'connection refused' : 'peer left before finishing the login');
      }
    }
    this.state = { phase: 'done' };
    this.ended = true;
    this.ctx.ended(this);
  }

  get isEnded(): boolean {
    return this.ended;
  }
}

/** A failed login just locked `transport`'s address out of `service`: say so, once. */
export function logLockout(ctx: SessionContext, transport: Transport, service: string, method: string): void {
  const l = ctx.config.limits;
  ctx.metrics?.limitHit('maxLoginFailures');
  ctx.log.warn({
    event: 'loginLockout', peer: transport.peer, address: transport.remoteAddress, service, method,
    failures: l.maxLoginFailures, lockoutMs: l.loginLockoutMs, key: 'maxLoginFailures',
  }, `too many failed logins from ${transport.remoteAddress} to ${service}: locked out for ${l.loginLockoutMs} ms`);
}

/** The login method a handshake that ended early was using, for the metrics. */
function phaseMethod(phase: Phase['phase']): string {
  return phase === 'secure' ? 'secure' : phase === 'awaitResponse' ? 'legacy' : 'unknown';
}

/** Term decoding limits of one service (its `{limits, [...]}` over the server's). */
function serviceDecodeOptions(service: Service): DecodeOptions {
  return decodeOptionsFor(service.config.limits);
}

const DECODE_OPTIONS = new WeakMap<Limits, DecodeOptions>();

/** The decode options of a set of limits: one shared object per conf, not one per connection. */
export function decodeOptionsFor(l: Limits): DecodeOptions {
  let o = DECODE_OPTIONS.get(l);
  if (!o) {
    o = Object.freeze({ maxDepth: l.maxTermDepth, maxDecompressedBytes: l.maxDecompressedBytes, maxAtoms: l.maxAtomsPerTerm });
    DECODE_OPTIONS.set(l, o);
  }
  return o;
}

/** Run `Fun(MM, ArgsC, ArgsS)`; a throw or rejection closes only this channel. */
export function spawnHandler(service: Service, mm: MiddleMan, argsC: Term): void {
  if (service.supervisor) {
    // {isolation, worker}: the handler runs in the service's worker thread; mm stays here.
    service.supervisor.attach(mm, argsC);
    return;
  }
  let out: unknown;
  try {
    out = service.handler(mm, argsC, service.config.argsS);
  } catch (e) {
    mm.crashed(e);
    return;
  }
  if (out instanceof Promise) {
    // The handler ending ends the channel, as the controller process ending does in the original;
    // a callback-style handler (mm.onMessage) keeps it open until either side closes.
    out.then(
      () => !mm.hasCallback && mm.close('handlerReturned'),
      (e) => mm.crashed(e),
    );
  } else if (!mm.hasCallback) {
    mm.close('handlerReturned');
  }
}

