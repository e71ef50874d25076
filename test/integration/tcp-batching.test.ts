/**
 * The socket transports' send path (TCP, and the WebSocket server's last
 * test): small frames sent in one tick leave in one
 * write (the transport batches them until the tick's end; the socket is corked
 * only around a large frame) until 4 KiB of them are batched,
 * a large frame leaves at once, all in order, and flushed() does not wait on
 * a cork that nothing would lift.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { TcpTransport } from '../../src/transport/tcp.ts';
import { FRAME_HEADER_BYTES, FrameDecoder } from '../../src/wire/frame.ts';
import { allocFrame, isSharedView } from '../../src/wire/bytes.ts';
import { deadline } from '../helpers/latch.ts';

async function pair(): Promise<{ transport: TcpTransport; sock: net.Socket; peer: net.Socket; close(): void }> {
  const server = net.createServer();
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const sock = net.connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1' });
  await new Promise((r) => sock.once('connect', r));
  const peer = await accepted;
  const transport = new TcpTransport(sock, { maxFrameBytes: 1 << 20 });
  transport.start({ frame: () => {}, close: () => {} });
  return {
    transport,
    sock,
    peer,
    close: () => {
      sock.destroy();
      peer.destroy();
      server.close();
    },
  };
}

/** Counts the socket's system writes (one per _write or _writev call of the stream). */
function countWrites(sock: net.Socket): { write: number; writev: number; readonly total: number } {
  const counts = {
    write: 0,
    writev: 0,
    get total() {
      return this.write + this.writev;
    },
  };
  const s = sock as unknown as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
  const w = s._write.bind(sock);
  const wv = s._writev.bind(sock);
  s._write = (...a) => {
    counts.write++;
    w(...a);
  };
  s._writev = (...a) => {
    counts.writev++;
    wv(...a);
  };
  return counts;
}

/** Collect `n` frames from `peer`. */
function frames(peer: net.Socket, n: number): Promise<Uint8Array[]> {
  const dec = new FrameDecoder(1 << 20);
  const got: Uint8Array[] = [];
  return deadline(
    new Promise((resolve) => {
      peer.on('data', (b) => {
        for (const f of dec.push(b)) got.push(Uint8Array.from(f));
        if (got.length >= n) resolve(got);
      });
    }),
    10_000,
    `${n} frames`,
  );
}

test('frames sent in one tick are handed to the socket in one writev, in order', async () => {
  const { transport, sock, peer, close } = await pair();
  try {
    const writes = countWrites(sock);
    const got = frames(peer, 101);
    for (let i = 0; i < 100; i++) transport.send(new Uint8Array([131, 97, i]));
    transport.send(new Uint8Array(64 * 1024).fill(7)); // large frames take the header + payload path
    const all = await got;
    assert.deepEqual(
      all.slice(0, 100).map((f) => f[2]),
      Array.from({ length: 100 }, (_, i) => i),
    );
    assert.equal(all[100].length, 64 * 1024, 'the large frame comes after the small ones, whole');
    assert.ok(all[100].every((b) => b === 7));
    assert.equal(writes.total, 1, `one system write for the whole tick (write: ${writes.write}, writev: ${writes.writev})`);
  } finally {
    close();
  }
});

test('a large codec frame leaves at once, with the small frames before it, not at the end of the tick', async () => {
  const { transport, sock, peer, close } = await pair();
  try {
    const writes = countWrites(sock);
    const got = frames(peer, 5);
    const reserved = (n: number, fill: number) => allocFrame(FRAME_HEADER_BYTES + n).fill(fill, FRAME_HEADER_BYTES);
    transport.sendReserved(reserved(3, 1));
    transport.sendReserved(reserved(64 * 1024, 2));
    // Bulk casts: each sealed in turn; the peer can work on the first while the next is made.
    assert.equal(writes.total, 1, 'the small frame and the large one are on their way before the tick ends');
    assert.equal(sock.writableCorked, 0, 'the socket is not left corked');
    transport.sendReserved(reserved(64 * 1024, 3));
    assert.equal(writes.total, 2, 'each large frame goes as it is sent');
    transport.sendReserved(reserved(3, 4));
    transport.sendReserved(reserved(3, 5));
    assert.equal(writes.total, 2, 'small frames still wait for the tick');
    const all = await got;
    assert.deepEqual(
      all.map((f) => [f.length, f[0], f[f.length - 1]]),
      [
        [3, 1, 1],
        [64 * 1024, 2, 2],
        [64 * 1024, 3, 3],
        [3, 4, 4],
        [3, 5, 5],
      ],
    );
    assert.equal(writes.total, 3, 'the two small frames in one write');
  } finally {
    close();
  }
});

