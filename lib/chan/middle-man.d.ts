/**
 * The server-side middle-man: one per connection, between the transport and
 * the handler actor, as `lib_chan_mm` is in the original. It decodes frames
 * into messages for the handler, encodes what the handler sends, closes the
 * connection on `close()`, and ends the handler's iteration when the peer goes
 * away (the original's `{chan_closed, MM}`).
 */
import { ChanError, type ErrorCode } from '../errors.ts';
import type { Limits } from '../limits.ts';
import type { Transport } from '../transport/transport.ts';
import { type Term } from '../wire/etf/term.ts';
import { type ChannelCodec } from './codec.ts';
import type { ChanLogger } from './logger.ts';
/** What a Request answers through: the middle-man, or a worker thread's stand-in for it. */
export interface RequestTarget {
    replyTo(req: Request, term: Term): void;
    failTo(req: Request, code: string, message: string): void;
}
/** One incoming message with the means to answer it. */
export declare class Request {
    private readonly mm;
    /** The message as the peer sent it. */
    readonly term: Term;
    /** Call id (secure calls); 0 for casts and every legacy message. */
    readonly id: number;
    /** True when the peer waits for an answer: a secure call, or any legacy message (it cannot tell). */
    readonly isCall: boolean;
    /** When a secure call arrived (performance.now()), for the rpc latency metric; 0 when not measured. */
    receivedAt: number;
    constructor(mm: RequestTarget, 
    /** The message as the peer sent it. */
    term: Term, 
    /** Call id (secure calls); 0 for casts and every legacy message. */
    id: number, 
    /** True when the peer waits for an answer: a secure call, or any legacy message (it cannot tell). */
    isCall: boolean);
    private answered;
    /** Answer this message (legacy: a plain send, the original's semantics). */
    reply(term: Term): void;
    /** Answer with an error the client's rpc rejects with (secure); legacy sends `{error, Code, Message}`. */
    fail(code: string, message: string): void;
    /** A secure call has exactly one answer (a second would corrupt the in-flight count); legacy sends are free. */
    private once;
}
export interface CloseInfo {
    /** Why the channel ended: `peerClosed`, `handlerClosed`, `handlerReturned`, `shutdown`, or an error code. */
    reason: string;
    error?: ChanError;
    bytesIn: number;
    bytesOut: number;
    messagesIn: number;
    messagesOut: number;
}
export type MessageCallback = (msg: Term, req: Request) => unknown;
/** Where a delegated middle-man hands its messages: a handler running elsewhere (worker isolation). */
export interface MessageSink {
    /** One message that passed the checks, for the handler. */
    deliver(req: Request): void;
    /** Graceful shutdown: the handler should finish what it has and return. */
    drain(): void;
}
/** Per-channel counters, kept by the middle-man on every frame (read by the metrics at scrape time). */
export interface ChannelStats {
    bytesIn: number;
    bytesOut: number;
    messagesIn: number;
    messagesOut: number;
}
export interface MiddleManOptions {
    transport: Transport;
    codec: ChannelCodec;
    limits: Limits;
    service: string;
    log: ChanLogger;
    /** Checks a message before the handler sees it; returns an error text to refuse it. */
    validate?: (term: Term) => string | undefined;
    onInvalid?: 'close' | 'drop';
    /** Frames that arrived after the login, before this middle-man existed. */
    pending?: Uint8Array[];
}
export declare class MiddleMan implements AsyncIterable<Term>, RequestTarget {
    readonly service: string;
    readonly peer: string;
    readonly secure: boolean;
    /** Resolves once the channel is closed, whichever side closed it. */
    readonly closed: Promise<CloseInfo>;
    /** Set by the server when metrics are on: the time from a secure call to its answer, in seconds. */
    rpcObserver: ((seconds: number) => void) | undefined;
    private readonly transport;
    private readonly codec;
    private readonly limits;
    private readonly log;
    private readonly validate;
    private readonly onInvalid;
    private readonly mailbox;
    private callback;
    private sink;
    private current;
    private inflight;
    private resolveClosed;
    private state;
    private draining;
    /** Callback-style answers still being computed (a graceful shutdown waits for them). */
    private pendingCallbacks;
    private readonly stats;
    private idleTimer;
    private lastActivity;
    constructor(opts: MiddleManOptions);
    get isOpen(): boolean;
    /** Bytes and messages so far, both ways (a live view: do not modify). */
    get counters(): Readonly<ChannelStats>;
    /** Send a message to the peer (secure: a push, never taken for an rpc reply). */
    send(term: Term): void;
    /** Answer the message most recently taken from the iteration. */
    reply(term: Term): void;
    /** Close the channel: flush what is queued, then close the connection. `error` says why, when it is a fault. */
    close(reason?: string, error?: ChanError): void;
    /**
     * Graceful shutdown: the handler's iteration ends after the messages already
     * accepted, and it may still answer them; the channel closes when the
     * handler returns. Callback-style handlers are closed once the answers
     * they are computing are sent (or at once when there are none).
     */
    drain(): void;
    /** Iterate incoming messages as terms (book style); ends when the peer closes. */
    [Symbol.asyncIterator](): AsyncIterator<Term>;
    /** @internal The next message as a term (TermIterator). */
    nextTerm(): Promise<IteratorResult<Term>>;
    /** Iterate incoming messages as Request objects, each with reply()/fail(). */
    requests(): AsyncIterable<Request>;
    /**
     * Callback style: `cb(msg, req)` runs for every message; a value it returns
     * (or resolves to) other than `undefined` answers a call. The channel then
     * stays open until either side closes it.
     */
    onMessage(cb: MessageCallback): void;
    get hasCallback(): boolean;
    /**
     * Hand every message (after the schema and limit checks) to `sink` instead
     * of this handler-side API: the handler runs elsewhere and answers through
     * replyTo/failTo with Requests it rebuilds. Messages already queued go first.
     */
    delegate(sink: MessageSink): void;
    /** @internal */
    replyTo(req: Request, term: Term): void;
    /** @internal */
    failTo(req: Request, code: string, message: string): void;
    /** Close because of a fault; the reason is logged with the service and peer. */
    abort(error: ChanError): void;
    private write;
    private rawWrite;
    /** One frame from the peer (the session also feeds frames that arrived during the login). */
    deliverFrame(payload: Uint8Array): void;
    private deliver;
    private dispatch;
    /** The handler threw: close only this channel, with the stack in the log. */
    crashed(e: unknown): void;
    /** @internal The transport is gone (TransportSink). */
    transportClosed(error?: ChanError): void;
    private armIdle;
    private finish;
}
export declare function errorTerm(code: string, message: string): Term;
export declare function asChanError(e: unknown, fallback: ErrorCode): ChanError;
//# sourceMappingURL=middle-man.d.ts.map