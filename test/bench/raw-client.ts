/**
 * The same workloads for every contender (ours, raw frames on node:net, raw
 * `ws`, gRPC-js), written once over a Link: a request that is answered, and
 * a one-way message. A load runs for `seconds` and returns its rate.
 *
 *   sequential   one request at a time: requests/s, p50 and p99 in µs
 *   pipelined    `depth` requests in flight on one connection: requests/s
 *   one-way      batches of 1,000 one-way messages then one request: messages/s
 *   bulk         batches of 16 one-way 64 KiB payloads then one request: MB/s of payload
 *
 * Raw links send the name server's own bytes (the ETF of {lookup, joe} and
 * of {store, joe, "writing a book"}), so every contender moves the same
 * frames; the raw servers answer a payload that starts with 131 (a term)
 * with the reply's bytes and drop the others (test/bench/server.ts).
 */
import net from 'node:net';
import { WebSocket } from 'ws';
import { FrameDecoder, encodeFrame } from '../../src/wire/frame.ts';
import { encodeTerm } from '../../src/wire/etf/encode.ts';
import { atom, tuple } from '../../src/wire/etf/term.ts';

export const LOOKUP = tuple(atom('lookup'), atom('joe'));
export const STORE = tuple(atom('store'), atom('joe'), 'writing a book');
export const REQUEST_PAYLOAD = encodeTerm(LOOKUP);
/** {ok, "writing a book"}: what the name server answers. */
export const REPLY_PAYLOAD = encodeTerm(tuple(atom('ok'), 'writing a book'));
/** A one-way payload of a cast's size whose first byte is not 131, so the raw servers do not answer it. */
export const ONE_WAY_PAYLOAD = (() => {
  const b = encodeTerm(STORE);
  b[0] = 0;
  return b;
})();
export const BULK_BYTES = 64 * 1024;
export const BULK_PAYLOAD = new Uint8Array(BULK_BYTES).fill(42);

export function isRequest(payload: Uint8Array): boolean {
  return payload.length > 0 && payload[0] === 131;
}

export interface Link {
  /** Send a request; resolves with its answer. */
  request(): Promise<unknown>;
  /** Send one small one-way message. */
  oneWay(): void;
  /** Send one 64 KiB one-way payload. */
  bulk(): void;
  close(): void;
}

function pct(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

export interface SeqResult {
  rate: number;
  p50: number;
  p99: number;
}

export async function sequential(link: Link, seconds: number): Promise<SeqResult> {
  const lat: number[] = [];
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  for (let s = t0; s < end;) {
    await link.request();
    const now = performance.now();
    lat.push(now - s);
    s = now;
  }
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { rate: lat.length / secs, p50: pct(lat, 50) * 1000, p99: pct(lat, 99) * 1000 };
}

/** `depth` requests in flight on one link; each answer starts the next. */
export function pipelined(link: Link, seconds: number, depth = 256): Promise<number> {
  return new Promise((resolve, reject) => {
    let done = 0;
    let inflight = 0;
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    let stopping = false;
    const one = (): void => {
      inflight++;
      link.request().then(onAnswer, reject);
    };
    const onAnswer = (): void => {
      inflight--;
      done++;
      if (!stopping && (done & 255) === 0 && performance.now() >= end) stopping = true;
      if (!stopping) one();
      else if (inflight === 0) resolve(done / ((performance.now() - t0) / 1000));
    };
    for (let i = 0; i < depth; i++) one();
  });
}

/** Batches of `batch` one-way messages then one request: one-way messages/s. */
export async function oneWay(link: Link, seconds: number, batch = 1000): Promise<number> {
  let n = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < batch; i++) link.oneWay();
    await link.request();
    n += batch;
  }
  return n / ((performance.now() - t0) / 1000);
}

/** Batches of 16 one-way 64 KiB payloads then one request: MB/s of payload. */
export async function bulk(link: Link, seconds: number): Promise<number> {
  let bytes = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 16; i++) link.bulk();
    await link.request();
    bytes += 16 * BULK_BYTES;
  }
  return bytes / ((performance.now() - t0) / 1000) / 1e6;
}

/** Answers come back in order on a raw link: a FIFO of waiting requests. */
class Waiters {
  private q: Array<(v: unknown) => void> = [];
  private head = 0;
  push(r: (v: unknown) => void): void {
    this.q.push(r);
  }
  wake(): void {
    const r = this.q[this.head++];
    if (this.head > 1024 && this.head * 2 > this.q.length) {
      this.q = this.q.slice(this.head);
      this.head = 0;
    }
    r?.(undefined);
  }
}

/** Raw length-prefixed frames on node:net (the limit for the TCP rows). */
export async function rawTcpLink(port: number): Promise<Link> {
  const sock = net.connect({ port, host: '127.0.0.1', noDelay: true });
  await new Promise((r, j) => sock.once('connect', r).once('error', j));
  const dec = new FrameDecoder(1 << 20);
  const w = new Waiters();
  sock.on('data', (b) => {
    const n = dec.push(b).length;
    for (let i = 0; i < n; i++) w.wake();
  });
  const req = encodeFrame(REQUEST_PAYLOAD);
  const ow = encodeFrame(ONE_WAY_PAYLOAD);
  const bk = encodeFrame(BULK_PAYLOAD);
  // Corked until the end of the tick, as our transport is: the frames of a tick leave in one
  // writev, so the limit is not a count of system calls (small frames are not copied together
  // as ours are; writev takes them as they are).
  let corked = false;
  const uncork = (): void => {
    corked = false;
    sock.uncork();
  };
  const write = (b: Uint8Array): void => {
    if (!corked) {
      corked = true;
      sock.cork();
      process.nextTick(uncork);
    }
    sock.write(b);
  };
  return {
    request: () =>
      new Promise((r) => {
        w.push(r);
        write(req);
      }),
    oneWay: () => write(ow),
    bulk: () => write(bk),
    close: () => sock.destroy(),
  };
}

/** Raw `ws` binary messages (the limit for the WebSocket rows). */
export async function rawWsLink(port: number): Promise<Link> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false, maxPayload: 1 << 20 });
  await new Promise((r, j) => ws.once('open', r).once('error', j));
  const w = new Waiters();
  ws.on('message', () => w.wake());
  return {
    request: () =>
      new Promise((r) => {
        w.push(r);
        ws.send(REQUEST_PAYLOAD, { binary: true });
      }),
    oneWay: () => ws.send(ONE_WAY_PAYLOAD, { binary: true }),
    bulk: () => ws.send(BULK_PAYLOAD, { binary: true }),
    close: () => ws.terminate(),
  };
}

/** Sequential requests on every link at once, for `seconds`: total requests/s. */
export async function manySequential(links: Link[], seconds: number): Promise<number> {
  let n = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    links.map(async (l) => {
      while (performance.now() < end) {
        await l.request();
        n++;
      }
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}
