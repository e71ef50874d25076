/**
 * The TCP transport's meter, which the server-wide budget (maxBufferedBytes)
 * checks after every BUDGET_SLACK_BYTES it is told of: it must be told of
 * every byte the transport comes to hold, not only of the bytes read. A frame
 * that spans reads is assembled in a buffer that doubles (bounded by twice
 * what arrived), so one read can add more held memory than its own length;
 * metered by reads alone, a server of many partial frames went 4 MiB over its
 * budget between two checks (memory-budget.test.ts, seen once on a fast run).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { TcpTransport } from '../../src/transport/tcp.ts';
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
    // In pieces, as a peer on a slow link sends them: each read is at most a piece.
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
