/**
 * The socket side of the server's middle-man: one per channel, on the thread
 * that owns the connection. It decodes frames (codec), checks each message
 * (schema, maxInflightRpcs, maxMailboxMessages, maxMailboxBytes, idleTimeoutMs) before the
 * handler sees it, encodes what the handler sends, bounds what is queued for
 * a slow reader (maxQueuedBytes), and reports the close once.
 *
 * Towards the handler it talks to a HandlerEnd: the handler's MiddleMan when
 * the handler runs inline, or the worker supervisor's port when it runs in a
 * worker thread. The handler's calls come back through the MiddleManLink this
 * class implements (directly inline, as port messages from a worker), so one
 * handler-side implementation (middle-man.ts) serves both placements.
 */
import { ChanError } from '../errors.ts';
import type { Limits } from '../limits.ts';
import type { Transport } from '../transport/transport.ts';
import type { Term } from '../wire/etf/term.ts';
import { KIND, type ChannelCodec, type Inbound } from './codec.ts';
import type { ChanLogger } from './logger.ts';
import { asChanError, errorTerm, type ChannelStats, type CloseInfo, type HandlerEnd, type MiddleManLink } from './middle-man.ts';

export interface SocketSideOptions {
  transport: Transport;
  codec: ChannelCodec;
  limits: Limits;
  service: string;
  log: ChanLogger;
  /** Checks a message before the handler sees it; returns an error text to refuse it. */
  validate?: (term: Term) => string | undefined;
  onInvalid?: 'close' | 'drop';
  /** Frames that arrived after the login, before this channel existed (delivered by attach()). */
  pending?: Uint8Array[];
  /** Told once the channel is closed, in a microtask after it closed (as a `closed.then` would be). */
  closeListener?: CloseListener;
}

/** An object rather than a callback: the server's Session, one per connection, with no closure to keep. */
export interface CloseListener {
  channelClosed(info: CloseInfo): void;
}

/** Log a handler's crash with its stack (the one log line for it, wherever the handler ran). */
export function logHandlerCrash(log: ChanLogger, service: string, peer: string, e: unknown): void {
  log.error({ event: 'handlerCrashed', service, peer, err: e }, 'handler crashed; closing its channel');
}

export class SocketSide implements MiddleManLink {
  readonly service: string;
  readonly peer: string;
  readonly secure: boolean;
  /** Set by the server when metrics are on: the time from a secure call to its answer, in seconds. */
  rpcObserver: ((seconds: number) => void) | undefined;
  /** A singleton service's fencing token, set by the server at login; the handler's mm carries it. */
  fencingToken: string | undefined;

  private readonly transport: Transport;
  private readonly codec: ChannelCodec;
  private readonly limits: Limits;
  private readonly log: ChanLogger;
  private readonly validate: SocketSideOptions['validate'];
  private readonly onInvalid: 'close' | 'drop';
  private pending: Uint8Array[] | undefined;
  private handler: HandlerEnd | undefined;
  /** Secure calls waiting for their answer: id -> performance.now() at arrival (0 when not measured). Made on the first call. */
  private calls: Map<number, number> | undefined;
  /** Messages handed to the handler that it has not taken yet (took()), and their wire bytes. */
  private unread = 0;
  private unreadBytes = 0;
  /** Wire bytes of each unread message, oldest first (a handler takes its messages in order). Made on first use. */
  private unreadSizes: number[] | undefined;
  private unreadHead = 0;
  /** Wire bytes of the frame being delivered. */
  private frameBytes = 0;
  private readonly closeListener: CloseListener | undefined;
  private closeInfo: CloseInfo | undefined;
  /** `closed`, made when first asked for: an idle server's channels need no promise and resolver each. */
  private closedPromise: Promise<CloseInfo> | undefined;
  private resolveClosed: ((info: CloseInfo) => void) | undefined;
  private state: 'open' | 'closing' | 'closed' = 'open';
  private draining = false;
  private readonly stats: ChannelStats = { bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0 };
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private lastActivity = 0;
  /** idleTimeoutMs is on: only then is lastActivity kept (Date.now() costs ~60 ns, twice per rpc). */
  private readonly tracksIdle: boolean;

