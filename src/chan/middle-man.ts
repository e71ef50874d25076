/**
 * The handler-side middle-man: the `mm` a handler is given, as `lib_chan_mm`
 * is in the original. It hands the handler the peer's messages (async
 * iteration, requests() with reply/fail, or a callback), sends what the
 * handler sends, closes on `close()`, and ends the iteration when the channel
 * goes away (the original's `{chan_closed, MM}`).
 *
 * One implementation for both placements. Its outward side is a small
 * interface, MiddleManLink: inline, the channel's SocketSide on the same
 * thread (socket-side.ts: transport, codec, schema, limits); in a worker
 * thread, the port adapter of server/worker-entry.ts, which posts the same
 * calls to the SocketSide on the main thread. Everything a handler can observe
 * is decided here, so a handler behaves the same wherever it runs
 * (test/integration/handler-suite.test.ts runs one suite in both placements).
 */
import { ChanError, type ErrorCode } from '../errors.ts';
import { MAX_ATOM_CHARACTERS } from '../wire/etf/tags.ts';
import { atom, tuple, type Term } from '../wire/etf/term.ts';
import { Mailbox } from './mailbox.ts';

export interface CloseInfo {
  /** Why the channel ended: `peerClosed`, `handlerClosed`, `handlerReturned`, `shutdown`, or an error code. */
  reason: string;
  error?: ChanError;
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  messagesOut: number;
}

/** Per-channel counters, kept by the socket side on every frame (read by the metrics at scrape time). */
export interface ChannelStats {
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  messagesOut: number;
}

export type MessageCallback = (msg: Term, req: Request) => unknown;

/** `Fun(MM, ArgsC, ArgsS)`: a service's handler. */
export type Handler = (mm: MiddleMan, argsC: Term, argsS: Term) => unknown;

/**
 * The outward side of a handler's mm: what the handler asks of its channel.
 * Implemented by SocketSide (inline) and by a worker's port adapter.
 */
export interface MiddleManLink {
  /** Answer call `id` (legacy: a plain message; id 0). Throws ChanError when `term` cannot be encoded; then nothing was sent. */
  reply(id: number, term: Term): void;
  /** Answer call `id` with `{error, Code, Message}` (secure: an error reply; legacy: a plain message). */
  fail(id: number, code: string, message: string): void;
  /** Send a message that answers nothing (secure: a push). Throws ChanError when `term` cannot be encoded. */
  push(term: Term): void;
  /** The handler closes the channel (or returned). */
  close(reason: string): void;
  /** The handler threw or rejected: log it with the stack, answer every waiting call with handlerCrashed, close. */
  crash(error: unknown): void;
  /** The handler took `n` messages: the bound on unread messages (maxMailboxMessages) is kept on the socket side. */
  took(n: number): void;
}

/** The handler's end of a channel, as the socket side sees it. Implemented by MiddleMan (inline) and the worker supervisor's port. */
export interface HandlerEnd {
  /** One message that passed the socket side's checks (codec, schema, limits). `id` 0 for casts and legacy messages. */
  deliver(term: Term, id: number, isCall: boolean): void;
  /** Graceful shutdown: finish what was accepted, then close. */
  drain(): void;
  /** The channel is closed, whichever side closed it (called once). */
  ended(info: CloseInfo): void;
}

/** What a handler may know about its channel. */
export interface ChannelInfo {
  readonly service: string;
  readonly peer: string;
  readonly secure: boolean;
}

/** One incoming message with the means to answer it. */
export class Request {
  private answered = false;

  constructor(
    private readonly mm: MiddleMan,
    /** The message as the peer sent it. */
    readonly term: Term,
    /** Call id (secure calls); 0 for casts and every legacy message. */
    readonly id: number,
    /** True when the peer waits for an answer: a secure call, or any legacy message (it cannot tell). */
    readonly isCall: boolean,
  ) {}

  /** Answer this message (legacy: a plain send, the original's semantics). */
  reply(term: Term): void {
    this.check();
    this.mm.replyTo(this, term);
    this.answered = true;
  }

  /** Answer with an error the client's rpc rejects with (secure); legacy sends `{error, Code, Message}`. */
  fail(code: string, message: string): void {
    this.check();
    this.mm.failTo(this, code, message);
    this.answered = true;
  }

