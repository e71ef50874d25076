/**
 * One connection on the server, from accept to the handler: tells the legacy
 * and secure protocols apart by the first frame, drives the login under a
 * deadline, then hands the transport to a middle-man and spawns the handler.
 * The handshake steps themselves are pure (src/auth); this file owns the
 * socket, the timer and the log lines.
 */
import type { Socket } from 'node:net';
import { ChanError } from '../errors.ts';
import { toHex } from '../wire/bytes.ts';
import type { Limits } from '../limits.ts';
import type { Transport } from '../transport/transport.ts';
import { LegacyCodec } from '../chan/codec.ts';
import { SecureCodec } from '../chan/secure-codec.ts';
import { TcpTransport } from '../transport/tcp.ts';
import { MiddleMan, asChanError, runHandler, type CloseInfo } from '../chan/middle-man.ts';
import { SocketSide } from '../chan/socket-side.ts';
import { atom, isTuple, tuple, type Term } from '../wire/etf/term.ts';
import { encodeTerm } from '../wire/etf/encode.ts';
import { decodeTerm, type DecodeOptions } from '../wire/etf/decode.ts';
import { makeChallenge, checkLegacyResponse } from '../auth/legacy.ts';
import { encodeRefusal } from '../auth/secure/handshake.ts';
import { sniff } from '../auth/sniff.ts';
import type { ServerConfig } from '../conf/schema.ts';
import type { Service, ServiceRegistry } from './services.ts';
import type { Logger } from './log.ts';
import type { LoginGuard } from './login-guard.ts';
import { authorize, legacySecret, lockedOut, type Admission, type Verdict } from './authorize.ts';
import type { SessionMetrics } from './metrics.ts';
import type { SecureServerContext } from './secure-session.ts';
import { runSecureHandshake } from './secure-session.ts';
import { readStartService, shownName } from './first-frame.ts';
import { decodeOptionsFor } from './decode-options.ts';
import type { HandOffMessage, Login } from './hand-off.ts';

export interface SessionContext {
  config: ServerConfig;
  services: ServiceRegistry;
  log: Logger;
  randomBytes(n: number): Uint8Array;
  guard: LoginGuard;
  /** Counters for the metrics endpoint, when the conf asks for one. */
  metrics?: SessionMetrics;
  secure?: SecureServerContext;
  /** Channels open now that logged in without a credential (maxAnonymousChannels). */
  anonymousChannels?: () => number;
  /** Called once the login succeeded and the handler runs; `anonymous` when it checked no credential. */
  established(mm: SocketSide, anonymous: boolean): void;
  /** Called once when the connection is gone, whatever happened; `info` when it had a channel. */
  ended(session: Session, info?: CloseInfo): void;
  /**
   * In a process that is not the primary (`{processes, N}`): sends a decided login of a service it does not
   * run, with its socket, to the primary.
   */
  handOff?: (socket: Socket, msg: HandOffMessage) => void;
}

export type LegacyPolicy = 'allow' | 'loopback' | 'deny';
export { legacyAllowed, logLockout } from './authorize.ts';

type AwaitResponse = {
  phase: 'awaitResponse';
  service: Service;
  challenge: string;
  secret: string;
  argsC: Term;
  verify: Extract<Admission, { ok: true }>['verify'];
};
type Phase = { phase: 'awaitFirst' } | AwaitResponse | { phase: 'checking' } | { phase: 'secure' } | { phase: 'done' };

export class Session {
  readonly transport: Transport;
  private readonly ctx: SessionContext;
  private readonly startedAt = Date.now();
  private readonly decodeOptions: DecodeOptions;
  private state: Phase = { phase: 'awaitFirst' };
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Frames for the secure handshake driver. */
  private secureFeed: ((frame: Uint8Array | ChanError) => void) | undefined;
  private ended = false;
  /** Bytes of frames the secure driver holds behind an unanswered login (bounded by maxLoginFrameBytes). */
  heldLoginBytes = 0;
  mm: SocketSide | undefined;

