/**
 * Busy polling (off by default): after any read or write, the event loop
 * keeps turning, without sleeping in the kernel, for a window of
 * microseconds. The server's `{busy_poll, Microseconds}` pokes one poller
 * from every connection; the Node client's `busyPollUs` option, one per
 * channel.
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
/** The longest window either side may ask for: 10 ms (a loop kept awake longer is a spinning process, not a wait). */
export const MAX_BUSY_POLL_US = 10_000;

export class BusyPoll {
  private windowUs: number;
  /** performance.now() of the last poke, in ms. */
  private lastIo = 0;
  private spinning = false;
  /** Turns of the loop spent polling so far (for the tests). */
  turns = 0;

  constructor(microseconds: number) {
    this.windowUs = microseconds;
    // Bound once (a transport's meter calls it), from the prototype's, so a test can watch every poller's pokes.
    this.poke = this.poke.bind(this);
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

  /** Something was read or written: keep the loop awake for the window from now. */
  poke(): void {
    if (!(this.windowUs > 0)) return; // off, or no number at all
    this.lastIo = performance.now();
    if (this.spinning) return;
    this.spinning = true;
    setImmediate(turn, this);
  }

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
