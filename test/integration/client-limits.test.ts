/**
 * Issue 10, finding 10 (client side): what a hostile server can make the
 * Node client hold during a login. Frames that arrive before the server has
 * proved its key are bounded (one may wait; the old FrameWaiter queued any
 * number), and the ws client refuses a message in more than
 * WS_MAX_FRAGMENTS fragments (each is a Buffer kept until the message ends),
 * whatever ws's own default is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketServer } from 'ws';
import { ChanError } from '../../src/errors.ts';
import { connect, WS_MAX_FRAGMENTS } from '../../src/client/node.ts';
import { FrameWaiter } from '../../src/client/frame-waiter.ts';
import type { Transport, TransportEvents } from '../../src/transport/transport.ts';

/** A transport the test drives by hand. */
class StubTransport implements Transport {
  readonly peer = 'stub:1';
  readonly remoteAddress = 'stub';
  readonly isLoopback = false;
  readonly queuedBytes = 0;
  events: TransportEvents | undefined;
  destroyedWith: ChanError | undefined;
  destroyed = false;
  start(events: TransportEvents): void {
    this.events = events;
  }
  send(): void {}
  sendReserved(): void {}
  end(): void {}
  destroy(error?: ChanError): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.destroyedWith = error;
    this.events?.close(error);
  }
}

test('before the server proves its key, at most one frame waits; the next one ends the login', async () => {
  const t = new StubTransport();
  const w = new FrameWaiter(t, 'client', 1 << 20, 1);
  t.events!.frame(new Uint8Array(10));
  assert.equal(t.destroyed, false);
  for (let i = 0; i < 100 && !t.destroyed; i++) t.events!.frame(new Uint8Array(10));
  assert.equal(t.destroyed, true, 'the second unrequested frame destroys the transport');
  assert.equal(t.destroyedWith?.code, 'protocolError');
  assert.equal((await w.next()).length, 10, 'the one that waited is still there');
  await assert.rejects(w.next(), (e: unknown) => e instanceof ChanError && e.code === 'protocolError');
});

test('after it, frames may wait up to maxQueuedBytes in all', () => {
  const t = new StubTransport();
  const w = new FrameWaiter(t, 'client', 1000, 1);
  w.authenticated();
  for (let i = 0; i < 10; i++) t.events!.frame(new Uint8Array(100));
  assert.equal(t.destroyed, false);
  t.events!.frame(new Uint8Array(1));
  assert.equal(t.destroyedWith?.code, 'limitExceeded');
  assert.equal(t.destroyedWith?.details.key, 'maxQueuedBytes');
  assert.equal(w.drain().length, 10);
});

test('the ws client refuses a message in more than WS_MAX_FRAGMENTS fragments', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  wss.on('connection', (ws) => {
    ws.once('message', () => {
      // The "reply" to the hello: twice the allowed fragments of one byte each.
      for (let i = 0; i < 2 * WS_MAX_FRAGMENTS; i++) ws.send(new Uint8Array([i & 255]), { binary: true, fin: false });
      ws.send(new Uint8Array([0]), { binary: true, fin: true });
    });
  });
  try {
    const port = (wss.address() as { port: number }).port;
    await assert.rejects(connect(`ws://127.0.0.1:${port}/`, 'open', null, [], { knownHosts: false, limits: { connectTimeoutMs: 5000 } }), (e: unknown) => {
      assert.ok(e instanceof ChanError, String(e));
      // The ws layer's error (the isomorphic ws client reports it as connectionLost, with ws's reason), before any handshake step.
      assert.ok(['badFrame', 'connectionLost'].includes(e.code) && /fragments/i.test(e.message), `${e.code}: ${e.message}`);
      return true;
    });
  } finally {
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(r));
  }
});