  /** `adopted`: a login another process of this gateway decided (src/server/processes.ts); its channel opens now. */
  constructor(ctx: SessionContext, transport: Transport, adopted?: Login) {
    this.ctx = ctx;
    this.transport = transport;
    const l = ctx.config.limits;
    this.decodeOptions = decodeOptionsFor(l);
    if (adopted) {
      this.state = { phase: 'done' };
      ctx.metrics?.handshake('ack', adopted.method);
      ctx.log.debug({ event: 'channelAdopted', service: adopted.service.config.name, peer: transport.peer, method: adopted.method }, 'channel adopted');
      this.open(adopted);
      return;
    }
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
        case 'checking':
          // The legacy client waits for ack before it sends: nothing may come while the response is checked.
          throw new ChanError('protocolError', 'server: a frame arrived before the legacy login was answered', {
            details: { phase: 'response', side: 'server' },
          });
        case 'done':
          // A refused login is closing: nothing more is read. (After an ack the middle-man has
          // taken the transport over in the same tick, so no frame comes here.)
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
        this.refuse(
          new ChanError('protocolError', 'server: secure handshake requested but this server has no identity key (add {identity, "server.key"} to the conf)', {
            details: { phase: 'hello', side: 'server' },
          }),
        );
        return;
      }
      const locked = lockedOut(this.ctx, this.transport);
      if (locked > 0) {
        // Before any key exchange: a locked-out prefix costs no X25519 (a plaintext refusal, docs/protocol.md 4.5.3).
        this.transport.send(encodeRefusal('rateLimited'));
        this.finishHandshake('rateLimited', { method: 'secure', retryAfterMs: locked });
        return;
      }
      this.state = { phase: 'secure' };
      runSecureHandshake(this, this.ctx, this.ctx.secure, frame, (feed: (f: Uint8Array | ChanError) => void) => (this.secureFeed = feed));
      return;
    }
    if (kind.kind !== 'legacy') {
      throw new ChanError('protocolError', `server: first frame is neither a lib_chan term nor a secure hello (starts ${toHex(frame, 8)})`, {
        details: { phase: 'first frame', side: 'server' },
      });
    }
    const start = readStartService(frame, this.decodeOptions);
    if (!start) {
      throw new ChanError('protocolError', 'server: the first message must be {startService, Service, ArgsC}', {
        details: { phase: 'startService', side: 'server' },
      });
    }
    const name = start.service;
    const adm = authorize(this.ctx, this.transport, name, 'legacy');
    if (!adm.ok) {
      // A name that is no atom is shown as a bounded prefix of its text (issue 10, finding 8).
      const service = adm.service?.config.name ?? (name === undefined ? start.shown : shownName(name));
      const fields = { service, method: 'legacy', retryAfterMs: adm.retryAfterMs };
      // The original's client knows badService, authFail and (ours) {legacyRefused, Why}: a down service is badService, a lock-out authFail.
      if (adm.result === 'legacyRefused') this.send(tuple(atom('legacyRefused'), adm.reason ?? ''));
      else this.send(atom(adm.result === 'badService' || adm.result === 'serviceDown' ? 'badService' : 'authFail'));
      this.finishHandshake(adm.result, fields, adm.reason);
      return;
    }
    const service = adm.service;
    // ArgsC is decoded only now that the service and its policy admit the login.
    const argsC = start.argsC();
    const secret = legacySecret(service);
    if (secret === undefined) {
      this.establish({ service, argsC, method: 'legacy', ack: encodeTerm(atom('ack')) });
      return;
    }
    const challenge = makeChallenge(this.ctx.randomBytes);
    this.state = { phase: 'awaitResponse', service, challenge, secret, argsC, verify: adm.verify };
    this.send(tuple(atom('challenge'), challenge));
  }

  private onResponse(frame: Uint8Array, st: AwaitResponse): void {
    const term = decodeTerm(frame, this.decodeOptions);
    const name = st.service.config.name;
    const response = isTuple(term, 2, 'response') ? term.elements[1] : undefined;
    if (response === undefined) {
      throw new ChanError('protocolError', 'server: expected {response, R} after the challenge', {
        details: { phase: 'response', side: 'server', service: name },
      });
    }
    this.state = { phase: 'checking' };
    const check = (): boolean => typeof response === 'string' && checkLegacyResponse(st.challenge, st.secret, response);
    void st
      .verify(check, this.maxCheckWaitMs(), () => this.state.phase !== 'checking')
      .then(
        (v) => this.answerLegacy(st, v),
        (e) => this.refuse(asChanError(e, 'protocolError')),
      );
  }

  private answerLegacy(st: AwaitResponse, v: Verdict): void {
    // The connection may have gone, or its handshake timed out, while the check waited for its turn.
    if (this.state.phase !== 'checking') return;
    const name = st.service.config.name;
    if (v.result === 'ack') {
      this.establish({ service: st.service, argsC: st.argsC, method: 'legacy', ack: encodeTerm(atom('ack')) });
      return;
    }
    this.send(atom('authFail'));
    this.finishHandshake(v.result, { service: name, method: 'legacy', retryAfterMs: v.retryAfterMs }, v.reason);
  }

  /**
   * How long a login may wait for its turn in the service's guess budget:
   * half of what its handshake has left, so the check and the answer still
   * fit before handshakeTimeoutMs.
   */
  maxCheckWaitMs(): number {
    return Math.max(0, (this.startedAt + this.limits.handshakeTimeoutMs - Date.now()) / 2);
  }

  private send(term: Term): void {
    this.transport.send(encodeTerm(term));
  }

  /**
   * The login succeeded: answer it, hand the transport to a middle-man and spawn the handler; or, in a
   * process that does not run the service, hand the connection to the primary, which answers it.
   */
  establish(login: Login): void {
    const name = login.service.config.name;
    const handOff = this.ctx.handOff;
    if (handOff && login.service.config.state !== 'per_process' && this.transport instanceof TcpTransport) {
      this.finishHandshake('ack', { service: name, method: login.method, handedOff: true });
      this.handOff(login, this.transport, handOff);
      return;
    }
    this.finishHandshake('ack', { service: name, method: login.method });
    this.open(login);
  }

  /**
   * Hand the connection over once what was written to it has left (the reply of the secure hello may still
   * be queued); the client sends nothing until the ack, which the primary sends, and anything it sends
   * anyway is kept in order (TcpTransport.hold()).
   */
  private handOff(login: Login, t: TcpTransport, send: NonNullable<SessionContext['handOff']>): void {
    t.hold();
    this.heldLoginBytes = 0;
    void t.flushed().then(() => {
      // The peer may have gone while the last bytes were written.
      if (this.ended) return;
      const { socket, rest } = t.detach();
      this.ended = true;
      this.ctx.ended(this);
      const { service, argsC, method, ack, held = [], keys } = login;
      try {
        // Bytes of their own: a clone copies a view's whole buffer (a 16 KiB frame slab for a small term), and a
        // message with a socket is serialised only when the one before it has been acknowledged.
        const own = (u: Uint8Array): Uint8Array => new Uint8Array(u);
        const msg = {
          kind: 'handOff',
          service: service.config.name,
          method,
          argsC: own(encodeTerm(argsC)),
          ack: own(ack),
          held,
          keys,
          rest: rest.map(own),
        } as const;
        send(socket, msg);
      } catch (e) {
        this.ctx.log.error(
          { event: 'handOffFailed', service: service.config.name, peer: t.peer, error: (e as Error).message },
          'could not hand the connection to the primary',
        );
        socket.destroy();
      }
    });
  }

  /** Answer the login and open its channel here. */
  private open(login: Login): void {
    const { service, argsC, method } = login;
    const limits = service.config.limits;
    this.transport.send(login.ack);
    this.transport.endLogin?.();
    this.heldLoginBytes = 0;
    const codec = login.keys ? new SecureCodec(login.keys, this.ctx.secure!.provider, decodeOptionsFor(limits)) : new LegacyCodec(decodeOptionsFor(limits));
    const mm = new SocketSide({
      pending: login.held ?? [],
      transport: this.transport,
      codec,
      limits: service.config.limits,
      service: service.config.name,
      log: this.ctx.log,
      validate: service.validate,
      onInvalid: service.config.onInvalid,
      closeListener: this,
    });
    this.mm = mm;
    const anonymous = method === 'secure-key' ? false : method === 'legacy' ? legacySecret(service) === undefined : service.config.password.kind === 'none';
    this.ctx.established(mm, anonymous);
    spawnHandler(service, mm, argsC);
  }

  /** @internal CloseListener: the channel this login made has closed. */
  channelClosed(info: CloseInfo): void {
    this.ended = true;
    this.ctx.ended(this, info);
    this.ctx.log[info.error && info.error.code !== 'connectionLost' ? 'warn' : 'info'](
      {
        event: 'channelClosed',
        service: this.mm?.service,
        peer: this.transport.peer,
        reason: info.reason,
        error: info.error?.message,
        details: info.error?.details,
        bytesIn: info.bytesIn,
        bytesOut: info.bytesOut,
        messagesIn: info.messagesIn,
        messagesOut: info.messagesOut,
      },
      'channel closed',
    );
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
    this.ctx.log.warn(
      { event: 'handshake', result: err.code, peer: this.transport.peer, durationMs: Date.now() - this.startedAt, reason: err.message, details: err.details },
      'connection refused',
    );
    this.transport.destroy(err);
  }

  private onHandshakeTimeout(): void {
    this.timer = undefined;
    const l = this.limits.handshakeTimeoutMs;
    this.secureFeed?.(
      new ChanError('handshakeTimeout', `server: no complete login within handshakeTimeoutMs=${l}`, {
        details: { limit: l, phase: this.state.phase, side: 'server' },
      }),
    );
    this.refuse(
      new ChanError('handshakeTimeout', `server: ${this.transport.peer} did not finish the login within handshakeTimeoutMs=${l} (phase ${this.state.phase})`, {
        details: { limit: l, phase: this.state.phase, side: 'server', key: 'handshakeTimeoutMs' },
      }),
    );
  }

  private onClose(err?: ChanError): void {
    if (this.ended) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.secureFeed?.(err ?? new ChanError('connectionLost', 'server: peer closed during the handshake', { details: { side: 'server' } }));
      if (this.state.phase !== 'done') {
        this.ctx.metrics?.handshake(err?.code ?? 'connectionLost', phaseMethod(this.state.phase), err?.details.key);
        this.ctx.log[err && err.code !== 'connectionLost' ? 'warn' : 'info'](
          {
            event: 'handshake',
            result: err?.code ?? 'connectionLost',
            peer: this.transport.peer,
            phase: this.state.phase,
            durationMs: Date.now() - this.startedAt,
            reason: err?.message,
            details: err?.details,
          },
          err && err.code !== 'connectionLost' ? 'connection refused' : 'peer left before finishing the login',
        );
      }
    }
    this.state = { phase: 'done' };
    this.ended = true;
    this.ctx.ended(this);
  }

  /** The login has been answered, refused or abandoned (a check that waited must not answer again). */
  get isDecided(): boolean {
    return this.state.phase === 'done';
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Memory this connection makes the server hold (maxBufferedBytes counts it): frames in, held, queued for the handler and for the peer. */
  get bufferedBytes(): number {
    if (this.shedding || this.ended) return 0;
    const t = this.transport;
    return (t.bufferedBytes ?? 0) + t.queuedBytes + this.heldLoginBytes + (this.mm?.mailboxBytes ?? 0);
  }

  get peer(): string {
    return this.transport.peer;
  }

  /** Over the server's memory budget: close (the error carries key maxBufferedBytes). */
  shed(err: ChanError): void {
    this.shedding = true;
    this.refuse(err);
  }

  /** Shed by the memory budget: counted as freed from then on (its close follows). */
  private shedding = false;
}

/** The login method a handshake that ended early was using, for the metrics. */
function phaseMethod(phase: Phase['phase']): string {
  return phase === 'secure' ? 'secure' : phase === 'awaitResponse' || phase === 'checking' ? 'legacy' : 'unknown';
}

/** Run `Fun(MM, ArgsC, ArgsS)` inline or in the service's worker; a throw or rejection closes only this channel. */
export function spawnHandler(service: Service, socket: SocketSide, argsC: Term): void {
  if (service.supervisor) {
    // {isolation, worker}: the handler runs in the service's worker thread; the socket side stays here.
    service.supervisor.attach(socket, argsC);
    return;
  }
  const mm = new MiddleMan(socket, socket);
  mm.fencingToken = socket.fencingToken;
  socket.attach(mm);
  runHandler(service.handler, mm, argsC, service.config.argsS);
}