test('small frames leave once 4 KiB of them are batched, the rest at the end of the tick', async () => {
  const { transport, sock, peer, close } = await pair();
  try {
    const writes = countWrites(sock);
    const got = frames(peer, 200);
    // 200 frames of 40 bytes (44 with the header): 8.6 KiB in all.
    for (let i = 0; i < 200; i++) transport.send(new Uint8Array(40).fill(i));
    assert.equal(writes.total, 2, 'two early writes of 4 KiB each before the tick ends');
    const all = await got;
    assert.deepEqual(
      all.map((f) => f[0]),
      Array.from({ length: 200 }, (_, i) => i),
    );
    assert.equal(writes.total, 3, 'and the rest in one write when it ends');
  } finally {
    close();
  }
});

test('a small slab frame goes to an idle socket as it is; behind queued bytes it is copied, and both arrive', async () => {
  const { transport, sock, peer, close } = await pair();
  try {
    const chunks: Uint8Array[] = [];
    const write = sock.write.bind(sock) as (c: Uint8Array) => boolean;
    (sock as unknown as { write: (c: Uint8Array) => boolean }).write = (c) => {
      chunks.push(c);
      return write(c);
    };
    const reserved = (fill: number) => allocFrame(FRAME_HEADER_BYTES + 20).fill(fill, FRAME_HEADER_BYTES);
    // Idle: libuv writes it before write() returns, so nothing keeps the view (no copy, no allocation).
    const idle = reserved(1);
    transport.sendReserved(idle);
    await new Promise((r) => process.nextTick(r));
    assert.equal(chunks.length, 1);
    assert.equal(chunks[0], idle, 'the view itself was written');
    assert.equal(sock.writableLength, 0);
    // A peer that reads nothing: fill the kernel's buffers until the stream queues.
    peer.pause();
    const filler = Buffer.alloc(1 << 20);
    for (let i = 0; i < 256 && sock.writableLength === 0; i++) sock.write(filler);
    assert.ok(sock.writableLength > 0, 'the stream holds bytes the kernel would not take');
    const behind = reserved(2);
    transport.sendReserved(behind);
    await new Promise((r) => process.nextTick(r));
    const queued = chunks[chunks.length - 1];
    assert.notEqual(queued, behind);
    assert.equal(isSharedView(queued), false, 'a queued chunk holds its own bytes, not a 16 KiB slab');
    assert.deepEqual(Uint8Array.from(queued), Uint8Array.from(behind));
    // Later frames fill new slabs while the socket still holds its queue: nothing queued may change.
    for (let i = 0; i < 64; i++) allocFrame(1000).fill(0xee);
    // Both small frames arrive whole, in order, around the filler.
    const want = FRAME_HEADER_BYTES + 20;
    const total = 2 * want + (chunks.length - 2) * filler.length;
    const got = await deadline(
      new Promise<Buffer>((resolve) => {
        const parts: Buffer[] = [];
        let n = 0;
        peer.on('data', (b: Buffer) => {
          parts.push(b);
          n += b.length;
          if (n >= total) resolve(Buffer.concat(parts));
        });
        peer.resume();
      }),
      10_000,
      'every byte',
    );
    assert.deepEqual([...got.subarray(0, want)], [0, 0, 0, 20, ...new Array<number>(20).fill(1)]);
    assert.deepEqual([...got.subarray(got.length - want)], [0, 0, 0, 20, ...new Array<number>(20).fill(2)]);
  } finally {
    close();
  }
});

