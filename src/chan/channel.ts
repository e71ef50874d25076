/**
 * The client side of an established channel: cast, rpc, pushes, close.
 *
 * Secure channels carry a call id, so many rpcs may be in flight and a push
 * can never be taken for a reply. Legacy channels keep the original's
 * semantics (an rpc's answer is the next message back), so rpcs are queued
 * one at a time and casts issued behind a queued rpc wait their turn, which
 * keeps the order of messages as the caller wrote them.
 */
import { ChanError } from '../errors.ts';
import type { Limits } from '../limits.ts';
import type { Transport } from '../transport/transport.ts';
import { isAtom, isTuple, type Term } from '../wire/etf/term.ts';
import { CallTable, type CallOwner } from './calls.ts';
import { formatTerm } from '../wire/etf/format.ts';
import { KIND, type ChannelCodec, type Inbound } from './codec.ts';
import { Mailbox } from './mailbox.ts';
import type { CloseInfo } from './middle-man.ts';

export interface RpcOptions {
  /** Time to wait for the reply. @default LIMITS.rpcTimeoutMs */
  timeoutMs?: number;
}

type LegacyOp = { kind: 'cast'; term: Term } | { kind: 'rpc'; term: Term; id: number };

export class Channel implements AsyncIterable<Term>, CallOwner {
  readonly service: string;
  readonly peer: string;
  readonly secure: boolean;
  /** Resolves when the channel has closed, with the reason. */
  readonly closed: Promise<CloseInfo>;

  private readonly transport: Transport;
  private readonly codec: ChannelCodec;
  private readonly limits: Limits;
  private readonly calls = new CallTable();
  private readonly pushes: Mailbox<Term>;
  private pushCallback: ((msg: Term) => void) | undefined;
  private resolveClosed!: (info: CloseInfo) => void;
  private state: 'open' | 'closed' = 'open';
  private stats = { bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0 };
  // Legacy only: the rpc whose reply is the next message, and what waits behind it.
  private legacyWaiting = 0;
  private readonly legacyQueue: LegacyOp[] = [];

