/**
 * A bounded, single-consumer async queue: what `for await (const msg of mm)`
 * iterates. Bounded because a peer that sends faster than its handler reads
 * must not grow memory: push() returns false when full and the owner closes
 * the channel.
 */
export declare class Mailbox<T> implements AsyncIterable<T> {
    private readonly max;
    private readonly items;
    private head;
    private waiter;
    private ended;
    constructor(max: number);
    get size(): number;
    get isEnded(): boolean;
    /** Deliver an item; false when the mailbox is full (the caller decides what to do). */
    push(item: T): boolean;
    /** No more items will come; the iteration ends after the queued ones. */
    end(): void;
    /** Drop what is queued (the channel is gone and nobody will answer). */
    clear(): void;
    next(): Promise<IteratorResult<T>>;
    /** The mailbox is its own iterator: no per-iteration closures (it has one consumer anyway). */
    [Symbol.asyncIterator](): AsyncIterator<T>;
    /** An iteration that stops early (break) leaves the queue as it is. */
    return(): Promise<IteratorResult<T>>;
}
//# sourceMappingURL=mailbox.d.ts.map