  constructor(opts: SocketSideOptions) {
    this.transport = opts.transport;
    this.codec = opts.codec;
    this.limits = opts.limits;
    this.service = opts.service;
    this.peer = opts.transport.peer;
    this.secure = opts.codec.secure;
    this.log = opts.log;
    this.validate = opts.validate;
    this.onInvalid = opts.onInvalid ?? 'close';
    this.pending = opts.pending;
    this.tracksIdle = opts.limits.idleTimeoutMs > 0;
    this.closeListener = opts.closeListener;
    this.codec.sendBatchesTo(this);
  }

  /** Resolves once the channel is closed, whichever side closed it. */
  get closed(): Promise<CloseInfo> {
    this.closedPromise ??= this.closeInfo !== undefined ? Promise.resolve(this.closeInfo) : new Promise((r) => (this.resolveClosed = r));
    return this.closedPromise;
  }

  /** Connect the handler's end and start reading: the frames held since the login first. */
  attach(handler: HandlerEnd): void {
    this.handler = handler;
    const pending = this.pending;
    this.pending = undefined;
    for (const f of pending ?? []) this.deliverFrame(f);
    this.transport.start(new TransportSink(this));
    if (this.limits.idleTimeoutMs > 0) this.armIdle();
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Wire bytes of the messages the handler has not taken yet (the server's maxBufferedBytes counts them). */
  get mailboxBytes(): number {
    return this.unreadBytes;
  }

  /** Bytes and messages so far, both ways (a live view: do not modify). */
  get counters(): Readonly<ChannelStats> {
    return this.stats;
  }

  /** Graceful shutdown: new calls are refused with shuttingDown, the handler finishes what it has (HandlerEnd.drain). */
  drain(): void {
    if (this.state !== 'open' || this.draining) return;
    this.draining = true;
    this.handler?.drain();
  }

  // ---- MiddleManLink: the handler's calls ----

  reply(id: number, term: Term): void {
    if (!this.secure) {
      this.write(KIND.message, 0, term);
      return;
    }
    const at = this.calls?.get(id);
    if (at === undefined) return; // not waiting: answered already (a crash, a shutdown) or never asked
    this.write(KIND.reply, id, term); // throws when term cannot be encoded: the call stays waiting
    this.answered(id, at);
  }

  fail(id: number, code: string, message: string): void {
    if (!this.secure) {
      this.write(KIND.message, 0, errorTerm(code, message));
      return;
    }
    const at = this.calls?.get(id);
    if (at === undefined) return;
    this.write(KIND.errorReply, id, errorTerm(code, message));
    this.answered(id, at);
  }

  push(term: Term): void {
    this.write(this.secure ? KIND.push : KIND.message, 0, term);
  }

  /** Close the channel: flush what is queued, then close the connection. `error` says why, when it is a fault. */
  close(reason = 'handlerClosed', error?: ChanError): void {
    if (this.state !== 'open') return;
    this.state = 'closing';
    if (this.secure) this.rawWrite(KIND.close, 0, undefined);
    this.transport.end();
    this.finish(reason, error);
  }

  crash(e: unknown): void {
    logHandlerCrash(this.log, this.service, this.peer, e);
    this.closeCrashed(
      new ChanError('handlerCrashed', `handler of service ${this.service} failed: ${e instanceof Error ? e.message : String(e)}`, {
        cause: e,
        details: { service: this.service, peer: this.peer },
      }),
    );
  }

  took(n: number): void {
    this.unread -= n;
    const sizes = this.unreadSizes;
    if (sizes === undefined) return;
    for (; n > 0 && this.unreadHead < sizes.length; n--) this.unreadBytes -= sizes[this.unreadHead++];
    if (this.unreadHead === sizes.length) {
      sizes.length = 0;
      this.unreadHead = 0;
    } else if (this.unreadHead > 1024 && this.unreadHead * 2 > sizes.length) {
      sizes.splice(0, this.unreadHead);
      this.unreadHead = 0;
    }
  }

  // ---- the server's calls ----

  /**
   * The handler is gone (it threw, or its worker died): every secure call
   * still waiting gets an error reply `{error, handlerCrashed, Text}` (its
   * rpc rejects with remoteError, remoteCode handlerCrashed, instead of a bare
   * connectionLost), then the channel closes with a close record.
   */
  closeCrashed(err: ChanError, text = err.message): void {
    if (this.state !== 'open') return;
    const calls = this.calls;
    if (calls !== undefined) {
      for (const id of [...calls.keys()]) this.fail(id, 'handlerCrashed', text);
    }
    this.close('handlerCrashed', err);
  }

  /** Close because of a fault; the reason is logged with the service and peer. */
  abort(error: ChanError): void {
    if (this.state === 'closed') return;
    this.state = 'closing';
    this.transport.destroy(error);
    this.finish(error.code, error);
  }

  private answered(id: number, at: number): void {
    const calls = this.calls!;
    calls.delete(id);
    // Let an idle channel hold no table (a sequential caller makes a small one per call instead).
    if (calls.size === 0) this.calls = undefined;
    if (at !== 0 && this.rpcObserver) this.rpcObserver((performance.now() - at) / 1000);
  }

  private write(kind: (typeof KIND)[keyof typeof KIND], id: number, term: Term): void {
    if (this.state !== 'open') return;
    this.rawWrite(kind, id, term);
  }

  private rawWrite(kind: (typeof KIND)[keyof typeof KIND], id: number, term: Term): void {
    const buf = this.codec.encodeReserved(kind, id, term);
    this.stats.messagesOut++;
    if (this.tracksIdle) this.lastActivity = Date.now();
    if (buf !== undefined) this.sendFrame(buf);
  }

  /** @internal A frame of the codec's (FrameSink): one message's, or a batch of them at the end of a tick. */
  sendFrame(buf: Uint8Array): void {
    this.stats.bytesOut += buf.length;
    this.transport.sendReserved(buf);
    if (this.state === 'open' && this.transport.queuedBytes > this.limits.maxQueuedBytes) {
      this.abort(
        new ChanError(
          'limitExceeded',
          `peer ${this.peer} reads too slowly: ${this.transport.queuedBytes} bytes queued, limit maxQueuedBytes=${this.limits.maxQueuedBytes}`,
          {
            details: { limit: this.limits.maxQueuedBytes, actual: this.transport.queuedBytes, service: this.service, peer: this.peer, key: 'maxQueuedBytes' },
          },
        ),
      );
    }
  }

  /** @internal One frame from the peer (TransportSink; attach() feeds the frames held since the login). */
  deliverFrame(payload: Uint8Array): void {
    if (this.state !== 'open') return;
    this.stats.bytesIn += payload.length + 4;
    if (this.tracksIdle) this.lastActivity = Date.now();
    let msg: Inbound | undefined;
    try {
      msg = this.codec.decode(payload);
    } catch (e) {
      this.abort(asChanError(e, 'badTerm'));
      return;
    }
    // A batch record holds several messages: each is taken as a frame of its own would be.
    while (msg !== undefined) {
      this.message(msg);
      if (this.state !== 'open') return;
      try {
        msg = this.codec.next();
      } catch (e) {
        this.abort(asChanError(e, 'badTerm'));
        return;
      }
    }
  }

  private message(msg: Inbound): void {
    this.frameBytes = msg.bytes;
    this.stats.messagesIn++;
    if (this.draining && msg.kind !== KIND.close) {
      if (msg.kind === KIND.call)
        this.write(KIND.errorReply, msg.id, errorTerm('shuttingDown', 'the server is shutting down; retry on another server or later'));
      return;
    }
    switch (msg.kind) {
      case KIND.message:
        return this.deliver(msg.term, 0, true);
      case KIND.cast:
        return this.deliver(msg.term, 0, false);
      case KIND.call:
        return this.call(msg.id, msg.term);
      case KIND.close:
        this.state = 'closing';
        this.codec.flush();
        this.transport.end();
        this.finish('peerClosed');
        return;
      default:
        this.abort(
          new ChanError('protocolError', `server: record kind ${msg.kind} is not allowed from a client`, {
            details: { phase: 'data', side: 'server', peer: this.peer, service: this.service },
          }),
        );
    }
  }

  private call(id: number, term: Term): void {
    const calls = (this.calls ??= new Map());
    if (calls.has(id)) {
      // Its answer could not be told from the first one's.
      this.abort(
        new ChanError('protocolError', `server: call id ${id} from ${this.peer} is already waiting for its answer`, {
          details: { phase: 'data', side: 'server', peer: this.peer, service: this.service },
        }),
      );
      return;
    }
    if (calls.size >= this.limits.maxInflightRpcs) {
      this.abort(
        new ChanError('limitExceeded', `peer ${this.peer} has more than maxInflightRpcs=${this.limits.maxInflightRpcs} calls waiting`, {
          details: { limit: this.limits.maxInflightRpcs, actual: calls.size + 1, service: this.service, peer: this.peer, key: 'maxInflightRpcs' },
        }),
      );
      return;
    }
    calls.set(id, this.rpcObserver ? performance.now() : 0);
    this.deliver(term, id, true);
  }

  private deliver(term: Term, id: number, isCall: boolean): void {
    if (this.validate) {
      const problem = this.validate(term);
      if (problem !== undefined) {
        this.log.warn({ event: 'messageRejected', service: this.service, peer: this.peer, problem }, 'message refused by the service schema');
        if (isCall && this.secure) {
          this.fail(id, 'badMessage', problem);
          return;
        }
        if (this.onInvalid === 'drop') return;
        this.abort(
          new ChanError('protocolError', `message refused by the schema of service ${this.service}: ${problem}`, {
            details: { service: this.service, peer: this.peer, phase: 'schema' },
          }),
        );
        return;
      }
    }
    const max = this.limits.maxMailboxMessages;
    if (this.unread + 1 > max) {
      this.abort(
        new ChanError('limitExceeded', `handler for ${this.service} has ${this.unread + 1} unread messages, limit maxMailboxMessages=${max}`, {
          details: { limit: max, actual: this.unread + 1, service: this.service, peer: this.peer, key: 'maxMailboxMessages' },
        }),
      );
      return;
    }
    const bytes = this.frameBytes;
    const maxBytes = this.limits.maxMailboxBytes;
    if (this.unreadBytes + bytes > maxBytes) {
      this.abort(
        new ChanError(
          'limitExceeded',
          `handler for ${this.service} has ${this.unreadBytes + bytes} bytes of unread messages, limit maxMailboxBytes=${maxBytes}`,
          {
            details: { limit: maxBytes, actual: this.unreadBytes + bytes, service: this.service, peer: this.peer, key: 'maxMailboxBytes' },
          },
        ),
      );
      return;
    }
    this.unread++;
    this.unreadBytes += bytes;
    (this.unreadSizes ??= []).push(bytes);
    this.handler!.deliver(term, id, isCall);
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
        this.abort(
          new ChanError('timeout', `channel idle for ${idle} ms, limit idleTimeoutMs=${this.limits.idleTimeoutMs}`, {
            details: { limit: this.limits.idleTimeoutMs, service: this.service, peer: this.peer, key: 'idleTimeoutMs' },
          }),
        );
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
    this.calls = undefined;
    this.unreadSizes = undefined;
    this.unread = this.unreadBytes = this.unreadHead = 0;
    const info: CloseInfo = { reason, error, ...this.stats };
    this.closeInfo = info;
    this.handler?.ended(info);
    this.resolveClosed?.(info);
    const listener = this.closeListener;
    if (listener) queueMicrotask(() => listener.channelClosed(info));
  }
}

/*
 * Per-connection helpers as small classes rather than closures: an idle
 * server holds one of each per connection, and a class instance is smaller
 * than closures (which the tsx/esbuild name-keeping also gives a property array).
 */

/** Transport events into the socket side. */
class TransportSink {
  constructor(private readonly side: SocketSide) {}
  frame(payload: Uint8Array): void {
    this.side.deliverFrame(payload);
  }
  close(error?: ChanError): void {
    this.side.transportClosed(error);
  }
}
