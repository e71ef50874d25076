/**
 * A long-lived channel that comes back: `connect({ service, registry,
 * reconnect: true }, password)`. When the connection is lost it re-resolves
 * the service and reconnects (failing over as connect by name does) after a
 * jittered backoff (100 ms doubling up to reconnectMaxDelayMs), logs in
 * again, and reports each step as a status event, by callback or by
 * `for await (const s of ch.status())`, as nats.js does.
 *
 * Delivery is at most once: calls in flight when the connection drops reject
 * with connectionLost, and cast/rpc while disconnected fail at once with
 * connectionLost (details.reconnecting: true); nothing is retried silently.
 * Pushes resume: the push iterator of this object spans every underlying
 * channel (bounded by maxMailboxMessages: pushes nobody takes beyond that are
 * dropped). close() ends it all (status `closed`).
 */
import { ChanError } from '../errors.ts';
import type { Limits } from '../limits.ts';
import type { Channel, RpcOptions } from '../chan/channel.ts';
import { Mailbox } from '../chan/mailbox.ts';
import type { Term } from '../wire/etf/term.ts';
import { backoffMs } from '../registry/registry.ts';

export type StatusEvent =
  | { type: 'disconnected'; error?: ChanError }
  | { type: 'reconnecting'; attempt: number; delayMs: number }
  | { type: 'reconnected'; peer: string }
  | { type: 'closed' };

/** Status events kept for an iterator that is behind (later ones are dropped). */
const MAX_STATUS_QUEUED = 256;

export class ReconnectingChannel implements AsyncIterable<Term> {
  readonly service: string;
  private current: Channel;
  private state: 'open' | 'reconnecting' | 'closed' = 'open';
  private readonly pushes: Mailbox<Term>;
  private readonly listeners = new Set<(s: StatusEvent) => void>();
  private readonly iterators = new Set<Mailbox<StatusEvent>>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private resolveClosed!: () => void;
  /** Resolves when close() was called and everything stopped. */
  readonly closed: Promise<void>;
  /** Reconnections so far. */
  reconnects = 0;

  constructor(
    first: Channel,
    private readonly open: () => Promise<Channel>,
    private readonly limits: Limits,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {
    this.service = first.service;
    this.current = first;
    this.pushes = new Mailbox(limits.maxMailboxMessages);
    this.closed = new Promise((r) => (this.resolveClosed = r));
    this.adopt(first);
  }

  get peer(): string {
    return this.current.peer;
  }

  get isOpen(): boolean {
    return this.state === 'open' && this.current.isOpen;
  }

  /** The status events, by callback. */
  onStatus(cb: (s: StatusEvent) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** The status events from now on, as an async iterator (ends after `closed`). */
  status(): AsyncIterable<StatusEvent> {
    const box = new Mailbox<StatusEvent>(MAX_STATUS_QUEUED);
    this.iterators.add(box);
    if (this.state === 'closed') box.end();
    return box;
  }

  cast(term: Term): void {
    this.live().cast(term);
  }

  rpc(term: Term, options?: RpcOptions): Promise<Term> {
    try {
      return this.live().rpc(term, options);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Term> {
    return this.pushes[Symbol.asyncIterator]();
  }

  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.timer);
    this.current.close();
    this.pushes.end();
    this.emit({ type: 'closed' });
    for (const box of this.iterators) box.end();
    void this.onClose().finally(() => this.resolveClosed());
  }

  private live(): Channel {
    if (this.state === 'open' && this.current.isOpen) return this.current;
    if (this.state === 'closed') throw new ChanError('closed', `channel to ${this.service} was closed by this client`, { details: { service: this.service } });
    throw new ChanError(
      'connectionLost',
      `channel to ${this.service} is reconnecting; nothing was sent (at most once: retry when the status says reconnected)`,
      {
        details: { service: this.service, reconnecting: true },
      },
    );
  }

  private adopt(ch: Channel): void {
    this.current = ch;
    void (async () => {
      for await (const msg of ch) this.pushes.push(msg);
    })();
    void ch.closed.then((info) => {
      if (this.current !== ch || this.state === 'closed') return;
      this.state = 'reconnecting';
      this.emit({ type: 'disconnected', error: info.error });
      this.schedule(0);
    });
  }

  private schedule(attempt: number): void {
    if (this.state === 'closed') return;
    const delayMs = backoffMs(attempt, 100, this.limits.reconnectMaxDelayMs);
    this.emit({ type: 'reconnecting', attempt: attempt + 1, delayMs });
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.open().then(
        (ch) => {
          if (this.state === 'closed') return ch.close();
          this.state = 'open';
          this.reconnects++;
          this.adopt(ch);
          this.emit({ type: 'reconnected', peer: ch.peer });
        },
        () => this.schedule(attempt + 1),
      );
    }, delayMs);
  }

  private emit(s: StatusEvent): void {
    for (const cb of this.listeners) {
      try {
        cb(s);
      } catch {
        // a listener's bug is not ours to propagate
      }
    }
    for (const box of this.iterators) box.push(s);
  }
}
