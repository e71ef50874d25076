/**
 * The frames of a login, one at a time under one deadline: what the Node and
 * browser clients (and `lib-chan status`) read before a channel exists.
 */
import { ChanError } from '../errors.ts';
import type { Transport } from '../transport/transport.ts';

/**
 * Waits for frames one at a time during a login, under one deadline. Frames
 * nobody waits for yet are queued, bounded: at most `maxFrames` of them
 * (1 for a secure login until the server has proved its key: a peer that
 * has not may not make us hold more) and `maxBytes` in all (maxQueuedBytes);
 * past either the transport is destroyed.
 */
export class FrameWaiter {
  private readonly queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private waiting: { resolve(f: Uint8Array): void; reject(e: ChanError): void } | undefined;
  private error: ChanError | undefined;

  constructor(
    private readonly transport: Transport,
    private readonly side: 'client' | 'server' = 'client',
    private readonly maxBytes = Infinity,
    private maxFrames = Infinity,
  ) {
    transport.start({
      frame: (f) => {
        if (this.error) return;
        if (this.waiting) {
          const w = this.waiting;
          this.waiting = undefined;
          // Copy: the frame may be a view into a buffer the transport reuses.
          w.resolve(f.slice());
          return;
        }
        if (this.queue.length >= this.maxFrames || this.queuedBytes + f.length > this.maxBytes) {
          const bytes = this.queue.length < this.maxFrames;
          const err = bytes
            ? new ChanError('limitExceeded', `${this.side}: ${transport.peer} sent more than maxQueuedBytes=${this.maxBytes} during the login`, {
                details: { side: this.side, peer: transport.peer, phase: 'login', limit: this.maxBytes, key: 'maxQueuedBytes' },
              })
            : new ChanError('protocolError', `${this.side}: ${transport.peer} sent more frames than the login allows before proving its key`, {
                details: { side: this.side, peer: transport.peer, phase: 'login', limit: this.maxFrames },
              });
          transport.destroy(err);
          return;
        }
        this.queuedBytes += f.length;
        this.queue.push(f.slice());
      },
      close: (err) => {
        this.error =
          err ??
          new ChanError('connectionLost', `${this.side}: ${transport.peer} closed the connection during the login`, {
            details: { side: this.side, peer: transport.peer, phase: 'login' },
          });
        if (this.waiting) {
          const w = this.waiting;
          this.waiting = undefined;
          w.reject(this.error);
        }
      },
    });
  }

  /** The peer has proved its identity: frames may wait, bounded by bytes only. */
  authenticated(): void {
    this.maxFrames = Infinity;
  }

  next(): Promise<Uint8Array> {
    const f = this.queue.shift();
    if (f) {
      this.queuedBytes -= f.length;
      return Promise.resolve(f);
    }
    if (this.error) return Promise.reject(this.error);
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  /** Frames that arrived after the login's last one; the channel takes them. */
  drain(): Uint8Array[] {
    this.queuedBytes = 0;
    return this.queue.splice(0);
  }
}

/** Run `fn` under a deadline; on expiry the transport is destroyed and a timeout error thrown. */
export async function withDeadline<T>(transport: Transport, ms: number, what: string, fn: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new ChanError('timeout', `${what} at ${transport.peer} did not finish within ${ms} ms`, {
        details: { limit: ms, peer: transport.peer, phase: 'login', side: 'client' },
      });
      transport.destroy(err);
      reject(err);
    }, ms);
  });
  try {
    return await Promise.race([fn(), deadline]);
  } catch (e) {
    transport.destroy(e instanceof ChanError ? e : undefined);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}
