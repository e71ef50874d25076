/** A raw TCP client for abuse tests: write any bytes, read frames, see the close. */
import net from 'node:net';
import { FrameDecoder, encodeFrame } from '../../src/wire/frame.ts';
import { deadline } from './latch.ts';

export class RawClient {
  readonly frames: Uint8Array[] = [];
  readonly closed: Promise<void>;
  private constructor(readonly socket: net.Socket) {
    const d = new FrameDecoder(1 << 24);
    socket.on('data', (b) => this.frames.push(...d.push(b).map((f) => f.slice())));
    socket.on('error', () => {});
    this.closed = new Promise((r) => socket.once('close', () => r()));
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  sendFrame(payload: Uint8Array): void {
    this.socket.write(encodeFrame(payload));
  }

  /** Resolves when the server closes the connection (fails the test after `ms`). */
  waitClosed(ms = 5000): Promise<void> {
    return deadline(this.closed, ms, 'the server to close the raw connection');
  }

  destroy(): void {
    this.socket.destroy();
  }
}
