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
import { atom, tuple, type Term } from '../wire/etf/term.ts';
import { KIND, type ChannelCodec, type Inbound } from './codec.ts';
import { Mailbox } from './mailbox.ts';
import type { ChanLogger } from './logger.ts';

/** What a Request answers through: the middle-man, or a worker thread's stand-in for it. */
export interface RequestTarget {
  replyTo(req: Request, term: Term): void;
  failTo(req: Request, code: string, message: string): void;
}

/** One incoming message with the means to answer it. */
export class Request {
  /** When a secure call arrived (performance.now()), for the rpc latency metric; 0 when not measured. */
  receivedAt = 0;

  constructor(
    private readonly mm: RequestTarget,
    /** The message as the peer sent it. */
    readonly term: Term,
    /** Call id (secure calls); 0 for casts and every legacy message. */
    readonly id: number,
    /** True when the peer waits for an answer: a secure call, or any legacy message (it cannot tell). */
    readonly isCall: boolean,
  ) {}

  private answered = false;

  /** Answer this message (legacy: a plain send, the original's semantics). */
  reply(term: Term): void {
    this.once();
    this.mm.replyTo(this, term);
  }

  /** Answer with an error the client's rpc rejects with (secure); legacy sends `{error, Code, Message}`. */
  fail(code: string, message: string): void {
    this.once();
    this.mm.failTo(this, code, message);
  }

  /** A secure call has exactly one answer (a second would corrupt the in-flight count); legacy sends are free. */
  private once(): void {
    if (this.id === 0) return;
    if (this.answered) throw new ChanError('badArgument', `call ${this.id} was already answered; use mm.send() for a push`);
    this.answered = true;
  }
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

export class MiddleMan implements AsyncIterable<Term>, RequestTarget {
  readonly service: string;
  readonly peer: string;
  readonly secure: boolean;
  /** Resolves once the channel is closed, whichever side closed it. */
  readonly closed: Promise<CloseInfo>;
  /** A singleton service's fencing token (the election's revision), set by the server before the handler starts. */
  fencingToken: string | undefined;
  /** Set by the server when metrics are on: the time from a secure call to its answer, in seconds. */
  rpcObserver: ((seconds: number) => void) | undefined;

  private readonly transport: Transport;
  private readonly codec: ChannelCodec;
  private readonly limits: Limits;
  private readonly log: ChanLogger;
  private readonly validate: MiddleManOptions['validate'];
  private readonly onInvalid: 'close' | 'drop';
  private readonly mailbox: Mailbox<Request>;
  private callback: MessageCallback | undefined;
  private sink: MessageSink | undefined;
  private current: Request | undefined;
  private inflight = 0;
  private resolveClosed!: (info: CloseInfo) => void;
  private state: 'open' | 'closing' | 'closed' = 'open';
  private draining = false;
  /** Callback-style answers still being computed (a graceful shutdown waits for them). */
  private pendingCallbacks = 0;
  private readonly stats: ChannelStats = { bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0 };
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private lastActivity = 0;

