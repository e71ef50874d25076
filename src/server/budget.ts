/**
 * The server-wide memory budget, maxBufferedBytes (issue 10, finding 7: 1,024
 * connections x 16 MiB outbound queues were allowed, and 300 partial first
 * frames of 8 MiB took 1.8 GiB). What every connection makes the server hold
 * is counted: its partial frame, frames held during its login, its handler's
 * mailbox and its outbound queue. Every byte read or sent is noted; once
 * `slack` bytes have moved since the last look, the holdings of all
 * connections are summed (O(connections), so about once per MiB of traffic),
 * and while the sum is over the budget the connections holding the most are
 * closed with limitExceeded (key maxBufferedBytes), the rest keep going.
 */
import { ChanError } from '../errors.ts';

export interface BudgetHolder {
  /** Bytes this connection makes the server hold now. */
  readonly bufferedBytes: number;
  /** "host:port" for the log. */
  readonly peer: string;
  /** Close it for being over budget (logged by its owner with the error's key). */
  shed(error: ChanError): void;
}

/** Bytes that may move between two looks at the holdings. */
export const BUDGET_SLACK_BYTES = 1024 * 1024;

export class MemoryBudget {
  private moved = 0;
  private readonly slack: number;
  /** Connections shed so far (for tests and metrics). */
  shedCount = 0;
  /** Bound once, given to every transport. */
  readonly note = (bytes: number): void => {
    this.moved += bytes;
    if (this.moved >= this.slack) {
      this.moved = 0;
      this.check();
    }
  };

  constructor(
    private limit: number,
    private readonly holders: () => Iterable<BudgetHolder>,
    private readonly onShed: (holder: BudgetHolder, held: number, total: number, limit: number) => void,
  ) {
    this.slack = Math.max(1, Math.min(BUDGET_SLACK_BYTES, Math.floor(limit / 16)));
  }

  setLimit(limit: number): void {
    this.limit = limit;
  }

  /** What all connections hold now (no shedding). */
  held(): number {
    let total = 0;
    for (const h of this.holders()) total += h.bufferedBytes;
    return total;
  }

  /** Sum the holdings; shed the biggest holders while the sum is over the budget. Returns the sum after. */
  check(): number {
    let total = 0;
    const held: { h: BudgetHolder; bytes: number }[] = [];
    for (const h of this.holders()) {
      const bytes = h.bufferedBytes;
      if (bytes <= 0) continue;
      total += bytes;
      held.push({ h, bytes });
    }
    if (total <= this.limit) return total;
    held.sort((a, b) => b.bytes - a.bytes);
    for (const { h, bytes } of held) {
      if (total <= this.limit) break;
      const err = new ChanError(
        'limitExceeded',
        `server holds ${total} bytes for its connections, over maxBufferedBytes=${this.limit}; ${h.peer} holds the most (${bytes})`,
        {
          details: { limit: this.limit, actual: bytes, total, peer: h.peer, key: 'maxBufferedBytes' },
        },
      );
      this.onShed(h, bytes, total, this.limit);
      h.shed(err);
      this.shedCount++;
      total -= bytes;
    }
    return total;
  }
}