  /** `pending`: frames that arrived right after the login, before this channel existed. */
  constructor(opts: { transport: Transport; codec: ChannelCodec; limits: Limits; service: string; pending?: Uint8Array[] }) {
    this.transport = opts.transport;
    this.codec = opts.codec;
    this.limits = opts.limits;
    this.service = opts.service;
    this.peer = opts.transport.peer;
    this.secure = opts.codec.secure;
    this.pushes = new Mailbox(opts.limits.maxMailboxMessages);
    this.closed = new Promise((r) => (this.resolveClosed = r));
    this.codec.sendBatchesTo({ sendFrame: (frame) => this.sendFrame(frame) });
    for (const f of opts.pending ?? []) this.onFrame(f);
    this.transport.start({
      frame: (payload) => this.onFrame(payload),
      close: (error) => this.onTransportClose(error),
    });
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Number of rpcs waiting for a reply (or, on legacy channels, for their turn). */
  get pendingCalls(): number {
    return this.calls.size;
  }

  /** Send one way; nothing comes back. */
  cast(term: Term): void {
    this.ensureOpen();
    if (this.secure) this.write(KIND.cast, 0, term);
    else if (this.legacyWaiting === 0 && this.legacyQueue.length === 0) this.write(KIND.message, 0, term);
    else this.legacyQueue.push({ kind: 'cast', term });
  }

  /** Send and wait for the answer, at most `timeoutMs`. */
  rpc(term: Term, options?: RpcOptions): Promise<Term> {
    const timeoutMs = options?.timeoutMs ?? this.limits.rpcTimeoutMs;
    try {
      this.ensureOpen();
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.calls.size >= this.limits.maxInflightRpcs) {
      return Promise.reject(
        new ChanError('limitExceeded', `${this.calls.size} rpcs already wait on this channel, limit maxInflightRpcs=${this.limits.maxInflightRpcs}`, {
          details: { limit: this.limits.maxInflightRpcs, actual: this.calls.size, key: 'maxInflightRpcs' },
        }),
      );
    }
    const id = this.calls.allocateId();
    const p = this.calls.add(this, id, timeoutMs, term);
    if (this.secure) {
      this.write(KIND.call, id, term);
      return p;
    }
    if (this.legacyWaiting === 0 && this.legacyQueue.length === 0) {
      this.legacyWaiting = id;
      this.write(KIND.message, 0, term);
    } else {
      this.legacyQueue.push({ kind: 'rpc', term, id });
    }
    return p;
  }

  /** @internal CallOwner: the error an rpc of `term` times out with. */
  timeoutError(term: Term, timeoutMs: number): ChanError {
    return new ChanError(
      'timeout',
      `rpc ${formatTerm(term, { maxLength: 80 })} to service ${this.service} at ${this.peer} got no reply within ${timeoutMs} ms`,
      {
        details: { limit: timeoutMs, service: this.service, peer: this.peer, phase: 'rpc' },
      },
    );
  }

  /** @internal CallOwner: rpc `id` timed out (its promise is rejected already). */
  callTimedOut(id: number): void {
    if (!this.secure) this.onLegacyTimeout(id);
  }

  /** Iterate server pushes (legacy: messages that arrive while no rpc waits). */
  [Symbol.asyncIterator](): AsyncIterator<Term> {
    return this.pushes[Symbol.asyncIterator]();
  }

  /** Receive pushes by callback instead of iteration. */
  onPush(cb: (msg: Term) => void): void {
    this.pushCallback = cb;
    while (this.pushes.size > 0) {
      void this.pushes.next().then((r) => !r.done && cb(r.value));
    }
  }

  /** Close the channel; pending rpcs reject with `closed`. */
  close(): void {
    if (this.state !== 'open') return;
    if (this.secure) this.write(KIND.close, 0, undefined);
    this.transport.end();
    this.finish(
      'closed',
      () =>
        new ChanError('closed', `channel to ${this.service} at ${this.peer} was closed by this client`, {
          details: { service: this.service, peer: this.peer },
        }),
      true,
    );
  }

  private ensureOpen(): void {
    if (this.state !== 'open') {
      throw new ChanError('closed', `channel to service ${this.service} at ${this.peer} is closed`, { details: { service: this.service, peer: this.peer } });
    }
  }

  private write(kind: (typeof KIND)[keyof typeof KIND], id: number, term: Term): void {
    const buf = this.codec.encodeReserved(kind, id, term);
    this.stats.messagesOut++;
    if (buf !== undefined) this.sendFrame(buf);
  }

  /** A frame of the codec's: one message's, or a batch of them at the end of a tick. */
  private sendFrame(buf: Uint8Array): void {
    this.stats.bytesOut += buf.length;
    this.transport.sendReserved(buf);
    if (this.state === 'open' && this.transport.queuedBytes > this.limits.maxQueuedBytes) {
      this.fail(
        new ChanError('limitExceeded', `${this.transport.queuedBytes} bytes queued for ${this.peer}, limit maxQueuedBytes=${this.limits.maxQueuedBytes}`, {
          details: { limit: this.limits.maxQueuedBytes, actual: this.transport.queuedBytes, key: 'maxQueuedBytes' },
        }),
      );
    }
  }

  private onFrame(payload: Uint8Array): void {
    if (this.state !== 'open') return;
    this.stats.bytesIn += payload.length + 4;
    let msg: Inbound | undefined;
    try {
      msg = this.codec.decode(payload);
    } catch (e) {
      this.fail(e instanceof ChanError ? e : new ChanError('badTerm', String(e), { cause: e }));
      return;
    }
    // A batch record holds several messages: each is taken as a frame of its own would be.
    while (msg !== undefined) {
      this.message(msg);
      if (this.state !== 'open') return;
      try {
        msg = this.codec.next();
      } catch (e) {
        this.fail(e instanceof ChanError ? e : new ChanError('badTerm', String(e), { cause: e }));
        return;
      }
    }
  }

  private message(msg: Inbound): void {
    this.stats.messagesIn++;
    switch (msg.kind) {
      case KIND.message:
        if (this.legacyWaiting !== 0) {
          const id = this.legacyWaiting;
          this.legacyWaiting = 0;
          this.calls.resolve(id, msg.term);
          this.flushLegacy();
        } else {
          this.deliverPush(msg.term);
        }
        return;
      case KIND.reply:
        this.calls.resolve(msg.id, msg.term);
        return;
      case KIND.errorReply:
        this.calls.reject(msg.id, remoteError(msg.term, this.service, this.peer));
        return;
      case KIND.push:
        this.deliverPush(msg.term);
        return;
      case KIND.close:
        this.codec.flush();
        this.transport.end();
        this.finish(
          'peerClosed',
          () =>
            new ChanError('connectionLost', `service ${this.service} at ${this.peer} closed the channel`, {
              details: { service: this.service, peer: this.peer },
            }),
        );
        return;
      default:
        this.fail(
          new ChanError('protocolError', `client: record kind ${msg.kind} is not allowed from a server`, {
            details: { side: 'client', phase: 'data', peer: this.peer },
          }),
        );
    }
  }

  private deliverPush(term: Term): void {
    if (this.pushCallback) {
      this.pushCallback(term);
      return;
    }
    if (!this.pushes.push(term)) {
      this.fail(
        new ChanError(
          'limitExceeded',
          `more than maxMailboxMessages=${this.limits.maxMailboxMessages} unread pushes from ${this.peer}; iterate the channel or set onPush()`,
          {
            details: { limit: this.limits.maxMailboxMessages, key: 'maxMailboxMessages' },
          },
        ),
      );
    }
  }

  /** Send what queued behind the rpc just answered, up to and including the next rpc. */
  private flushLegacy(): void {
    while (this.legacyQueue.length > 0 && this.legacyWaiting === 0 && this.state === 'open') {
      const op = this.legacyQueue.shift()!;
      if (op.kind === 'rpc') this.legacyWaiting = op.id;
      this.write(KIND.message, 0, op.term);
    }
  }

  private onLegacyTimeout(id: number): void {
    const queued = this.legacyQueue.findIndex((op) => op.kind === 'rpc' && op.id === id);
    if (queued >= 0) {
      this.legacyQueue.splice(queued, 1);
      return;
    }
    if (this.legacyWaiting === id) {
      // A late answer would be taken for the next rpc's: the channel cannot be trusted any more.
      this.fail(
        new ChanError('timeout', `legacy rpc to ${this.service} timed out; a legacy channel cannot match late replies, so it was closed`, {
          details: { service: this.service, peer: this.peer, phase: 'rpc' },
        }),
      );
    }
  }

  private fail(error: ChanError): void {
    if (this.state !== 'open') return;
    this.transport.destroy(error);
    this.finish(error.code, error);
  }

  private onTransportClose(error?: ChanError): void {
    if (this.state === 'closed') return;
    // Secure: a graceful end sends a close record first (handled above); a bare end may be a cut stream.
    const cut = this.secure && error === undefined;
    this.finish(
      error?.code ?? (cut ? 'connectionLost' : 'peerClosed'),
      error ??
        new ChanError(
          'connectionLost',
          `service ${this.service} at ${this.peer} closed the connection${cut ? ' without a close record (cut by the network or on the path?)' : ''}`,
          {
            details: { service: this.service, peer: this.peer },
          },
        ),
    );
  }

  /**
   * `error` may be a factory: an Error captures a stack trace when made, and
   * a plain close with nothing pending needs none.
   */
  private finish(reason: string, error: ChanError | (() => ChanError), local = false): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.legacyQueue.length = 0;
    this.legacyWaiting = 0;
    let made: ChanError | undefined;
    const get = (): ChanError => (made ??= typeof error === 'function' ? error() : error);
    if (this.calls.size > 0) this.calls.rejectAll(get());
    this.pushes.end();
    this.resolveClosed({ reason, error: local ? undefined : get(), ...this.stats });
  }
}

/** `{error, Code, Message}` from the server's errorReply, as a ChanError. */
function remoteError(term: Term, service: string, peer: string): ChanError {
  let code = 'remoteError';
  let text = 'the service answered with an error';
  if (isTuple(term, 3, 'error')) {
    const [, c, m] = term.elements;
    if (isAtom(c)) code = c.name;
    if (typeof m === 'string') text = m;
  }
  return new ChanError('remoteError', `service ${service} refused the call (${code}): ${text}`, { details: { service, peer, remoteCode: code } });
}
