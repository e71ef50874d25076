/**
 * Node: secrets made ahead of need, while the process is idle (setImmediate).
 *
 * Each secure login needs a fresh ephemeral X25519 key pair on both sides;
 * making it when the login needs it puts a scalar multiplication (about
 * 16 µs, more with cold caches) on the login's critical path. A pool hands
 * out one made earlier and makes the replacement from setImmediate, after
 * the current I/O callbacks, i.e. while the peer is busy with the message
 * just sent. Under full load that costs the same CPU as making it on demand;
 * otherwise it is latency saved.
 *
 * Each item is handed out once and forgotten by the pool. The pool is small,
 * so few secrets wait in memory, and close() disposes of (wipes) those that do.
 */

/** Items kept ready: enough for a burst of simultaneous logins on an idle process. */
export const READY_POOL_SIZE = 4;

export class ReadyPool<T> {
  private readonly ready: T[] = [];
  private refilling: ReturnType<typeof setImmediate> | undefined;
  private closed = false;

  /** `make` creates one item; `dispose` wipes one that will never be used. */
  constructor(
    private readonly make: () => T,
    private readonly dispose: (item: T) => void,
    private readonly size = READY_POOL_SIZE,
  ) {}

  /** Items waiting (for tests). */
  get available(): number {
    return this.ready.length;
  }

  /** A fresh item: a ready one if any (oldest first), else made now. Never the same item twice. */
  take(): T {
    const item = this.ready.shift() ?? this.make();
    this.scheduleRefill();
    return item;
  }

  /** Dispose of the waiting items and stop refilling; take() still works, making items on demand. */
  close(): void {
    this.closed = true;
    if (this.refilling) clearImmediate(this.refilling);
    this.refilling = undefined;
    for (const item of this.ready.splice(0)) this.dispose(item);
  }

  private scheduleRefill(): void {
    if (this.closed || this.refilling || this.ready.length >= this.size) return;
    this.refilling = setImmediate(() => {
      this.refilling = undefined;
      if (this.closed) return;
      // One per turn of the event loop: a burst of logins is not held up behind a batch of refills.
      this.ready.push(this.make());
      this.scheduleRefill();
    });
    // A pool never keeps the process alive.
    this.refilling.unref();
  }
}
