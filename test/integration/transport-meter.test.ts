/**
 * The transports' meter, which the server-wide budget (maxBufferedBytes)
 * checks after every BUDGET_SLACK_BYTES it is told of: it must be told of
 * every byte a transport comes to hold, as it comes. TCP: a frame that spans
 * reads is assembled in a buffer that doubles (bounded by twice what arrived),
 * so one read can add more held memory than its own length; metered by reads
 * alone, a server of many partial frames went 4 MiB over its budget between
 * two checks (memory-budget.test.ts, seen once on a fast run). WebSocket: ws
 * holds a message's bytes until its last one arrives, and the transport
 * metered whole messages only, so partial messages were never checked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import { WebSocketServer } from 'ws';
import { TcpTransport } from '../../src/transport/tcp.ts';
import { WsTransport } from '../../src/transport/ws-server.ts';
import { deadline } from '../helpers/latch.ts';

test('the meter is told of at least what the transport holds, read by read, while a large frame arrives', async () => {
  const server = net.createServer();
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const peer = net.connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1' });
  const sock = await accepted;
  const FRAME = 4 << 20;
  const SENT = 3 << 20;
  let metered = 0;
  const behind: string[] = [];
  let done: () => void = () => {};
  const all = new Promise<void>((r) => (done = r));
  const transport: TcpTransport = new TcpTransport(sock, {
    maxFrameBytes: 8 << 20,
    meter: (bytes) => {
      metered += bytes;
      const held = transport.bufferedBytes;
      if (held > metered) behind.push(`held ${held} after ${metered} metered`);
    },
  });
  transport.start({ frame: () => {}, close: () => {} });
  // After the transport's own listener: counts what it has been given.
  let received = 0;
  sock.on('data', (d: Buffer) => {
    received += d.length;
    if (received >= SENT + 4) done();
  });
  try {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(FRAME);
    peer.write(head);
    // In pieces; the kernel may join them into larger reads, which grow the buffer the most.
    for (let sent = 0; sent < SENT; sent += 48 * 1024) peer.write(Buffer.alloc(48 * 1024, 7));
    await deadline(all, 20_000, 'the transport to read 3 MiB');
    assert.ok(transport.bufferedBytes >= SENT, `holds ${transport.bufferedBytes}`);
    assert.ok(metered >= received, `metered ${metered} of ${received} received`);
    assert.deepEqual(behind.slice(0, 3), [], `${behind.length} reads left the meter behind what is held`);
  } finally {
    peer.destroy();
    sock.destroy();
    server.close();
  }
});

test('WebSocket: the meter is told of a message as its bytes arrive, not only once it is whole', async () => {
  const server = http.createServer();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 8 << 20 });
  let metered = 0;
  const upgraded = new Promise<{ transport: WsTransport; socket: net.Socket }>((resolve) =>
    server.on('upgrade', (req, socket: net.Socket, head) =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        const transport = new WsTransport(ws, socket, { meter: (bytes) => (metered += bytes) });
        transport.start({ frame: () => {}, close: () => {} });
        resolve({ transport, socket });
      }),
    ),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const peer = net.connect({ port, host: '127.0.0.1' });
  peer.on('error', () => {});
  try {
    await new Promise((r) => peer.once('connect', r));
    peer.write(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    const { transport, socket } = await deadline(upgraded, 10_000, 'the upgrade');
    const FRAME = 4 << 20;
    const SENT = 3 << 20;
    // After ws's listener and the transport's: counts what the receiver has been given.
    let received = 0;
    let done: () => void = () => {};
    const all = new Promise<void>((r) => (done = r));
    socket.on('data', (d: Buffer) => {
      received += d.length;
      if (received >= SENT + 14) done();
    });
    // A masked binary frame announcing 4 MiB (a 64-bit length), then 3 MiB of it: the message stays partial.
    const head = Buffer.alloc(14);
    head[0] = 0x82;
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(FRAME), 2);
    peer.write(head);
    for (let sent = 0; sent < SENT; sent += 48 * 1024) peer.write(Buffer.alloc(48 * 1024, 7));
    await deadline(all, 20_000, 'the server to read 3 MiB');
    assert.ok(transport.bufferedBytes >= SENT, `holds ${transport.bufferedBytes}`);
    // What ws holds counts the announced 4 MiB as well; the meter must have heard of every byte read.
    assert.ok(metered >= received, `metered ${metered} of ${received} received while ${transport.bufferedBytes} are held`);
  } finally {
    peer.destroy();
    wss.close();
    server.close();
  }
});
