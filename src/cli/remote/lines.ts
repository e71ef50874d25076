/**
 * Remote output as lines, bounded: a line longer than maxLineBytes is cut (the rest of it up to
 * the newline is dropped), and only the last maxLines lines are kept for a failure report.
 * Remote bytes are untrusted, so what is printed to the operator's terminal has its control
 * characters escaped (no escape sequences reach the terminal).
 */
export class LineSplitter {
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });
  private partial = '';
  private cutting = false;

  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: (line: string, cut: boolean) => void,
  ) {}

  push(chunk: Uint8Array): void {
    this.feed(this.decoder.decode(chunk, { stream: true }));
  }

  /** The stream ended: a last line without its newline still counts. */
  end(): void {
    this.feed(this.decoder.decode());
    if (this.partial !== '' || this.cutting) this.emit();
  }

  private feed(text: string): void {
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      const piece = nl === -1 ? text.slice(start) : text.slice(start, nl);
      if (!this.cutting) {
        this.partial += piece;
        if (this.partial.length > this.maxLineBytes) {
          this.partial = this.partial.slice(0, this.maxLineBytes);
          this.cutting = true;
        }
      }
      if (nl === -1) return;
      this.emit();
      start = nl + 1;
    }
  }

  private emit(): void {
    const line = this.partial.endsWith('\r') ? this.partial.slice(0, -1) : this.partial;
    const cut = this.cutting;
    this.partial = '';
    this.cutting = false;
    this.onLine(line, cut);
  }
}

/** The last `max` lines. */
export class LastLines {
  private readonly kept: string[] = [];
  constructor(private readonly max: number) {}

  add(line: string): void {
    this.kept.push(line);
    if (this.kept.length > this.max) this.kept.shift();
  }

  get lines(): string[] {
    return [...this.kept];
  }
}

/** A remote line made safe to print: control characters (ESC included) shown as \xNN. */
export function printable(line: string): string {
  // eslint-disable-next-line no-control-regex
  return line.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
