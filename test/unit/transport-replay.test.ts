import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WsClientTransport, type WebSocketLike } from '../../src/transport/ws-client.ts';
import { ChanError } from '../../src/errors.ts';
import type { TransportEvents } from '../../src/transport/transport.ts';

/** A WebSocket that does nothing by itself: the test fires its events. */
function fakeSocket(): WebSocketLike & { closedWith: number[] } {
  const closedWith: number[] = [];
  return {
    binaryType: 'arraybuffer',
    readyState: 1,
    bufferedAmount: 0,
    closedWith,
    send() {},
    close(code?: number) {
      closedWith.push(code ?? 1000);
    },
    onopen: null,
    onmessage: null,
    onclose: null,
    onerror: null,
  };
}

function recorder(onFrame: (f: Uint8Array, t: WsClientTransport) => void = () => {}) {
  const seen: string[] = [];
  let transport!: WsClientTransport;
  const events: TransportEvents = {
    frame: (f) => {
      seen.push(`frame ${f[0]}`);
      onFrame(f, transport);
    },
    close: (e) => void seen.push(`close ${e?.code ?? 'orderly'}`),
  };
  return { seen, events, bind: (t: WsClientTransport) => (transport = t) };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

test('transport replay - frames that came before start() are delivered in order, then the close, once', async () => {
  const ws = fakeSocket();
  const t = new WsClientTransport(ws, new URL('ws://127.0.0.1:1/'), { maxFrameBytes: 100 });
  ws.onmessage!({ data: new Uint8Array([1]).buffer });
  ws.onmessage!({ data: new Uint8Array([2]).buffer });
  ws.onclose!({ code: 1000, reason: '' });
  const r = recorder();
  r.bind(t);
  t.start(r.events);
  await flush();
  assert.deepEqual(r.seen, ['frame 1', 'frame 2', 'close orderly']);
});

test('transport replay - a replayed frame whose handler destroys the transport: no more frames, one close with its error', async () => {
  const ws = fakeSocket();
  const t = new WsClientTransport(ws, new URL('ws://127.0.0.1:1/'), { maxFrameBytes: 100 });
  for (const b of [1, 2, 3]) ws.onmessage!({ data: new Uint8Array([b]).buffer });
  const r = recorder((f, tr) => {
    if (f[0] === 2) tr.destroy(new ChanError('badRecord', 'tampered'));
  });
  r.bind(t);
  t.start(r.events);
  await flush();
  assert.deepEqual(r.seen, ['frame 1', 'frame 2', 'close badRecord']);
  // The peer's close event arriving later is not a second close.
  ws.onclose!({ code: 4000, reason: 'badRecord' });
  await flush();
  assert.deepEqual(r.seen, ['frame 1', 'frame 2', 'close badRecord']);
  assert.deepEqual(ws.closedWith, [4000]);
});

test('transport replay - an error before start(): no early frame is delivered, then the close with that error', async () => {
  const ws = fakeSocket();
  const t = new WsClientTransport(ws, new URL('ws://127.0.0.1:1/'), { maxFrameBytes: 2 });
  ws.onmessage!({ data: new Uint8Array([1]).buffer });
  ws.onmessage!({ data: new Uint8Array([7, 7, 7]).buffer }); // over maxFrameBytes: destroyed
  const r = recorder();
  r.bind(t);
  t.start(r.events);
  await flush();
  assert.deepEqual(r.seen, ['close frameTooLarge']);
});
