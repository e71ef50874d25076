/**
 * A bounded, single-consumer async queue: what `for await (const msg of mm)`
 * iterates. Bounded because a peer that sends faster than its handler reads
 * must not grow memory: push() returns false when full (by count, or by the
 * bytes the caller says each item took on the wire) and the owner closes the
 * channel.
 */
export class Mailbox<T> implements AsyncIterable<T> {
  // Made on the first item that has to wait: a handler that keeps up (and every idle channel's) takes each
  // item from push() directly, and two empty arrays per channel are ~150 bytes an idle server holds for nothing.
  private items: T[] | undefined;
  /** Bytes of each queued item, parallel to items. */
  private sizes: number[] | undefined;
  private head = 0;
  private queuedBytes = 0;
  private waiter: ((r: IteratorResult<T>) => void) | undefined;
  private ended = false;

  constructor(
    private readonly max: number,
    private readonly maxBytes = Infinity,
  ) {}

  get size(): number {
    return this.items === undefined ? 0 : this.items.length - this.head;
  }

  /** Bytes of the queued items, as given to push(). */
  get bytes(): number {
    return this.queuedBytes;
  }

  /** True when one more item of `bytes` would not fit by count (false: by bytes). For the error. */
  fullByCount(): boolean {
    return this.size >= this.max;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Deliver an item of `bytes`; false when the mailbox is full (the caller decides what to do). */
  push(item: T, bytes = 0): boolean {
    if (this.ended) return true;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value: item, done: false });
      return true;
    }
    if (this.size >= this.max || this.queuedBytes + bytes > this.maxBytes) return false;
    (this.items ??= []).push(item);
    (this.sizes ??= []).push(bytes);
    this.queuedBytes += bytes;
    return true;
  }

  /** No more items will come; the iteration ends after the queued ones. */
  end(): void {
    this.ended = true;
    if (this.waiter && this.size === 0) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value: undefined, done: true });
    }
  }

  /** Drop what is queued (the channel is gone and nobody will answer). */
  clear(): void {
    this.items = undefined;
    this.sizes = undefined;
    this.head = 0;
    this.queuedBytes = 0;
  }

  next(): Promise<IteratorResult<T>> {
    const items = this.items;
    const sizes = this.sizes;
    // The two arrays are made together (push) and dropped together (clear).
    if (items !== undefined && sizes !== undefined && items.length > this.head) {
      const value = items[this.head];
      items[this.head] = undefined as T;
      this.queuedBytes -= sizes[this.head];
      this.head++;
      if (this.head > 1024 && this.head * 2 > items.length) {
        items.splice(0, this.head);
        sizes.splice(0, this.head);
        this.head = 0;
      } else if (this.head === items.length) {
        items.length = 0;
        sizes.length = 0;
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    if (this.waiter) return Promise.reject(new Error('Mailbox has a single consumer'));
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** The mailbox is its own iterator: no per-iteration closures (it has one consumer anyway). */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this;
  }

  /** An iteration that stops early (break) leaves the queue as it is. */
  return(): Promise<IteratorResult<T>> {
    return Promise.resolve({ value: undefined, done: true });
  }
}
