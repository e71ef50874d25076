/**
 * The table of rpcs waiting for their reply (Go's net/rpc `pending` map): all
 * are rejected with the reason when the channel ends, and each times out
 * after its own timeoutMs.
 *
 * One timer serves the whole table, armed for the earliest deadline: a
 * setTimeout and clearTimeout per call (a Timeout object, a timer-list insert
 * and removal, a closure) was the largest item of the client's rpc path after
 * the system calls. When the timer fires it rejects the calls that are due and
 * re-arms for the next deadline; while no call waits it is unref'd, so an idle
 * channel does not keep the process alive, as no timer did before.
 */
import type { ChanError } from '../errors.ts';
import type { Term } from '../wire/etf/term.ts';

/**
 * Who made a call: builds its timeout error and hears of the timeout, so a
 * call carries its term and no closures of its own.
 */
export interface CallOwner {
  timeoutError(term: Term, timeoutMs: number): ChanError;
  callTimedOut(id: number): void;
}

export class PendingCall {
  resolve: (value: Term) => void = noop;
  reject: (error: ChanError) => void = noop;
  constructor(
    readonly owner: CallOwner,
    readonly id: number,
    /** performance.now() at which the call times out. */
    readonly deadline: number,
    readonly timeoutMs: number,
    readonly term: Term,
  ) {}
}

function noop(): void {}

/** The call whose promise is being made: one executor for every call instead of a closure each. */
let making: PendingCall | undefined;
function executor(resolve: (value: Term) => void, reject: (error: ChanError) => void): void {
  making!.resolve = resolve;
  making!.reject = reject;
}

export class CallTable {
  private readonly pending = new Map<number, PendingCall>();
  private nextId = 1;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The deadline `timer` is armed for (Infinity when none is). */
  private armedFor = Infinity;

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
   * Register a call; the promise settles on resolve()/reject()/rejectAll() or
   * after timeoutMs with the error `owner.timeoutError()` makes. It is made
   * only when the call times out: building an Error (its stack) for every call
   * cost 12% of the client's CPU in the rpc benchmark. The owner, not a closure
   * per call, makes the error and hears of the timeout (closures and a promise
   * executor per call were a tenth of the client's rpc path).
   */
  add(owner: CallOwner, id: number, timeoutMs: number, term: Term): Promise<Term> {
    making = new PendingCall(owner, id, performance.now() + timeoutMs, timeoutMs, term);
    const call = making;
    const p = new Promise<Term>(executor);
    making = undefined;
    if (this.pending.size === 0) refTimer(this.timer, true);
    this.pending.set(id, call);
    if (call.deadline < this.armedFor) this.arm(call.deadline);
    return p;
  }

  /** Resolve call `id` with its reply; false when no such call waits. */
  resolve(id: number, value: Term): boolean {
    const call = this.take(id);
    if (call === undefined) return false;
    call.resolve(value);
    return true;
  }

  /** Reject call `id`; false when no such call waits. */
  reject(id: number, error: ChanError): boolean {
    const call = this.take(id);
    if (call === undefined) return false;
    call.reject(error);
    return true;
  }

  private take(id: number): PendingCall | undefined {
    const call = this.pending.get(id);
    if (call === undefined) return undefined;
    this.pending.delete(id);
    if (this.pending.size === 0) refTimer(this.timer, false);
    return call;
  }

  rejectAll(error: ChanError): void {
    const calls = [...this.pending.values()];
    this.pending.clear();
    this.disarm();
    for (const c of calls) c.reject(error);
  }

  private arm(deadline: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = deadline;
    this.timer = setTimeout(onTableTimer, Math.max(0, deadline - performance.now()), this);
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  /** @internal The timer fired: time out every call that is due, re-arm for the next. */
  expire(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = performance.now();
    let next = Infinity;
    const due: PendingCall[] = [];
    for (const [id, c] of this.pending) {
      if (c.deadline <= now) {
        this.pending.delete(id);
        due.push(c);
      } else if (c.deadline < next) {
        next = c.deadline;
      }
    }
    if (next !== Infinity) this.arm(next);
    // A timer that fires late (a busy loop) finds several calls due at once: they time out in deadline order,
    // not in the order they were made.
    if (due.length > 1) due.sort((x, y) => x.deadline - y.deadline);
    for (const c of due) {
      c.reject(c.owner.timeoutError(c.term, c.timeoutMs));
      c.owner.callTimedOut(c.id);
    }
  }
}

/** Node's timers can stop holding the process open; browsers' (numbers) need not. */
function refTimer(timer: ReturnType<typeof setTimeout> | undefined, on: boolean): void {
  const t = timer as { ref?: () => void; unref?: () => void } | undefined;
  if (on) t?.ref?.();
  else t?.unref?.();
}

function onTableTimer(table: CallTable): void {
  table.expire();
}
