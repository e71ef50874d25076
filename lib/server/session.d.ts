/**
 * One connection on the server, from accept to the handler: tells the legacy
 * and secure protocols apart by the first frame, drives the login under a
 * deadline, then hands the transport to a middle-man and spawns the handler.
 * The handshake steps themselves are pure (src/auth); this file owns the
 * socket, the timer and the log lines.
 */
import { ChanError } from '../errors.ts';
import type { Limits } from '../limits.ts';
import type { Transport } from '../transport/transport.ts';
import { type ChannelCodec } from '../chan/codec.ts';
import { MiddleMan, type CloseInfo } from '../chan/middle-man.ts';
import { type Term } from '../wire/etf/term.ts';
import { type DecodeOptions } from '../wire/etf/decode.ts';
import type { ServerConfig } from '../conf/schema.ts';
import type { Service, ServiceRegistry } from './services.ts';
import type { Logger } from './log.ts';
import type { LoginGuard } from './login-guard.ts';
import type { SessionMetrics } from './metrics.ts';
import type { SecureServerContext } from './secure-session.ts';
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
export declare function legacyAllowed(service: Service, config: ServerConfig, transport: Transport): boolean;
export declare class Session {
    readonly transport: Transport;
    private readonly ctx;
    private readonly startedAt;
    private readonly decodeOptions;
    private state;
    private timer;
    /** Frames that arrive after the login but before the middle-man exists. */
    private early;
    /** Frames for the secure handshake driver. */
    private secureFeed;
    private ended;
    mm: MiddleMan | undefined;
    constructor(ctx: SessionContext, transport: Transport);
    get limits(): Limits;
    private onFrame;
    private onFirst;
    private onResponse;
    private send;
    /** The login succeeded: hand the transport to a middle-man and spawn the handler. */
    establish(service: Service, argsC: Term, codec: ChannelCodec, method: string, held?: Uint8Array[]): void;
    /** Log the handshake result; for anything but ack, close after the reply is flushed. */
    finishHandshake(result: string, fields: Record<string, unknown>, reason?: string): void;
    /** Close a connection that broke the protocol, with its reason in the log. */
    refuse(err: ChanError): void;
    private onHandshakeTimeout;
    private onClose;
    get isEnded(): boolean;
}
/** A failed login just locked `transport`'s address out of `service`: say so, once. */
export declare function logLockout(ctx: SessionContext, transport: Transport, service: string, method: string): void;
/** The decode options of a set of limits: one shared object per conf, not one per connection. */
export declare function decodeOptionsFor(l: Limits): DecodeOptions;
/** Run `Fun(MM, ArgsC, ArgsS)`; a throw or rejection closes only this channel. */
export declare function spawnHandler(service: Service, mm: MiddleMan, argsC: Term): void;
//# sourceMappingURL=session.d.ts.map