  /** A secure call has exactly one answer (the socket side forgets a call once answered); legacy sends are free. */
  private check(): void {
    if (this.id !== 0 && this.answered) throw new ChanError('badArgument', `call ${this.id} was already answered; use mm.send() for a push`);
  }
}

export class MiddleMan implements AsyncIterable<Term>, HandlerEnd {
  readonly service: string;
  readonly peer: string;
  readonly secure: boolean;
  /** A singleton service's fencing token (the election's revision), set before the handler starts; undefined otherwise. */
  fencingToken: string | undefined;

  private readonly link: MiddleManLink;
  // Unbounded here: the socket side closes the channel past maxMailboxMessages unread (took() keeps it informed).
  private readonly mailbox = new Mailbox<Request>(Number.MAX_SAFE_INTEGER);
  private callback: MessageCallback | undefined;
  private current: Request | undefined;
  private state: 'open' | 'closed' = 'open';
  private draining = false;
  /** Callback-style answers still being computed (a graceful shutdown waits for them). */
  private pendingCallbacks = 0;
  // Made on first use: most handlers never look, and an idle server holds one mm per connection.
  private closedPromise: Promise<CloseInfo> | undefined;
  private resolveClosed: ((info: CloseInfo) => void) | undefined;
  private closeInfo: CloseInfo | undefined;

  constructor(link: MiddleManLink, info: ChannelInfo) {
    this.link = link;
    this.service = info.service;
    this.peer = info.peer;
    this.secure = info.secure;
  }