  constructor(opts: MiddleManOptions) {
    this.transport = opts.transport;
    this.codec = opts.codec;
    this.limits = opts.limits;
    this.service = opts.service;
    this.peer = opts.transport.peer;
    this.secure = opts.codec.secure;
    this.log = opts.log;
    this.validate = opts.validate;
    this.onInvalid = opts.onInvalid ?? 'close';
    this.mailbox = new Mailbox(opts.limits.maxMailboxMessages);
    this.closed = new Promise((r) => (this.resolveClosed = r));
    for (const f of opts.pending ?? []) this.deliverFrame(f);
    this.transport.start(new TransportSink(this));
    if (this.limits.idleTimeoutMs > 0) this.armIdle();
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Bytes and messages so far, both ways (a live view: do not modify). */
  get counters(): Readonly<ChannelStats> {
    return this.stats;
  }

  /** Send a message to the peer (secure: a push, never taken for an rpc reply). */
  send(term: Term): void {
    this.write(this.secure ? KIND.push : KIND.message, 0, term);
  }

  /** Answer the message most recently taken from the iteration. */
  reply(term: Term): void {
    if (!this.current) {
      throw new ChanError('badArgument', 'mm.reply() called before any message was received; use mm.send() for pushes', { details: { service: this.service } });
    }
    this.current.reply(term);
  }

  /** Close the channel: flush what is queued, then close the connection. `error` says why, when it is a fault. */
  close(reason = 'handlerClosed', error?: ChanError): void {
    if (this.state !== 'open') return;
    this.state = 'closing';
    if (this.secure) this.rawWrite(KIND.close, 0, undefined);
    this.transport.end();
    this.finish(reason, error);
  }

  /**
   * Graceful shutdown: the handler's iteration ends after the messages already
   * accepted, and it may still answer them; the channel closes when the
   * handler returns. Callback-style handlers are closed once the answers
   * they are computing are sent (or at once when there are none).
   */
  drain(): void {
    if (this.state !== 'open' || this.draining) return;
    this.draining = true;
    if (this.sink) this.sink.drain();
    else if (this.callback) {
      if (this.pendingCallbacks === 0) this.close('shutdown');
    } else this.mailbox.end();
  }

  /** Iterate incoming messages as terms (book style); ends when the peer closes. */
  [Symbol.asyncIterator](): AsyncIterator<Term> {
    return new TermIterator(this);
  }

  /** @internal The next message as a term (TermIterator). */
  async nextTerm(): Promise<IteratorResult<Term>> {
    const r = await this.mailbox.next();
    if (r.done) return { value: undefined, done: true };
    this.current = r.value;
    return { value: r.value.term, done: false };
  }

  /** Iterate incoming messages as Request objects, each with reply()/fail(). */
  requests(): AsyncIterable<Request> {
    return this.mailbox;
  }

  /**
   * Callback style: `cb(msg, req)` runs for every message; a value it returns
   * (or resolves to) other than `undefined` answers a call. The channel then
   * stays open until either side closes it.
   */
  onMessage(cb: MessageCallback): void {
    this.callback = cb;
    for (let r = this.mailbox.size; r > 0; r--) {
      void this.mailbox.next().then((it) => !it.done && this.dispatch(it.value));
    }
  }

  get hasCallback(): boolean {
    return this.callback !== undefined;
  }

  /**
   * Hand every message (after the schema and limit checks) to `sink` instead
   * of this handler-side API: the handler runs elsewhere and answers through
   * replyTo/failTo with Requests it rebuilds. Messages already queued go first.
   */
  delegate(sink: MessageSink): void {
    this.sink = sink;
    for (let r = this.mailbox.size; r > 0; r--) {
      void this.mailbox.next().then((it) => !it.done && this.state === 'open' && sink.deliver(it.value));
    }
  }

  /** @internal */
  replyTo(req: Request, term: Term): void {
    if (this.secure) {
      if (!req.isCall) throw new ChanError('badArgument', 'this message was a cast: there is no caller to reply to (use mm.send() for a push)', { details: { service: this.service } });
      this.inflight--;
      this.write(KIND.reply, req.id, term);
      if (req.receivedAt !== 0 && this.rpcObserver) this.rpcObserver((performance.now() - req.receivedAt) / 1000);
    } else {
      this.write(KIND.message, 0, term);
    }
  }

  /** @internal */
  failTo(req: Request, code: string, message: string): void {
    if (this.secure) {
      if (!req.isCall) return;
      this.inflight--;
      this.write(KIND.errorReply, req.id, errorTerm(code, message));
      if (req.receivedAt !== 0 && this.rpcObserver) this.rpcObserver((performance.now() - req.receivedAt) / 1000);
    } else {
      this.write(KIND.message, 0, errorTerm(code, message));
    }
  }

  /** Close because of a fault; the reason is logged with the service and peer. */
  abort(error: ChanError): void {
    if (this.state === 'closed') return;
    this.state = 'closing';
    this.transport.destroy(error);
    this.finish(error.code, error);
  }

  private write(kind: (typeof KIND)[keyof typeof KIND], id: number, term: Term): void {
    if (this.state !== 'open') return;
    this.rawWrite(kind, id, term);
    if (this.transport.queuedBytes > this.limits.maxQueuedBytes) {
      this.abort(new ChanError('limitExceeded', `peer ${this.peer} reads too slowly: ${this.transport.queuedBytes} bytes queued, limit maxQueuedBytes=${this.limits.maxQueuedBytes}`, {
        details: { limit: this.limits.maxQueuedBytes, actual: this.transport.queuedBytes, service: this.service, peer: this.peer, key: 'maxQueuedBytes' },
      }));
    }
  }

  private rawWrite(kind: (typeof KIND)[keyof typeof KIND], id: number, term: Term): void {
    const payload = this.codec.encode(kind, id, term);
    this.stats.bytesOut += payload.length + 4;
    this.stats.messagesOut++;
    this.lastActivity = Date.now();
    this.transport.send(payload);
  }

  /** One frame from the peer (the session also feeds frames that arrived during the login). */
  deliverFrame(payload: Uint8Array): void {
    if (this.state !== 'open') return;
    this.stats.bytesIn += payload.length + 4;
    this.stats.messagesIn++;
    this.lastActivity = Date.now();
    let msg: Inbound;
    try {
      msg = this.codec.decode(payload);
    } catch (e) {
      this.abort(asChanError(e, 'badTerm'));
      return;
    }
    if (this.draining && msg.kind !== KIND.close) {
      if (msg.kind === KIND.call) this.write(KIND.errorReply, msg.id, errorTerm('shuttingDown', 'the server is shutting down; retry on another server or later'));
      return;
    }
    switch (msg.kind) {
      case KIND.message:
        return this.deliver(new Request(this, msg.term, 0, true));
      case KIND.cast:
        return this.deliver(new Request(this, msg.term, 0, false));
      case KIND.call:
        if (++this.inflight > this.limits.maxInflightRpcs) {
          this.abort(new ChanError('limitExceeded', `peer ${this.peer} has more than maxInflightRpcs=${this.limits.maxInflightRpcs} calls waiting`, {
            details: { limit: this.limits.maxInflightRpcs, actual: this.inflight, service: this.service, peer: this.peer, key: 'maxInflightRpcs' },
          }));
          return;
        }
        {
          const req = new Request(this, msg.term, msg.id, true);
          if (this.rpcObserver) req.receivedAt = performance.now();
          return this.deliver(req);
        }
      case KIND.close:
        this.state = 'closing';
        this.transport.end();
        this.finish('peerClosed');
        return;
      default:
        this.abort(new ChanError('protocolError', `server: record kind ${msg.kind} is not allowed from a client`, { details: { phase: 'data', side: 'server', peer: this.peer, service: this.service } }));
    }
  }

  private deliver(req: Request): void {
    if (this.validate) {
      const problem = this.validate(req.term);
      if (problem !== undefined) {
        this.log.warn({ event: 'messageRejected', service: this.service, peer: this.peer, problem }, 'message refused by the service schema');
        if (req.isCall && this.secure) {
          req.fail('badMessage', problem);
          return;
        }
        if (this.onInvalid === 'drop') return;
        this.abort(new ChanError('protocolError', `message refused by the schema of service ${this.service}: ${problem}`, { details: { service: this.service, peer: this.peer, phase: 'schema' } }));
        return;
      }
    }
    if (this.sink) {
      this.sink.deliver(req);
      return;
    }
    if (this.callback) {
      this.dispatch(req);
      return;
    }
    if (!this.mailbox.push(req)) {
      this.abort(new ChanError('limitExceeded', `handler for ${this.service} has ${this.mailbox.size} unread messages, limit maxMailboxMessages=${this.limits.maxMailboxMessages}`, {
        details: { limit: this.limits.maxMailboxMessages, actual: this.mailbox.size, service: this.service, peer: this.peer, key: 'maxMailboxMessages' },
      }));
    }
  }

  private dispatch(req: Request): void {
    const cb = this.callback!;
    this.current = req;
    let out: unknown;
    try {
      out = cb(req.term, req);
    } catch (e) {
      this.crashed(e);
      return;
    }
    // A value that cannot be encoded is the handler's fault: it closes this channel, never the server.
    const answer = (v: unknown): void => {
      if (v === undefined || !req.isCall || this.state !== 'open') return;
      try {
        req.reply(v as Term);
      } catch (e) {
        this.crashed(e);
      }
    };
    if (out instanceof Promise) {
      this.pendingCallbacks++;
      void out.then(answer, (e) => this.crashed(e)).finally(() => {
        if (--this.pendingCallbacks === 0 && this.draining) this.close('shutdown');
      });
    } else {
      answer(out);
    }
  }

  /** The handler threw: close only this channel, with the stack in the log. */
  crashed(e: unknown): void {
    const err = new ChanError('handlerCrashed', `handler of service ${this.service} failed: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e, details: { service: this.service, peer: this.peer },
    });
    this.log.error({ event: 'handlerCrashed', service: this.service, peer: this.peer, err: e }, 'handler crashed; closing its channel');
    this.abort(err);
  }

  /** @internal The transport is gone (TransportSink). */
  transportClosed(error?: ChanError): void {
    if (this.state === 'closed') return;
    if (error) this.finish(error.code, error);
    // Secure: a graceful end sends a close record first; a bare end may be a cut stream (docs/protocol.md 4.6).
    else this.finish(this.secure ? 'connectionLost' : 'peerClosed');
  }

  private armIdle(): void {
    this.lastActivity = Date.now();
    const tick = (): void => {
      if (this.state !== 'open') return;
      const idle = Date.now() - this.lastActivity;
      if (idle >= this.limits.idleTimeoutMs) {
        this.abort(new ChanError('timeout', `channel idle for ${idle} ms, limit idleTimeoutMs=${this.limits.idleTimeoutMs}`, {
          details: { limit: this.limits.idleTimeoutMs, service: this.service, peer: this.peer, key: 'idleTimeoutMs' },
        }));
        return;
      }
      this.idleTimer = setTimeout(tick, this.limits.idleTimeoutMs - idle);
    };
    this.idleTimer = setTimeout(tick, this.limits.idleTimeoutMs);
  }

  private finish(reason: string, error?: ChanError): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.mailbox.end();
    if (error) this.mailbox.clear();
    this.resolveClosed({ reason, error, ...this.stats });
  }
}

export function errorTerm(code: string, message: string): Term {
  // {error, Code, Message}: what an Erlang peer would pattern-match on.
  return tuple(atom('error'), atom(code), message);
}

export function asChanError(e: unknown, fallback: ErrorCode): ChanError {
  if (e instanceof ChanError) return e;
  return new ChanError(fallback, e instanceof Error ? e.message : String(e), { cause: e });
}

/*
 * Per-connection helpers as small classes rather than closures: an idle
 * server holds one of each per connection, and a class instance is smaller
 * than closures (which the tsx/esbuild name-keeping also gives a property array).
 */

/** Transport events into the middle-man. */
class TransportSink {
  constructor(private readonly mm: MiddleMan) {}
  frame(payload: Uint8Array): void {
    this.mm.deliverFrame(payload);
  }
  close(error?: ChanError): void {
    this.mm.transportClosed(error);
  }
}

/** `for await (const msg of mm)`. */
class TermIterator implements AsyncIterator<Term> {
  constructor(private readonly mm: MiddleMan) {}
  next(): Promise<IteratorResult<Term>> {
    return this.mm.nextTerm();
  }
  return(): Promise<IteratorResult<Term>> {
    return Promise.resolve({ value: undefined, done: true });
  }
}
