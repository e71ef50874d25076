/**
 * A man in the middle for attack tests: a TCP proxy on 127.0.0.1:0 between a
 * client and a server that cuts the byte streams into `{packet, 4}` frames
 * (its own parser, independent of src/wire/frame.ts) and, for frame N of a
 * direction, can
 *
 *   flip      flip one bit of the payload (the length prefix is kept)
 *   drop      not forward it
 *   reorder   hold it and forward it right after frame N+1
 *   replay    forward it twice
 *   truncate  forward its length prefix and part of its payload, then close
 *             both connections (the receiver sees the stream end mid-frame)
 *
 * Every frame each side sent is recorded as it arrived (before any fault), so
 * a test can assert what a client did and did not send, and replay it
 * elsewhere. As secret-handshake's bitflip tests do, but over real sockets.
 * No sleeps: tests wait for recorded frames and closes, with deadlines.
 */
import net from 'node:net';
import { deadline } from './latch.ts';

export type Direction = 'c2s' | 's2c';
export type FaultAction = 'flip' | 'drop' | 'reorder' | 'replay' | 'truncate';

export interface Fault {
  dir: Direction;
  /** Index of the frame in its direction, from 0 (c2s: 0 hello, 1 auth, 2.. records; s2c: 0 reply, 1 result, 2.. records). */
  frame: number;
  action: FaultAction;
  /** flip: the bit to flip, counted from the payload's first byte (bit 0 = lowest bit of byte 0). @default the lowest bit of the middle byte */
  bit?: number;
  /** truncate: payload bytes forwarded before the close. @default half the payload */
  keepBytes?: number;
}

const HEADER = 4;

function header(n: number): Buffer {
  const h = Buffer.alloc(HEADER);
  h.writeUInt32BE(n);
  return h;
}

/** One proxied connection: a client socket and the upstream socket. */
export class Pipe {
  /** Frame payloads as each side sent them (before faults). */
  readonly frames: Record<Direction, Uint8Array[]> = { c2s: [], s2c: [] };
  /** Resolves when the client's socket to the middlebox has closed (everything it sent has been read). */
  readonly clientClosed: Promise<void>;
  /** Resolves when both sockets have closed. */
  readonly closed: Promise<void>;
  /** Faults actually applied, for diagnostics. */
  readonly applied: string[] = [];

  private readonly waiters = new Set<() => void>();
  private readonly held: Partial<Record<Direction, Uint8Array>> = {};
  // Read at connect time: a closed socket no longer knows its address.
  private upstreamAddress: string | undefined;

  constructor(
    readonly id: number,
    private readonly client: net.Socket,
    private readonly upstream: net.Socket,
    private readonly faults: readonly Fault[],
  ) {
    const closedOf = (s: net.Socket) => new Promise<void>((r) => s.once('close', () => r()));
    this.clientClosed = closedOf(client);
    this.closed = Promise.all([this.clientClosed, closedOf(upstream)]).then(() => undefined);
    upstream.once('connect', () => (this.upstreamAddress = `${upstream.localAddress}:${upstream.localPort}`));
    this.wire(client, upstream, 'c2s');
    this.wire(upstream, client, 's2c');
  }

  /** Resolves once `n` frames have been recorded in `dir`. */
  waitFrames(dir: Direction, n: number, ms = 5000): Promise<Uint8Array[]> {
    return deadline(
      new Promise<Uint8Array[]>((resolve) => {
        const check = (): void => {
          if (this.frames[dir].length >= n) {
            this.waiters.delete(check);
            resolve(this.frames[dir]);
          }
        };
        this.waiters.add(check);
        check();
      }),
      ms,
      `${n} ${dir} frames through the middlebox (have ${this.frames[dir].length})`,
    );
  }

  /** This connection's address as the server sees it ("127.0.0.1:port"), to find the server's log lines about it. */
  get upstreamPeer(): string {
    if (this.upstreamAddress === undefined) throw new Error(`middlebox connection ${this.id}: the upstream connection was never established`);
    return this.upstreamAddress;
  }

  /** Close both connections at once. */
  destroy(): void {
    this.client.destroy();
    this.upstream.destroy();
  }

