/**
 * The server's WebSocket transport hands a large frame's buffer back to the pool once the socket has
 * written it (ws's send callback), not before: 256 frames of 70 KB sent to a client that reads nothing
 * until the last is sent (more than loopback's socket buffers hold, so most wait in the server's socket)
 * all arrive as they were sent, and the ones written early were reused for later frames. With
 * permessage-deflate ws compresses each message later, on zlib's threads: the buffer waits for that too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { WsTransport } from '../../src/transport/ws-server.ts';
import { allocFrame, isSharedView } from '../../src/wire/bytes.ts';
import { FRAME_HEADER_BYTES } from '../../src/wire/frame.ts';
import { deadline } from '../helpers/latch.ts';

const LARGE = 70_000;
const MANY = 256;

async function sendMany(perMessageDeflate: boolean): Promise<void> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate });
  await new Promise((r) => wss.once('listening', r));
  // Sends whose callback has come (ws calls it once the socket has written the message, after compression).
  let written = 0;
  const accepted = new Promise<WsTransport>((resolve) =>
    wss.once('connection', (ws, req) => {
      const send = ws.send.bind(ws) as (d: Uint8Array, cb?: (err?: Error) => void) => void;
      (ws as unknown as { send: typeof send }).send = (d, cb) =>
        send(d, (err) => {
          written++;
          cb?.(err);
        });
      const t = new WsTransport(ws, req.socket as Socket);
      t.start({ frame: () => {}, close: () => {} });
      resolve(t);
    }),
  );
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, { perMessageDeflate, maxPayload: 1 << 20 });
  const got: number[] = [];
  let wake = (): void => {};
  const all = new Promise<void>((r) => (wake = r));
  client.on('message', (m: Buffer) => {
    got.push(m.length === LARGE && m.every((b) => b === m[0]) ? m[0] : -1);
    if (got.length === MANY) wake();
  });
  await new Promise((r) => client.once('open', r));
  const clientSocket = (client as unknown as { _socket: Socket })._socket;
  clientSocket.pause();
  const t = await accepted;
  try {
    const buffers = new Set<ArrayBufferLike>();
    for (let i = 0; i < MANY; i++) {
      const buf = allocFrame(FRAME_HEADER_BYTES + LARGE);
      buffers.add(buf.buffer);
      buf.fill(i & 0xff, FRAME_HEADER_BYTES);
      t.sendReserved(buf);
      if (i % 16 === 15) {
        if (perMessageDeflate) {
          // zlib compresses on its own threads: wait for this batch's callbacks (the compressed messages, a few
          // bytes each, all fit in the socket), so the next batch finds their buffers in the pool whatever the timing.
          const sent = i + 1;
          await deadline(
            (async () => {
              while (written < sent) await new Promise((r) => setImmediate(r));
            })(),
            10_000,
            'the compressed messages written',
          );
        } else {
          // Let the socket's writes complete (and their callbacks run) as they can: each write the kernel takes at
          // once calls back in a nextTick; the rest wait for the paused client.
          await new Promise((r) => setImmediate(r));
        }
      }
    }
    clientSocket.resume();
    await all;
    assert.deepEqual(
      got,
      Array.from({ length: MANY }, (_, i) => i & 0xff),
      'no message carries a later frame written over its buffer',
    );
    assert.ok(buffers.size < MANY, `frames written early lent their buffers to later ones (${buffers.size} buffers for ${MANY} frames)`);
  } finally {
    client.terminate();
    t.destroy();
    await new Promise((r) => wss.close(r));
  }
}

test('ws server transport - a large frame goes back to the pool once written: every message arrives as sent, and buffers are reused', () => sendMany(false));

test('ws server transport - with permessage-deflate, not before the compressor has read it and the socket written it', () => sendMany(true));

test('ws server transport - a frame whose send failed is not pooled (a closing deflate stream may still be reading it)', () => {
  // ws calls the send callback with an error when the socket closes while zlib compresses the message,
  // and zlib's job may still read the buffer then: it must not be handed to the next frame.
  const failing = {
    readyState: 1,
    OPEN: 1,
    CLOSING: 2,
    bufferedAmount: 0,
    on: () => failing,
    send: (_data: Uint8Array, cb?: (err?: Error) => void) => cb?.(new Error('The socket was closed while data was being compressed')),
  };
  const socket = { remoteAddress: '127.0.0.1', remotePort: 1, cork: () => {}, uncork: () => {}, on: () => socket };
  const t = new WsTransport(failing as unknown as WebSocket, socket as unknown as Socket);
  const buf = allocFrame(FRAME_HEADER_BYTES + LARGE);
  t.sendReserved(buf);
  const next = allocFrame(FRAME_HEADER_BYTES + LARGE);
  assert.notEqual(next.buffer, buf.buffer);
});

test('ws server transport - the first small slab frame of a tick on an idle socket goes as it is; later ones, or with permessage-deflate, as copies', async () => {
  for (const perMessageDeflate of [false, true]) {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate });
    await new Promise((r) => wss.once('listening', r));
    const accepted = new Promise<{ t: WsTransport; ws: WebSocket }>((resolve) =>
      wss.once('connection', (ws, req) => {
        const t = new WsTransport(ws, req.socket as Socket);
        t.start({ frame: () => {}, close: () => {} });
        resolve({ t, ws });
      }),
    );
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, { perMessageDeflate });
    const got: number[][] = [];
    let wake = (): void => {};
    const all = new Promise<void>((r) => (wake = r));
    client.on('message', (m: Buffer) => {
      got.push([m.length, m[0], m[m.length - 1]]);
      if (got.length === 6) wake();
    });
    await new Promise((r) => client.once('open', r));
    const { t, ws } = await accepted;
    try {
      const given: Uint8Array[] = [];
      const send = ws.send.bind(ws) as (d: Uint8Array, cb?: (err?: Error) => void) => void;
      (ws as unknown as { send: typeof send }).send = (d, cb) => {
        given.push(d);
        send(d, cb);
      };
      const frame = (i: number) => allocFrame(FRAME_HEADER_BYTES + 30).fill(i, FRAME_HEADER_BYTES);
      for (let tick = 0; tick < 2; tick++) {
        for (let i = 0; i < 3; i++) t.sendReserved(frame(3 * tick + i));
        await new Promise((r) => setImmediate(r));
      }
      await all;
      assert.deepEqual(
        got,
        Array.from({ length: 6 }, (_, i) => [30, i, i]),
      );
      const first = !perMessageDeflate;
      assert.deepEqual(
        given.map((d) => isSharedView(d)),
        [first, false, false, first, false, false],
        perMessageDeflate ? 'ws compresses later: every frame is a copy' : "a tick's first frame as it is, the ones behind it in the socket copied",
      );
    } finally {
      client.terminate();
      t.destroy();
      await new Promise((r) => wss.close(r));
    }
  }
});
