/**
 * Clients for the operations tests: a raw TCP client that can pick its
 * source address (127.0.0.2 is another host as far as per-address limits and
 * the login guard are concerned: Linux routes all of 127/8 to lo) and stop
 * reading, and a real lib_chan client bound to a source address.
 */
import net from 'node:net';
import { connectOver, type ConnectOptions } from '../../src/client/connect.ts';
import { nodeClientDefaults } from '../../src/client/secure-node.ts';
import type { Channel } from '../../src/chan/channel.ts';
import { TcpTransport } from '../../src/transport/tcp.ts';
import { resolveLimits } from '../../src/limits.ts';
import { FrameDecoder, encodeFrame } from '../../src/wire/frame.ts';
import { encodeTerm } from '../../src/wire/etf/encode.ts';
import { decodeTerm } from '../../src/wire/etf/decode.ts';
import { atom, isAtom, tuple, type Term } from '../../src/wire/etf/term.ts';
import { deadline } from './latch.ts';

/** A raw socket: frames are collected only once `read()` is called, so a test can leave it paused. */
export class Raw {
  readonly frames: Uint8Array[] = [];
  readonly closed: Promise<void>;
  private readonly decoder = new FrameDecoder(1 << 30);
  private waiters: (() => void)[] = [];
  private reading = false;
  bytesRead = 0;

  private constructor(readonly socket: net.Socket) {
    socket.on('error', () => {});
    this.closed = new Promise((r) => socket.once('close', () => r()));
  }

  /** Connect to 127.0.0.1:port, from `localAddress` when given. Not reading until read(). */
  static connect(port: number, localAddress?: string): Promise<Raw> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) }, () => {
        s.off('error', reject);
        resolve(new Raw(s));
      });
      s.once('error', reject);
    });
  }

  /** Start (or resume) reading frames. */
  read(): this {
    if (!this.reading) {
      this.reading = true;
      this.socket.on('data', (b: Buffer) => {
        this.bytesRead += b.length;
        for (const f of this.decoder.push(b)) this.frames.push(f.slice());
        for (const w of this.waiters.splice(0)) w();
      });
    }
    this.socket.resume();
    return this;
  }

  pause(): void {
    this.socket.pause();
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  sendFrame(payload: Uint8Array): void {
    this.socket.write(encodeFrame(payload));
  }

  sendTerm(t: Term): void {
    this.sendFrame(encodeTerm(t));
  }

  /** The n-th frame received (0-based), waiting for it. */
  async frame(n: number, ms = 5000): Promise<Uint8Array> {
    this.read();
    while (this.frames.length <= n) {
      await deadline(
        new Promise<void>((r) => {
          this.waiters.push(r);
          void this.closed.then(r);
        }),
        ms,
        `frame ${n} from the server`,
      );
      if (this.frames.length <= n && this.socket.destroyed) throw new Error(`the server closed the connection before frame ${n}`);
    }
    return this.frames[n];
  }

  async term(n: number, ms = 5000): Promise<Term> {
    return decodeTerm(await this.frame(n, ms));
  }

  /** Resolves when the connection is closed (the test fails after `ms`). */
  waitClosed(ms = 5000): Promise<void> {
    return deadline(this.closed, ms, 'the server to close the raw connection');
  }

  get isClosed(): boolean {
    return this.socket.destroyed;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Log in over a raw socket to a service without a password (legacy protocol); resolves after `ack`. */
export async function rawLegacyLogin(port: number, service: string, argsC: Term = [], localAddress?: string): Promise<Raw> {
  const raw = await Raw.connect(port, localAddress);
  raw.sendTerm(tuple(atom('startService'), atom(service), argsC));
  const ack = await raw.term(0);
  if (!isAtom(ack, 'ack')) {
    raw.destroy();
    throw new Error(`login to ${service} answered ${String(ack)}`);
  }
  return raw;
}

/** The lib_chan client, over a TCP connection from `localAddress` to 127.0.0.1:port. */
export async function connectFrom(
  localAddress: string,
  port: number,
  service: string,
  password: string | null,
  argsC: Term = [],
  options: ConnectOptions = {},
): Promise<Channel> {
  const limits = resolveLimits(options.limits ?? {});
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress, noDelay: true }, () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
  const transport = new TcpTransport(socket, { maxFrameBytes: limits.maxFrameBytes });
  return connectOver(transport, service, password, argsC, nodeClientDefaults(options, `127.0.0.1:${port}`));
}

/** A term nested `depth` deep: [[[...[]...]]]. */
export function nested(depth: number): Term {
  let t: Term = [];
  for (let i = 1; i < depth; i++) t = [t];
  return t;
}

/** Poll `cond` (every few ms) until it holds; fails after `ms` naming `what` (nats' check.ts). */
export async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