  private wire(from: net.Socket, to: net.Socket, dir: Direction): void {
    let buf: Buffer = Buffer.alloc(0);
    from.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      while (buf.length >= HEADER) {
        const n = buf.readUInt32BE(0);
        if (buf.length < HEADER + n) break;
        const payload = new Uint8Array(buf.subarray(HEADER, HEADER + n));
        buf = buf.subarray(HEADER + n);
        this.onFrame(dir, payload, from, to);
        if (to.destroyed || to.writableEnded) return;
      }
    });
    from.on('end', () => {
      // The sender closed: pass on what is left of a frame it cut short itself, then the FIN.
      if (buf.length > 0 && !to.destroyed && !to.writableEnded) to.write(buf);
      to.end();
    });
    from.on('error', () => {});
    from.on('close', () => {
      if (!to.destroyed) to.end();
    });
  }

  private onFrame(dir: Direction, payload: Uint8Array, from: net.Socket, to: net.Socket): void {
    const index = this.frames[dir].length;
    this.frames[dir].push(payload);
    for (const w of [...this.waiters]) w();
    const send = (p: Uint8Array): void => {
      if (!to.destroyed && !to.writableEnded) to.write(Buffer.concat([header(p.length), p]));
    };
    const fault = this.faults.find((f) => f.dir === dir && f.frame === index);
    const held = this.held[dir];
    if (!fault) {
      send(payload);
      if (held) {
        this.held[dir] = undefined;
        this.applied.push(`${dir}#${index - 1} reordered after #${index}`);
        send(held);
      }
      return;
    }
    switch (fault.action) {
      case 'flip': {
        const bit = fault.bit ?? Math.floor(payload.length / 2) * 8;
        if (bit < 0 || bit >= payload.length * 8) throw new Error(`middlebox: bit ${bit} outside the ${payload.length}-byte ${dir} frame ${index}`);
        const p = payload.slice();
        p[bit >> 3] ^= 1 << (bit & 7);
        this.applied.push(`${dir}#${index} bit ${bit} flipped`);
        send(p);
        break;
      }
      case 'drop':
        this.applied.push(`${dir}#${index} dropped`);
        break;
      case 'reorder':
        this.held[dir] = payload;
        break;
      case 'replay':
        this.applied.push(`${dir}#${index} sent twice`);
        send(payload);
        send(payload);
        break;
      case 'truncate': {
        const keep = fault.keepBytes ?? Math.floor(payload.length / 2);
        if (keep < 0 || keep >= payload.length) throw new Error(`middlebox: cannot keep ${keep} of the ${payload.length}-byte ${dir} frame ${index}`);
        this.applied.push(`${dir}#${index} cut after ${keep} of ${payload.length} bytes`);
        to.end(Buffer.concat([header(payload.length), payload.subarray(0, keep)]));
        from.end();
        break;
      }
    }
  }
}

export class Middlebox {
  /** Where new connections go; may be changed between connections (to put an impostor behind the same address). */
  target: { host: string; port: number };
  /** Faults applied to every connection accepted from now on. */
  faults: Fault[];
  readonly pipes: Pipe[] = [];
  private readonly server: net.Server;
  private readonly pipeWaiters = new Set<() => void>();

  private constructor(target: { host?: string; port: number }, faults: Fault[]) {
    this.target = { host: target.host ?? '127.0.0.1', port: target.port };
    this.faults = faults;
    this.server = net.createServer({ noDelay: true }, (client) => this.onConnection(client));
  }

  /** A middlebox on 127.0.0.1, port 0, forwarding to `target`. */
  static async start(target: { host?: string; port: number }, faults: Fault[] = []): Promise<Middlebox> {
    const mb = new Middlebox(target, faults);
    await new Promise<void>((resolve, reject) => {
      mb.server.once('error', reject);
      mb.server.listen({ port: 0, host: '127.0.0.1' }, () => resolve());
    });
    return mb;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** The `n`th connection (from 0), once it has been accepted. */
  pipe(n = 0, ms = 5000): Promise<Pipe> {
    return deadline(
      new Promise<Pipe>((resolve) => {
        const check = (): void => {
          if (this.pipes.length > n) {
            this.pipeWaiters.delete(check);
            resolve(this.pipes[n]);
          }
        };
        this.pipeWaiters.add(check);
        check();
      }),
      ms,
      `connection ${n} through the middlebox`,
    );
  }

  private onConnection(client: net.Socket): void {
    client.setNoDelay(true);
    const upstream = net.connect({ host: this.target.host, port: this.target.port, noDelay: true });
    const pipe = new Pipe(this.pipes.length, client, upstream, [...this.faults]);
    this.pipes.push(pipe);
    for (const w of [...this.pipeWaiters]) w();
  }

  /** Stop accepting and cut every connection. */
  async close(): Promise<void> {
    for (const p of this.pipes) p.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
