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
export declare const READY_POOL_SIZE = 4;
export declare class ReadyPool<T> {
    private readonly make;
    private readonly dispose;
    private readonly size;
    private readonly ready;
    private refilling;
    private closed;
    /** `make` creates one item; `dispose` wipes one that will never be used. */
    constructor(make: () => T, dispose: (item: T) => void, size?: number);
    /** Items waiting (for tests). */
    get available(): number;
    /** A fresh item: a ready one if any (oldest first), else made now. Never the same item twice. */
    take(): T;
    /** Dispose of the waiting items and stop refilling; take() still works, making items on demand. */
    close(): void;
    private scheduleRefill;
}
//# sourceMappingURL=ready-pool-node.d.ts.map