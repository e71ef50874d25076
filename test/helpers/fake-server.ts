/**
 * A scriptable fake lib_chan server on 127.0.0.1:0 (as nats's
 * test_server.ts): records every frame each client sends and answers with
 * whatever the test's script says, e.g. a legacy `{challenge, C}` to a secure
 * hello (a downgrade attempt) or a forged plaintext refusal.
 */
import net from 'node:net';
import { deadline } from './latch.ts';

const HEADER = 4;

export class FakeConnection {
  /** Frame payloads the client sent, in order. */
  readonly frames: Uint8Array[] = [];
  /** Resolves when the client's connection has closed (everything it sent has been read). */
  readonly closed: Promise<void>;

  constructor(
    readonly socket: net.Socket,
    script: (frame: Uint8Array, index: number, conn: FakeConnection) => void,
  ) {
    this.closed = new Promise((r) => socket.once('close', () => r()));
    socket.on('error', () => {});
    let buf: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      while (buf.length >= HEADER && buf.length >= HEADER + buf.readUInt32BE(0)) {
        const n = buf.readUInt32BE(0);
        const frame = new Uint8Array(buf.subarray(HEADER, HEADER + n));
        buf = buf.subarray(HEADER + n);
        this.frames.push(frame);
        script(frame, this.frames.length - 1, this);
      }
    });
  }

  send(payload: Uint8Array): void {
    const h = Buffer.alloc(HEADER);
    h.writeUInt32BE(payload.length);
    this.socket.write(Buffer.concat([h, payload]));
  }

  /** Orderly close after what was sent. */
  end(): void {
    this.socket.end();
  }
}

export class FakeServer {
  readonly connections: FakeConnection[] = [];
  private readonly server: net.Server;
  private readonly waiters = new Set<() => void>();

  private constructor(script: (frame: Uint8Array, index: number, conn: FakeConnection) => void) {
    this.server = net.createServer((s) => {
      this.connections.push(new FakeConnection(s, script));
      for (const w of [...this.waiters]) w();
    });
  }

  /** `script` runs for every frame a client sends; it answers through `conn.send` / `conn.end`. */
  static async start(script: (frame: Uint8Array, index: number, conn: FakeConnection) => void): Promise<FakeServer> {
    const fs = new FakeServer(script);
    await new Promise<void>((resolve, reject) => {
      fs.server.once('error', reject);
      fs.server.listen({ port: 0, host: '127.0.0.1' }, () => resolve());
    });
    return fs;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** The `n`th connection (from 0), once accepted. */
  connection(n = 0, ms = 5000): Promise<FakeConnection> {
    return deadline(
      new Promise<FakeConnection>((resolve) => {
        const check = (): void => {
          if (this.connections.length > n) {
            this.waiters.delete(check);
            resolve(this.connections[n]);
          }
        };
        this.waiters.add(check);
        check();
      }),
      ms,
      `connection ${n} to the fake server`,
    );
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
