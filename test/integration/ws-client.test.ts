/**
 * The client's WebSocket transport over Node's `ws` (its own 'message' event,
 * no MessageEvent and no ArrayBuffer copy): against a bare `ws` server that
 * sends what a hostile server might, the frames arrive byte for byte, and a
 * text message or one past maxFrameBytes closes the transport with its code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { connectWebSocket, type WebSocketConstructor, type WsClientTransport } from '../../src/transport/ws-client.ts';
import type { ChanError } from '../../src/errors.ts';
import { nodeWebSocket } from '../../src/client/node.ts';
import { allocFrame, isSharedView } from '../../src/wire/bytes.ts';
import { FRAME_HEADER_BYTES } from '../../src/wire/frame.ts';

/** A server that sends `messages` (binary unless a string) once the client's first message comes (it has started). */
async function serverSending(messages: Array<Uint8Array | string>): Promise<{ url: string; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  wss.on('connection', (ws) => {
    ws.once('message', () => {
      for (const m of messages) ws.send(m, { binary: typeof m !== 'string' });
    });
  });
  await new Promise((r) => wss.once('listening', r));
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`,
    close: () =>
      new Promise((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
}

/** Start `t`, tell the server so, and resolve with the frames (as copies) and the close's error once it closes. */
function record(t: WsClientTransport): Promise<{ frames: number[][]; error: ChanError | undefined }> {
  const frames: number[][] = [];
  const closed = new Promise<{ frames: number[][]; error: ChanError | undefined }>((resolve) =>
    t.start({
      frame: (f) => void frames.push([...f]),
      close: (error) => resolve({ frames, error }),
    }),
  );
  t.send(Uint8Array.from([0]));
  return closed;
}

const open = (url: string, maxFrameBytes = 1024): Promise<WsClientTransport> =>
  connectWebSocket(url, { WebSocket: WebSocket as unknown as WebSocketConstructor, maxFrameBytes, timeoutMs: 5_000 });

test('ws client transport (Node ws) - binary messages arrive as frames byte for byte, then a text message closes it: protocolError', async () => {
  const a = Uint8Array.from([131, 100, 0, 1, 97]);
  const b = new Uint8Array(300).map((_, i) => i & 0xff);
  const srv = await serverSending([a, b, 'not a frame', Uint8Array.from([9])]);
  try {
    const t = await open(srv.url);
    const { frames, error } = await record(t);
    assert.deepEqual(frames, [[...a], [...b]], 'the two binary messages, and nothing after the text one');
    assert.equal(error?.code, 'protocolError');
    assert.match(error!.message, /text WebSocket message/);
  } finally {
    await srv.close();
  }
});

test('ws client transport (Node ws) - a message past maxFrameBytes closes it: frameTooLarge, naming the limit', async () => {
  const srv = await serverSending([new Uint8Array(64), new Uint8Array(65)]);
  try {
    const t = await open(srv.url, 64);
    const { frames, error } = await record(t);
    assert.equal(frames.length, 1);
    assert.equal(error?.code, 'frameTooLarge');
    assert.match(error!.message, /65-byte message .* maxFrameBytes=64/);
  } finally {
    await srv.close();
  }
});

/**
 * A server that keeps a copy of every binary message it gets, and tells when it has `n`. It reads nothing
 * until got() is called: what the client sends meanwhile fills the kernel's buffers and then waits in the
 * client's socket, where a buffer handed over without a copy would be overwritten before it leaves.
 */
async function serverKeeping(perMessageDeflate: boolean): Promise<{ url: string; got(n: number): Promise<Uint8Array[]>; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate });
  const got: Uint8Array[] = [];
  let want = Infinity;
  let wake = (): void => {};
  const sockets: Array<{ resume(): void }> = [];
  wss.on('connection', (ws, req) => {
    req.socket.pause();
    sockets.push(req.socket);
    ws.on('message', (m: Buffer) => {
      got.push(Uint8Array.from(m));
      if (got.length >= want) wake();
    });
  });
  await new Promise((r) => wss.once('listening', r));
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`,
    got: (n) =>
      new Promise((resolve) => {
        want = n;
        wake = () => resolve(got);
        for (const s of sockets) s.resume();
        if (got.length >= n) wake();
      }),
    close: () =>
      new Promise((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
}

const LARGE = 70_000;
/** 18 MB: more than loopback's socket buffers hold (tcp_rmem and tcp_wmem allow 6 and 4 MB). */
const MANY = 256;

/**
 * Send `n` large frames, each filled with its index (mod 256), through sendReserved(); the buffer of each
 * is overwritten by the next frame where the pool handed it back. Returns what the server got and how many
 * frames were written into the previous frame's buffer.
 */
async function sendLarge(WebSocketClass: WebSocketConstructor, perMessageDeflate: boolean, n: number): Promise<{ got: Uint8Array[]; reused: number }> {
  const srv = await serverKeeping(perMessageDeflate);
  try {
    const t = await connectWebSocket(srv.url, { WebSocket: WebSocketClass, maxFrameBytes: 1 << 20, timeoutMs: 5_000 });
    t.start({ frame: () => {}, close: () => {} });
    let reused = 0;
    let last: ArrayBufferLike | undefined;
    for (let i = 0; i < n; i++) {
      const buf = allocFrame(FRAME_HEADER_BYTES + LARGE);
      if (buf.buffer === last) reused++;
      last = buf.buffer;
      buf.fill(i, FRAME_HEADER_BYTES);
      t.sendReserved(buf);
    }
    const got = await srv.got(n);
    t.end();
    return { got, reused };
  } finally {
    await srv.close();
  }
}

/** For each message: the byte it is filled with, or -1 when it is not one byte throughout at the right length. */
const filledWith = (got: Uint8Array[]): number[] => got.map((m) => (m.length === LARGE && m.every((b) => b === m[0]) ? m[0] : -1));
const indices = (n: number): number[] => Array.from({ length: n }, (_, i) => i & 0xff);

test("ws client transport (Node client's ws) - a large frame's buffer is reused once sent, and every message still arrives as it was sent", async () => {
  const { got, reused } = await sendLarge(await nodeWebSocket(1 << 20), false, MANY);
  assert.deepEqual(filledWith(got), indices(MANY), 'no message carries a later frame written over its buffer');
  assert.equal(reused, MANY - 1, 'each frame after the first was written into the buffer of the one before');
});

test('ws client transport - no reuse with permessage-deflate (ws queues the message for the compressor) or with a WebSocket class that does not say it copies', async () => {
  for (const [cls, deflate] of [
    [await nodeWebSocket(1 << 20), true],
    [WebSocket as unknown as WebSocketConstructor, false],
  ] as const) {
    const { got, reused } = await sendLarge(cls, deflate, 16);
    assert.deepEqual(filledWith(got), indices(16));
    assert.equal(reused, 0);
  }
});

test('ws client transport - a small slab frame goes as it is to a send() that copies it, and as a copy of its own to any other', async () => {
  for (const [name, cls, deflate, asItIs] of [
    ["Node client's ws", await nodeWebSocket(1 << 20), false, true],
    ["Node client's ws with permessage-deflate", await nodeWebSocket(1 << 20), true, false],
    ['a class that does not say it copies', WebSocket as unknown as WebSocketConstructor, false, false],
  ] as const) {
    const srv = await serverKeeping(deflate);
    try {
      const t = await connectWebSocket(srv.url, { WebSocket: cls, maxFrameBytes: 1 << 20, timeoutMs: 5_000 });
      t.start({ frame: () => {}, close: () => {} });
      const ws = (t as unknown as { ws: { send(d: Uint8Array): void } }).ws;
      const given: Uint8Array[] = [];
      const send = ws.send.bind(ws);
      ws.send = (d) => {
        given.push(d);
        send(d);
      };
      for (let i = 0; i < 8; i++) {
        const buf = allocFrame(FRAME_HEADER_BYTES + 30).fill(i, FRAME_HEADER_BYTES);
        t.sendReserved(buf);
        // Written over at once: what send() was given as it is must have been copied by then.
        buf.fill(0xee);
      }
      const got = await srv.got(8);
      assert.deepEqual(
        got.map((m) => [m.length, m[0], m[29]]),
        indices(8).map((i) => [30, i, i]),
        name,
      );
      assert.deepEqual(
        given.map((d) => isSharedView(d)),
        new Array<boolean>(8).fill(asItIs),
        `${name}: ${asItIs ? 'the slab view itself' : 'a copy of its own'}`,
      );
      t.end();
    } finally {
      await srv.close();
    }
  }
});
