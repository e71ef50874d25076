/**
 * The table of rpcs waiting for their reply (Go's net/rpc `pending` map): each
 * with its own timer; all are rejected with the reason when the channel ends.
 */
import type { ChanError } from '../errors.ts';
import type { Term } from '../wire/etf/term.ts';

export interface PendingCall {
  resolve(value: Term): void;
  reject(error: ChanError): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class CallTable {
  private readonly pending = new Map<number, PendingCall>();
  private nextId = 1;

  get size(): number {
    return this.pending.size;
  }

  /** A fresh id, never 0, wrapping at 2^32 and skipping ids still pending. */
  allocateId(): number {
    for (;;) {
      const id = this.nextId;
      this.nextId = this.nextId === 0xffffffff ? 1 : this.nextId + 1;
      if (!this.pending.has(id)) return id;
    }
  }

  /**
   * Register a call; the promise settles on settle()/rejectAll() or after
   * timeoutMs with the error `timeoutError()` makes. It is made only when the
   * timer fires: building an Error (its stack) for every call cost 12% of the
   * client's CPU in the rpc benchmark, so the message names the call instead.
   */
  add(id: number, timeoutMs: number, timeoutError: () => ChanError, onTimeout?: () => void): Promise<Term> {
    return new Promise<Term>((resolve, reject) => {
      const call: PendingCall = { resolve, reject, timer: undefined };
      call.timer = setTimeout(() => {
        this.pending.delete(id);
        reject(timeoutError());
        onTimeout?.();
      }, timeoutMs);
      this.pending.set(id, call);
    });
  }

  /** Settle call `id`; false when no such call waits (late reply after its timeout). */
  settle(id: number, outcome: { value: Term } | { error: ChanError }): boolean {
    const call = this.pending.get(id);
    if (!call) return false;
    this.pending.delete(id);
    clearTimeout(call.timer);
    if ('error' in outcome) call.reject(outcome.error);
    else call.resolve(outcome.value);
    return true;
  }

  rejectAll(error: ChanError): void {
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const c of calls) {
      clearTimeout(c.timer);
      c.reject(error);
    }
  }
}
