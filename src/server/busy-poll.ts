/**
 * Busy polling, `{busy_poll, Microseconds}` (off by default): after any
 * read or write on any connection, the event loop keeps turning, without
 * sleeping in the kernel, for that long.
 *
 * Why: on a virtual machine a round trip's time is mostly the vCPUs waking
 * up. A process that sleeps in epoll_wait between a reply and the next
 * request pays the wake-up (tens of µs here) on every request, which a
 * sequential caller sees as latency and the server's CPU sees as scheduler
 * work; the BEAM's schedulers spin for a while before they sleep for the
 * same reason (`+sbwt`). While setImmediate work is pending, libuv polls
 * with a zero timeout, so a request that comes within the window is read
 * on the next turn of the loop.
 *
 * The price: a core kept busy for up to the window after each exchange,
 * which other processes on the machine (a client on the same cores) do not
 * get. docs/benchmarks.md, "Busy polling", has the measurements.
 */
export class BusyPoll {
  private windowUs: number;
  /** performance.now() of the last poke, in ms. */
  private lastIo = 0;
  private spinning = false;
  /** Turns of the loop spent polling so far (for the tests). */
  turns = 0;

  constructor(microseconds: number) {
    this.windowUs = microseconds;
  }

  /** The conf was reloaded (or the server is closing: 0). */
  setWindow(microseconds: number): void {
    this.windowUs = microseconds;
  }

  /** The window, in µs (0: off). */
  get microseconds(): number {
    return this.windowUs;
  }

  /** True while the loop is kept awake. */
  get active(): boolean {
    return this.spinning;
  }

  /** Something was read or written: keep the loop awake for the window from now. Bound once (a transport's meter calls it). */
  readonly poke = (): void => {
    if (!(this.windowUs > 0)) return; // off, or no number at all
    this.lastIo = performance.now();
    if (this.spinning) return;
    this.spinning = true;
    setImmediate(turn, this);
  };

  /** @internal One turn of the loop while awake. */
  turn(): void {
    this.turns++;
    if ((performance.now() - this.lastIo) * 1000 < this.windowUs) setImmediate(turn, this);
    else this.spinning = false;
  }
}

function turn(p: BusyPoll): void {
  p.turn();
}
