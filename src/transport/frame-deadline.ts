/**
 * `frameTimeoutMs` for one connection: a frame (or WebSocket message) must be
 * complete that long after its first byte. One lazy timer per connection,
 * re-armed only when it fires before the frame under way is due, so the
 * reads of a busy connection cost a comparison, not a timer each.
 */
/** The transport a deadline belongs to (an object, not a callback: one fewer closure per connection). */
export interface FrameDeadlineOwner {
  /** The frame under way is late: the transport closes the connection. */
  frameLate(): void;
}

export class FrameDeadline {
  private startedAt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** `owner.frameLate()` is called once the frame under way is late. */
  constructor(
    readonly ms: number,
    private readonly owner: FrameDeadlineOwner,
  ) {}

  /** A frame is under way after this read; `restart` when this read completed frames, so the one left began in it. */
  running(restart: boolean): void {
    if (restart || this.startedAt === 0) this.startedAt = Date.now();
    this.timer ??= setTimeout(() => this.check(), this.ms);
  }

  /** No frame is under way. */
  idle(): void {
    this.startedAt = 0;
  }

  /** The connection is closed. */
  stop(): void {
    this.startedAt = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    this.timer = undefined;
    if (this.startedAt === 0) return;
    const elapsed = Date.now() - this.startedAt;
    if (elapsed < this.ms) {
      this.timer = setTimeout(() => this.check(), this.ms - elapsed);
      return;
    }
    this.owner.frameLate();
  }
}
