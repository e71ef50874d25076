/**
 * A bounded, single-consumer async queue: what `for await (const msg of mm)`
 * iterates. Bounded because a peer that sends faster than its handler reads
 * must not grow memory: push() returns false when full and the owner closes
 * the channel.
 */
export class Mailbox {
    max;
    items = [];
    head = 0;
    waiter;
    ended = false;
    constructor(max) {
        this.max = max;
    }
    get size() {
        return this.items.length - this.head;
    }
    get isEnded() {
        return this.ended;
    }
    /** Deliver an item; false when the mailbox is full (the caller decides what to do). */
    push(item) {
        if (this.ended)
            return true;
        if (this.waiter) {
            const w = this.waiter;
            this.waiter = undefined;
            w({ value: item, done: false });
            return true;
        }
        if (this.size >= this.max)
            return false;
        this.items.push(item);
        return true;
    }
    /** No more items will come; the iteration ends after the queued ones. */
    end() {
        this.ended = true;
        if (this.waiter && this.size === 0) {
            const w = this.waiter;
            this.waiter = undefined;
            w({ value: undefined, done: true });
        }
    }
    /** Drop what is queued (the channel is gone and nobody will answer). */
    clear() {
        this.items.length = 0;
        this.head = 0;
    }
    next() {
        if (this.size > 0) {
            const value = this.items[this.head];
            this.items[this.head] = undefined;
            this.head++;
            if (this.head > 1024 && this.head * 2 > this.items.length) {
                this.items.splice(0, this.head);
                this.head = 0;
            }
            else if (this.head === this.items.length) {
                this.items.length = 0;
                this.head = 0;
            }
            return Promise.resolve({ value, done: false });
        }
        if (this.ended)
            return Promise.resolve({ value: undefined, done: true });
        if (this.waiter)
            return Promise.reject(new Error('Mailbox has a single consumer'));
        return new Promise((resolve) => {
            this.waiter = resolve;
        });
    }
    /** The mailbox is its own iterator: no per-iteration closures (it has one consumer anyway). */
    [Symbol.asyncIterator]() {
        return this;
    }
    /** An iteration that stops early (break) leaves the queue as it is. */
    return() {
        return Promise.resolve({ value: undefined, done: true });
    }
}
//# sourceMappingURL=mailbox.js.map