  /** Resolves once the channel is closed, whichever side closed it, with the reason and the error (its code) when it was a fault. */
  get closed(): Promise<CloseInfo> {
    if (this.closedPromise === undefined) {
      this.closedPromise = this.closeInfo !== undefined ? Promise.resolve(this.closeInfo) : new Promise((r) => (this.resolveClosed = r));
    }
    return this.closedPromise;
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  get hasCallback(): boolean {
    return this.callback !== undefined;
  }

  /** Send a message to the peer (secure: a push, never taken for an rpc reply). Throws ChanError when `term` cannot be encoded. */
  send(term: Term): void {
    if (this.state !== 'open') return;
    this.link.push(term);
  }

  /** Answer the message most recently taken from the iteration. */
  reply(term: Term): void {
    if (!this.current) {
      throw new ChanError('badArgument', 'mm.reply() called before any message was received; use mm.send() for pushes', { details: { service: this.service } });
    }
    this.current.reply(term);
  }

  /** Close the channel: what is queued is flushed, then the connection closes. */
  close(reason = 'handlerClosed'): void {
    if (this.state !== 'open') return;
    this.local(false);
    this.link.close(reason);
  }

  /** Iterate incoming messages as terms (book style); ends when the channel closes. */
  [Symbol.asyncIterator](): AsyncIterator<Term> {
    return new TermIterator(this);
  }

  /** Iterate incoming messages as Request objects, each with reply()/fail(). */
  requests(): AsyncIterable<Request> {
    return new RequestIterator(this);
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

  /** @internal The next message as a term (TermIterator). */
  async nextTerm(): Promise<IteratorResult<Term>> {
    const r = await this.nextRequest();
    if (r.done) return { value: undefined, done: true };
    this.current = r.value;
    return { value: r.value.term, done: false };
  }

  /**
   * @internal The next message (RequestIterator). The mailbox's own promise,
   * not wrapped: a handler waiting here is what an idle channel holds. A
   * message taken from the queue counts as taken now; one handed to a waiting
   * handler is counted by deliver().
   */
  nextRequest(): Promise<IteratorResult<Request>> {
    if (this.mailbox.size > 0) this.link.took(1);
    return this.mailbox.next();
  }

  /** @internal Request.reply(). */
  replyTo(req: Request, term: Term): void {
    if (this.secure && !req.isCall)
      throw new ChanError('badArgument', 'this message was a cast: there is no caller to reply to (use mm.send() for a push)', {
        details: { service: this.service },
      });
    if (this.state !== 'open') return;
    this.link.reply(req.id, term);
  }

  /** @internal Request.fail(). */
  failTo(req: Request, code: string, message: string): void {
    // Checked here, so a bad code throws in the handler wherever it runs (the atom is encoded on the socket side).
    if (typeof code !== 'string' || [...code].length > MAX_ATOM_CHARACTERS) {
      throw new ChanError('badArgument', `fail(code, message): code must be a string of at most ${MAX_ATOM_CHARACTERS} characters (it is sent as an atom)`, {
        details: { service: this.service },
      });
    }
    if ((this.secure && !req.isCall) || this.state !== 'open') return;
    this.link.fail(req.id, code, String(message));
  }

  /** @internal HandlerEnd: a message from the peer, checked by the socket side. */
  deliver(term: Term, id: number, isCall: boolean): void {
    if (this.state !== 'open') {
      // In flight (from a worker's port) when the handler closed: dropped, so not unread either.
      this.link.took(1);
      return;
    }
    const req = new Request(this, term, id, isCall);
    if (this.callback) {
      this.dispatch(req);
      return;
    }
    const queued = this.mailbox.size;
    this.mailbox.push(req);
    // Not queued: handed straight to the waiting handler (or dropped after a drain), so not unread.
    if (this.mailbox.size === queued) this.link.took(1);
  }

  /**
   * @internal HandlerEnd: graceful shutdown. The iteration ends after the
   * messages already accepted, and the handler may still answer them; the
   * channel closes when it returns. A callback-style handler is closed once
   * the answers it is computing are sent (at once when there are none).
   */
  drain(): void {
    if (this.state !== 'open' || this.draining) return;
    this.draining = true;
    if (this.callback) {
      if (this.pendingCallbacks === 0) this.close('shutdown');
    } else {
      this.mailbox.end();
    }
  }

  /** @internal HandlerEnd: the channel is closed. */
  ended(info: CloseInfo): void {
    this.local(info.error !== undefined);
    this.closeInfo = info;
    this.resolveClosed?.(info);
  }

  /** The handler threw or rejected: this channel closes (the socket side logs it and answers waiting calls). */
  crashed(e: unknown): void {
    if (this.state === 'open') this.local(true);
    this.link.crash(e);
  }

  private local(drop: boolean): void {
    this.state = 'closed';
    this.mailbox.end();
    if (drop) this.mailbox.clear();
  }

  private dispatch(req: Request): void {
    const cb = this.callback!;
    this.link.took(1);
    this.current = req;
    let out: unknown;
    try {
      out = cb(req.term, req);
    } catch (e) {
      this.crashed(e);
      return;
    }
    // A value that cannot be encoded is the handler's fault: it closes this channel, never the server or its worker.
    const answer = (v: unknown): void => {
      if (v !== undefined && req.isCall && this.state === 'open') req.reply(v as Term);
    };
    if (out instanceof Promise) {
      this.pendingCallbacks++;
      void out
        .then(answer)
        .catch((e: unknown) => this.crashed(e))
        .finally(() => {
          if (--this.pendingCallbacks === 0 && this.draining) this.close('shutdown');
        });
    } else {
      try {
        answer(out);
      } catch (e) {
        this.crashed(e);
      }
    }
  }
}

/** Run `Fun(MM, ArgsC, ArgsS)`, inline or in a worker: its end ends the channel, a throw or rejection crashes only it. */
export function runHandler(handler: Handler, mm: MiddleMan, argsC: Term, argsS: Term): void {
  let out: unknown;
  try {
    out = handler(mm, argsC, argsS);
  } catch (e) {
    mm.crashed(e);
    return;
  }
  if (out instanceof Promise) {
    // The handler ending ends the channel, as the controller process ending does in the original;
    // a callback-style handler (mm.onMessage) keeps it open until either side closes.
    out.then(
      () => !mm.hasCallback && mm.close('handlerReturned'),
      (e: unknown) => mm.crashed(e),
    );
  } else if (!mm.hasCallback) {
    mm.close('handlerReturned');
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

/** `for await (const req of mm.requests())`. */
class RequestIterator implements AsyncIterable<Request>, AsyncIterator<Request> {
  constructor(private readonly mm: MiddleMan) {}
  [Symbol.asyncIterator](): AsyncIterator<Request> {
    return this;
  }
  next(): Promise<IteratorResult<Request>> {
    return this.mm.nextRequest();
  }
  return(): Promise<IteratorResult<Request>> {
    return Promise.resolve({ value: undefined, done: true });
  }
}