test('3,000 small frames in one tick (several early writes), then end(): all arrive in order', async () => {
  const { transport, peer, close } = await pair();
  try {
    const got = frames(peer, 3000);
    for (let i = 0; i < 3000; i++) transport.send(new Uint8Array([131, 98, i >> 8, i & 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    transport.end();
    const all = await got;
    assert.deepEqual(
      all.map((f) => (f[2] << 8) | f[3]),
      Array.from({ length: 3000 }, (_, i) => i),
    );
  } finally {
    close();
  }
});

test('flushed() resolves for frames sent in the same tick', async () => {
  const { transport, peer, close } = await pair();
  try {
    const got = frames(peer, 3);
    for (let i = 0; i < 3; i++) transport.send(new Uint8Array([131, 97, i]));
    await deadline(transport.flushed(), 10_000, 'flushed()');
    assert.equal((await got).length, 3);
  } finally {
    close();
  }
});

test('a frame sent just before destroy() in the same tick still reaches the peer', async () => {
  const { transport, peer, close } = await pair();
  try {
    const got = frames(peer, 1);
    transport.send(new Uint8Array([131, 100, 0, 3, 97, 99, 107])); // ack
    transport.destroy();
    assert.equal((await got)[0].length, 7);
  } finally {
    close();
  }
});

/** A WsTransport on the server side of a real WebSocket, and a ws client of it, both open. */
async function wsPair() {
  const http = await import('node:http');
  const { WebSocketServer, WebSocket } = await import('ws');
  const { WsTransport } = await import('../../src/transport/ws-server.ts');
  const server = http.createServer();
  const wss = new WebSocketServer({ noServer: true });
  const accepted = new Promise<{ transport: InstanceType<typeof WsTransport>; socket: net.Socket }>((resolve) =>
    server.on('upgrade', (req, socket: net.Socket, head) =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        const transport = new WsTransport(ws, socket);
        transport.start({ frame: () => {}, close: () => {} });
        resolve({ transport, socket });
      }),
    ),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as net.AddressInfo).port}/`);
  client.on('error', () => {});
  const opened = new Promise((r) => client.once('open', r));
  const { transport, socket } = await deadline(accepted, 10_000, 'the upgrade');
  await deadline(opened, 10_000, 'the client open');
  /** The first byte of each of the next `n` messages the client gets. */
  const messages = (n: number): Promise<number[]> => {
    const got: number[] = [];
    return deadline(
      new Promise((resolve) =>
        client.on('message', (m: Buffer) => {
          got.push(m[0]);
          if (got.length === n) resolve(got);
        }),
      ),
      10_000,
      `${n} messages`,
    );
  };
  const close = () => {
    client.terminate();
    wss.close();
    server.close();
  };
  return { transport, socket, messages, close };
}

test('WebSocket server: the messages one tick sends leave in one write (ws alone writes each), 4 KiB at most held', async () => {
  const { transport, socket, messages, close } = await wsPair();
  try {
    const all = messages(200);
    const writes = countWrites(socket);
    for (let i = 0; i < 50; i++) transport.send(new Uint8Array(60).fill(i));
    assert.equal(writes.total, 0, 'held until the tick ends');
    // 150 more of 60 bytes: 12,000 in all, an early write each time 4 KiB of them wait (after 69 and 138).
    for (let i = 50; i < 200; i++) transport.send(new Uint8Array(60).fill(i));
    assert.equal(writes.total, 2, 'a write per 4 KiB within the tick');
    assert.deepEqual(
      await all,
      Array.from({ length: 200 }, (_, i) => i),
    );
    assert.equal(writes.total, 3, 'and the rest in one write at its end');
  } finally {
    close();
  }
});

test('WebSocket server: messages sent in the tick of a destroy() still reach the peer', async () => {
  const { transport, messages, close } = await wsPair();
  try {
    const got = messages(3);
    for (let i = 1; i <= 3; i++) transport.send(new Uint8Array(10).fill(i));
    transport.destroy();
    assert.deepEqual(await got, [1, 2, 3]);
  } finally {
    close();
  }
});
