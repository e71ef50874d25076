/**
 * Issue 10, finding 10: the WebSocket listener's Origin check by default.
 * Without {origins, [...]} a browser page from another site used to be let
 * in (cross-site WebSocket hijacking: the page logs in with whatever the
 * browser holds); now only the listener's own origin is, and clients that
 * send no Origin (not browsers) are unaffected.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { ChanError } from '../../src/errors.ts';
import { connect } from '../../src/client/node.ts';
import { startTestServer } from '../helpers/start-server.ts';

const pageAt = (origin: string) =>
  class extends WebSocket {
    constructor(url: string) {
      super(url, { origin });
    }
  };

test("no origins list: another site's page is refused (403, originRefused); the same origin and no Origin get in", async () => {
  const ts = await startTestServer('{service, open, password, none, mfa, echo, start, notUsed}.', {
    websocket: '[{port, 0}, {path, "/chan"}, {bind, "127.0.0.1"}]',
  });
  try {
    const url = `ws://127.0.0.1:${ts.server.wsPort}/chan`;
    const opts = { serverKey: ts.server.publicKey };
    await assert.rejects(
      connect(url, 'open', null, [], { ...opts, webSocket: pageAt('http://evil.example') }),
      (e: unknown) => e instanceof ChanError && e.code === 'connectionRefused',
    );
    const log = await ts.waitForLog((l) => l.event === 'originRefused', 'originRefused log');
    assert.equal(log.status, 403);
    (await connect(url, 'open', null, [], { ...opts, webSocket: pageAt(`http://127.0.0.1:${ts.server.wsPort}`) })).close();
    (await connect(url, 'open', null, [], opts)).close();
  } finally {
    await ts.close();
  }
});
