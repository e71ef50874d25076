/**
 * The table of rpcs waiting for their reply (Go's net/rpc `pending` map): each
 * with its own timer; all are rejected with the reason when the channel ends.
 */
import { ChanError } from '../errors.ts';
import type { Term } from '../wire/etf/term.ts';
export interface PendingCall {
    resolve(value: Term): void;
    reject(error: ChanError): void;
    timer: ReturnType<typeof setTimeout> | undefined;
}
export declare class CallTable {
    private readonly pending;
    private nextId;
    get size(): number;
    /** A fresh id, never 0, wrapping at 2^32 and skipping ids still pending. */
    allocateId(): number;
    /**
     * Register a call; the promise settles on settle()/rejectAll() or after
     * timeoutMs with the error `timeoutError()` makes. It is made only when the
     * timer fires: building an Error (its stack) for every call cost 12% of the
     * client's CPU in the rpc benchmark, so the message names the call instead.
     */
    add(id: number, timeoutMs: number, timeoutError: () => ChanError, onTimeout?: () => void): Promise<Term>;
    /** Settle call `id`; false when no such call waits (late reply after its timeout). */
    settle(id: number, outcome: {
        value: Term;
    } | {
        error: ChanError;
    }): boolean;
    rejectAll(error: ChanError): void;
}
//# sourceMappingURL=calls.d.ts.map