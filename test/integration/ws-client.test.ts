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
