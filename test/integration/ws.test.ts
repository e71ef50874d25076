/**
 * What only the WebSocket listener has: the Origin allow-list, ws's own
 * message-size check, text messages, the upgrade's own timeout and limits,
 * TLS, permessage-deflate, a slow reader next to a healthy client, and the
 * Node client's connect errors for ws:// URLs. The protocol itself over
 * WebSocket is covered by channel.test.ts, which runs for every transport.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { WebSocket } from 'ws';
import { ChanError } from '../../src/errors.ts';
import { connect } from '../../src/client/node.ts';
import type { WebSocketConstructor } from '../../src/transport/ws-client.ts';
import { atom, isAtom, isTuple, termEqual, tuple, type Term } from '../../src/wire/etf/term.ts';
import { encodeTerm } from '../../src/wire/etf/encode.ts';
import { decodeTerm } from '../../src/wire/etf/decode.ts';
import { REPO, startTestServer, type TestServer } from '../helpers/start-server.ts';
import { deadline } from '../helpers/latch.ts';

const SERVICES = `
{service, nameServer, password, "ABXy45", mfa, mod_name_server, start_me_up, notUsed}.
{service, chat, password, none, mfa, mod_chat, start, "wsroom"}.
`;
const TLS_CERT = path.join(REPO, 'test/fixtures/tls/cert.pem');
const TLS_KEY = path.join(REPO, 'test/fixtures/tls/key.pem');

const isCode = (code: string) => (e: unknown) => e instanceof ChanError && e.code === code;
const wsUrl = (ts: TestServer, scheme = 'ws', host = '127.0.0.1') => `${scheme}://${host}:${ts.server.wsPort}/chan`;

/**
 * A WebSocket client written by hand over a raw socket, for what a
 * well-behaved client cannot do: announce a huge message and never send it,
 * send text, stall before the upgrade.
 */
class RawWs {
  readonly frames: { opcode: number; payload: Buffer }[] = [];
  readonly closed: Promise<void>;
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];

  private constructor(
    readonly socket: net.Socket,
    readonly status: number,
    rest: Buffer,
  ) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', () => {});
    this.closed = new Promise((r) => socket.once('close', () => r()));
    if (rest.length) this.onData(rest);
  }

  /** Send an upgrade request; resolves once the HTTP status line and headers are in. */
  static open(port: number, opts: { path?: string; headers?: Record<string, string> } = {}): Promise<RawWs> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1' }, () => {
        const headers = {
          Host: `127.0.0.1:${port}`,
          Upgrade: 'websocket',
          Connection: 'Upgrade',
          'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
          'Sec-WebSocket-Version': '13',
          ...opts.headers,
        };
        socket.write(
          `GET ${opts.path ?? '/chan'} HTTP/1.1\r\n${Object.entries(headers)
            .map(([k, v]) => `${k}: ${v}\r\n`)
            .join('')}\r\n`,
        );
      });
      let head = Buffer.alloc(0);
      const onData = (d: Buffer): void => {
        head = Buffer.concat([head, d]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head.toString('latin1'))?.[1] ?? 0);
        resolve(new RawWs(socket, status, head.subarray(end + 4)));
      };
      socket.on('data', onData);
      socket.once('error', reject);
      socket.once('close', () => reject(new Error('closed before an HTTP answer')));
    });
  }

  /** One masked client frame; `declared` lies about the payload length. */
  sendFrame(opcode: number, payload: Uint8Array, opts: { fin?: boolean; declared?: number } = {}): void {
    const len = opts.declared ?? payload.length;
    const head: number[] = [((opts.fin ?? true) ? 0x80 : 0) | opcode];
    if (len < 126) head.push(0x80 | len);
    else if (len < 65536) head.push(0x80 | 126, len >> 8, len & 0xff);
    else {
      head.push(0x80 | 127);
      const big = Buffer.alloc(8);
      big.writeBigUInt64BE(BigInt(len));
      head.push(...big);
    }
    const mask = [1, 2, 3, 4];
    this.socket.write(Buffer.from([...head, ...mask, ...payload.map((b, i) => b ^ mask[i % 4])]));
  }

  /** The server's close frame: its code and reason. */
  async closeFrame(ms = 5000): Promise<{ code: number; reason: string }> {
    await deadline(
      this.until(() => this.frames.some((f) => f.opcode === 8) || this.socket.destroyed),
      ms,
      'a close frame',
    );
    const f = this.frames.find((x) => x.opcode === 8);
    if (!f) throw new Error('the server closed without a close frame');
    return { code: f.payload.readUInt16BE(0), reason: f.payload.subarray(2).toString() };
  }

  async nextBinary(ms = 5000): Promise<Buffer> {
    await deadline(
      this.until(() => this.frames.some((f) => f.opcode === 2)),
      ms,
      'a binary message',
    );
    return this.frames.splice(
      this.frames.findIndex((f) => f.opcode === 2),
      1,
    )[0].payload;
  }

  private until(pred: () => boolean): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => (pred() ? resolve() : void this.waiters.push(check));
      this.waiters.push(check);
      void this.closed.then(() => resolve());
    });
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      if (this.buf.length < 2) break;
      let len = this.buf[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) break;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) break;
        len = Number(this.buf.readBigUInt64BE(2));
        off = 10;
      }
      if (this.buf.length < off + len) break;
      this.frames.push({ opcode: this.buf[0] & 0x0f, payload: this.buf.subarray(off, off + len) });
      this.buf = this.buf.subarray(off + len);
    }
    for (const w of this.waiters.splice(0)) w();
  }
}

/** A plain HTTP request to the WebSocket port: the status code. */
function httpGet(port: number, p: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: p }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .once('error', reject);
  });
}

describe('WebSocket listener: refusals at the upgrade', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer(SERVICES, {
      websocket: '[{port, 0}, {path, "/chan"}, {origins, ["http://good.example"]}]',
      extra: '{limits, [{handshakeTimeoutMs, 300}, {maxFrameBytes, 65536}]}.',
    });
  });
  after(async () => {
    await ts.close();
  });

  async function stillServes(): Promise<void> {
    const ch = await connect(wsUrl(ts), 'nameServer', 'ABXy45', [], { serverKey: ts.server.publicKey });
    try {
      assert.equal(await ch.rpc(tuple(atom('lookup'), atom('nobody'))), undefined);
    } finally {
      ch.close();
    }
  }

  test('an Origin outside the allow-list gets 403 and a log line; a listed Origin and no Origin get in', async () => {
    const accepted = ts.server.stats.accepted;
    const evil = await RawWs.open(ts.server.wsPort, { headers: { Origin: 'http://evil.example' } });
    assert.equal(evil.status, 403);
    await evil.closed;
    assert.equal(ts.server.stats.accepted, accepted, 'no session was started for the refused upgrade');
    const log = await ts.waitForLog((l) => l.event === 'originRefused', 'originRefused log');
    assert.equal(log.origin, 'http://evil.example');
    assert.equal(log.status, 403);
    const good = await RawWs.open(ts.server.wsPort, { headers: { Origin: 'http://good.example' } });
    assert.equal(good.status, 101);
    good.socket.destroy();
    class EvilPage extends WebSocket {
      constructor(url: string) {
        super(url, { origin: 'http://evil.example' });
      }
    }
    await assert.rejects(connect(wsUrl(ts), 'nameServer', 'ABXy45', [], { serverKey: ts.server.publicKey, webSocket: EvilPage }), isCode('connectionRefused'));
    await stillServes(); // the Node client sends no Origin
  });

  test('a message longer than maxFrameBytes is refused from its header, before its body is sent', async () => {
    const raw = await RawWs.open(ts.server.wsPort);
    assert.equal(raw.status, 101);
    raw.sendFrame(2, new Uint8Array(16), { declared: 1 << 30 }); // announces 1 GiB, sends 16 bytes
    assert.deepEqual(await raw.closeFrame(), { code: 1009, reason: '' });
    await raw.closed;
    const log = await ts.waitForLog((l) => l.event === 'handshake' && l.result === 'frameTooLarge', 'frameTooLarge log');
    assert.match(String(log.reason), /Max payload size exceeded/);
    await stillServes();
  });

  test('fragments adding up to more than maxFrameBytes are refused too', async () => {
    const raw = await RawWs.open(ts.server.wsPort);
    raw.sendFrame(2, new Uint8Array(40_000), { fin: false });
    raw.sendFrame(0, new Uint8Array(16), { declared: 40_000 });
    assert.equal((await raw.closeFrame()).code, 1009);
    await raw.closed;
  });

  test('a text message is a protocol error: close 1003 naming it, and a log line', async () => {
    const raw = await RawWs.open(ts.server.wsPort);
    raw.sendFrame(1, new TextEncoder().encode('{startService, nameServer, []}'));
    assert.deepEqual(await raw.closeFrame(), { code: 1003, reason: 'protocolError' });
    await raw.closed;
    await ts.waitForLog((l) => l.event === 'handshake' && l.result === 'protocolError' && /text message/.test(String(l.reason)), 'protocolError log');
    await stillServes();
  });

  test('a text message after the login closes that channel only', async () => {
    const raw = await RawWs.open(ts.server.wsPort);
    raw.sendFrame(2, encodeTerm(tuple(atom('startService'), atom('chat'), 'texter')));
    assert.ok(isAtom(decodeTerm(await raw.nextBinary()), 'ack'));
    raw.sendFrame(1, new TextEncoder().encode('hello'));
    assert.equal((await raw.closeFrame()).code, 1003);
    await ts.waitForLog((l) => l.event === 'channelClosed' && l.reason === 'protocolError', 'channelClosed protocolError');
    await stillServes();
  });

  test('another path gets 404, plain HTTP gets 426, both logged or harmless', async () => {
    const raw = await RawWs.open(ts.server.wsPort, { path: '/other' });
    assert.equal(raw.status, 404);
    await ts.waitForLog((l) => l.event === 'wsRefused' && l.reason === 'path', 'wsRefused log');
    assert.equal(await httpGet(ts.server.wsPort, '/chan'), 426);
    const bad = await RawWs.open(ts.server.wsPort, { headers: { 'Sec-WebSocket-Key': 'short' } });
    assert.equal(bad.status, 400);
    await stillServes();
  });

  test('a socket that never sends its upgrade is closed after handshakeTimeoutMs, logged', async () => {
    const sock = net.connect({ port: ts.server.wsPort, host: '127.0.0.1' });
    sock.on('error', () => {});
    await deadline(new Promise((r) => sock.once('close', r)), 5000, 'the idle socket to be closed');
    await ts.waitForLog((l) => l.event === 'handshake' && l.result === 'handshakeTimeout' && l.phase === 'upgrade', 'upgrade timeout log');
  });

  test('a login that stalls after the upgrade is closed by the session timer', async () => {
    const raw = await RawWs.open(ts.server.wsPort);
    raw.sendFrame(2, encodeTerm(tuple(atom('startService'), atom('nameServer'), [])));
    assert.ok(isTuple(decodeTerm(await raw.nextBinary()), 2, 'challenge'));
    assert.equal((await raw.closeFrame()).code, 1008);
    await ts.waitForLog(
      (l) => l.event === 'handshake' && l.result === 'handshakeTimeout' && (l.details as { phase?: string } | undefined)?.phase === 'awaitResponse',
      'session timeout log',
    );
  });
});

describe('WebSocket listener: connection limits shared with TCP', () => {
  test('maxConnections counts TCP and WebSocket together; the over-limit upgrade gets 503 and a log line', async () => {
    const ts = await startTestServer(SERVICES, { extra: '{limits, [{maxConnections, 2}]}.' });
    try {
      const key = { serverKey: ts.server.publicKey };
      const a = await connect('127.0.0.1', ts.port, 'nameServer', 'ABXy45', [], key);
      const b = await connect(wsUrl(ts), 'nameServer', 'ABXy45', [], key);
      const refused = await RawWs.open(ts.server.wsPort);
      assert.equal(refused.status, 503);
      const log = await ts.waitForLog((l) => l.event === 'limitHit' && l.listener === 'ws', 'limitHit log');
      assert.equal(log.limit, 'maxConnections=2');
      await assert.rejects(connect(wsUrl(ts), 'nameServer', 'ABXy45', [], key), isCode('connectionRefused'));
      a.close();
      await ts.waitForLog((l) => l.event === 'channelClosed', 'a to be gone');
      const c = await connect(wsUrl(ts), 'nameServer', 'ABXy45', [], key);
      assert.equal(await c.rpc(tuple(atom('lookup'), atom('nobody'))), undefined);
      b.close();
      c.close();
    } finally {
      await ts.close();
    }
  });

  test('maxConnectionsPerAddress holds over WebSocket', async () => {
    const ts = await startTestServer(SERVICES, { extra: '{limits, [{maxConnectionsPerAddress, 1}]}.' });
    try {
      const a = await connect(wsUrl(ts), 'nameServer', 'ABXy45', [], { serverKey: ts.server.publicKey });
      const refused = await RawWs.open(ts.server.wsPort);
      assert.equal(refused.status, 503);
      await ts.waitForLog((l) => l.event === 'limitHit' && l.limit === 'maxConnectionsPerAddress=1', 'limitHit log');
      a.close();
    } finally {
      await ts.close();
    }
  });
});

describe('WebSocket listener: a slow reader', () => {
  test('is closed at maxQueuedBytes while another client keeps being served', async () => {
    const ts = await startTestServer(SERVICES, { extra: '{limits, [{maxQueuedBytes, 262144}]}.' });
    try {
      // The slow one: a legacy login to the chat room, then it stops reading its socket.
      const slow = new WebSocket(wsUrl(ts));
      await new Promise((r, j) => slow.once('open', r).once('error', j));
      const first = new Promise<Buffer>((r) => slow.once('message', (m: Buffer) => r(m)));
      slow.send(encodeTerm(tuple(atom('startService'), atom('chat'), 'slow')));
      assert.ok(isAtom(decodeTerm(await first), 'ack'));
      const slowClosed = new Promise((r) => slow.once('close', r));
      slow.pause();

      const bob = await connect(wsUrl(ts), 'chat', null, 'bob', { serverKey: ts.server.publicKey });
      const pushes = bob[Symbol.asyncIterator]();
      const text = 'x'.repeat(60_000); // under 65,536 characters: a STRING_EXT, which the chat takes as a string
      let cut = false;
      void ts.waitForLog((l) => l.event === 'channelClosed' && l.reason === 'limitExceeded', 'slow reader closed', 60_000).then(() => (cut = true));
      for (let i = 0; i < 1000 && !cut; i++) {
        bob.cast(tuple(atom('say'), text));
        // bob is answered all along, however full the slow reader's queue is.
        if (i % 10 === 0) assert.ok(((await deadline(bob.rpc(atom('who')), 5000, 'who, while the slow reader stalls')) as string[]).includes('bob'));
      }
      assert.ok(cut, 'the slow reader was never closed');
      const log = ts.logs.find((l) => l.event === 'channelClosed' && l.reason === 'limitExceeded')!;
      assert.equal(log.service, 'chat');
      const left = await deadline(pushes.next(), 5000, 'the left push');
      assert.ok(termEqual(left.value as Term, tuple(atom('left'), 'slow')));
      assert.deepEqual(await bob.rpc(atom('who')), ['bob']);
      slow.resume();
      await deadline(slowClosed, 5000, 'the slow socket to be cut');
      bob.close();
    } finally {
      await ts.close();
    }
  });
});

describe('WebSocket listener: TLS and permessage-deflate', () => {
  test("wss:// with the conf's cert and key; a client that does not trust the cert is refused", async () => {
    const ts = await startTestServer(SERVICES, { websocket: `[{port, 0}, {path, "/chan"}, {tls, [{cert, "${TLS_CERT}"}, {key, "${TLS_KEY}"}]}]` });
    try {
      const ca = readFileSync(TLS_CERT);
      class Trusting extends WebSocket {
        constructor(url: string) {
          super(url, { ca });
        }
      }
      const ch = await connect(wsUrl(ts, 'wss', 'localhost'), 'nameServer', 'ABXy45', [], { serverKey: ts.server.publicKey, webSocket: Trusting });
      try {
        ch.cast(tuple(atom('store'), atom('tls'), 'yes'));
        assert.ok(termEqual(await ch.rpc(tuple(atom('lookup'), atom('tls'))), tuple(atom('ok'), 'yes')));
      } finally {
        ch.close();
      }
      await assert.rejects(connect(wsUrl(ts, 'wss', 'localhost'), 'nameServer', 'ABXy45', [], { serverKey: ts.server.publicKey }), isCode('connectionRefused'));
    } finally {
      await ts.close();
    }
  });

  test('permessage-deflate is off by default', async () => {
    const ts = await startTestServer(SERVICES);
    try {
      const ws = new WebSocket(wsUrl(ts)); // offers permessage-deflate
      await new Promise((r, j) => ws.once('open', r).once('error', j));
      assert.equal(ws.extensions, '');
      ws.close();
    } finally {
      await ts.close();
    }
  });

  test('when negotiated, a burst of large and small casts (queued by the compressing client as they are) arrives intact', async () => {
    const ts = await startTestServer(SERVICES, { websocket: '[{port, 0}, {path, "/chan"}, {permessage_deflate, true}]' });
    try {
      const opened: WebSocket[] = [];
      class Recording extends WebSocket {
        constructor(url: string) {
          super(url);
          opened.push(this);
        }
      }
      const webSocket = Recording as unknown as WebSocketConstructor;
      const ch = await connect(wsUrl(ts), 'nameServer', 'ABXy45', [], { serverKey: ts.server.publicKey, webSocket });
      assert.match(opened[0].extensions, /permessage-deflate/, 'the client compresses: it queues what it is given');
      const big = (i: number): Uint8Array => new Uint8Array(40_000).map((_, j) => (i * 31 + j) & 0xff);
      for (let i = 0; i < 8; i++) {
        ch.cast(tuple(atom('store'), atom(`big${i}`), big(i)));
        ch.cast(tuple(atom('store'), atom(`small${i}`), `value ${i}`));
      }
      for (let i = 0; i < 8; i++) {
        assert.ok(termEqual(await ch.rpc(tuple(atom('lookup'), atom(`big${i}`))), tuple(atom('ok'), big(i))), `big${i}`);
        assert.ok(termEqual(await ch.rpc(tuple(atom('lookup'), atom(`small${i}`))), tuple(atom('ok'), `value ${i}`)), `small${i}`);
      }
      ch.close();
    } finally {
      await ts.close();
    }
  });

  test('when enabled it is negotiated, and a message that inflates past maxFrameBytes is refused', async () => {
    const ts = await startTestServer(SERVICES, {
      websocket: '[{port, 0}, {path, "/chan"}, {permessage_deflate, true}]',
      extra: '{limits, [{maxFrameBytes, 65536}]}.',
    });
    try {
      const ch = await connect(wsUrl(ts), 'nameServer', 'ABXy45', [], { serverKey: ts.server.publicKey });
      ch.cast(tuple(atom('store'), atom('big'), 'z'.repeat(20_000)));
      assert.ok(termEqual(await ch.rpc(tuple(atom('lookup'), atom('big'))), tuple(atom('ok'), 'z'.repeat(20_000))));
      ch.close();
      const ws = new WebSocket(wsUrl(ts));
      await new Promise((r, j) => ws.once('open', r).once('error', j));
      assert.match(ws.extensions, /permessage-deflate/);
      const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
      ws.send(new Uint8Array(1 << 20)); // 1 MiB of zeros: about 1 KiB on the wire
      assert.equal(await deadline(closed, 5000, 'the bomb to be refused'), 1009);
      await ts.waitForLog((l) => l.event === 'handshake' && l.result === 'frameTooLarge', 'frameTooLarge log');
    } finally {
      await ts.close();
    }
  });
});

describe('Node client over ws:// URLs: the same errors as TCP', () => {
  test('a closed port is connectionRefused', async () => {
    const ts = await startTestServer(SERVICES);
    const url = wsUrl(ts);
    await ts.close();
    await assert.rejects(connect(url, 'nameServer', 'ABXy45'), isCode('connectionRefused'));
  });

  test('an HTTP server that does not upgrade is connectionRefused', async () => {
    const srv = http.createServer((_, res) => res.end('hello'));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      await assert.rejects(connect(`ws://127.0.0.1:${(srv.address() as net.AddressInfo).port}/`, 'nameServer', 'ABXy45'), isCode('connectionRefused'));
    } finally {
      srv.close();
    }
  });

  test('a server that never answers the upgrade is a timeout', async () => {
    const held: net.Socket[] = [];
    const srv = net.createServer((s) => held.push(s));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      await assert.rejects(
        connect(`ws://127.0.0.1:${(srv.address() as net.AddressInfo).port}/`, 'nameServer', 'ABXy45', [], { limits: { connectTimeoutMs: 200 } }),
        isCode('timeout'),
      );
    } finally {
      for (const s of held) s.destroy();
      srv.close();
    }
  });

  test('a URL that is not ws://, wss:// or tcp://host:port is badArgument', async () => {
    await assert.rejects(connect('http://127.0.0.1:1/', 'nameServer', 'ABXy45'), isCode('badArgument'));
    await assert.rejects(connect('not a url', 'nameServer', 'ABXy45'), isCode('badArgument'));
    await assert.rejects(connect('tcp://127.0.0.1', 'nameServer', 'ABXy45'), isCode('badArgument'));
  });

  test('tcp://host:port is TCP', async () => {
    const ts = await startTestServer(SERVICES);
    try {
      const ch = await connect(`tcp://127.0.0.1:${ts.port}`, 'nameServer', 'ABXy45', [], { serverKey: ts.server.publicKey });
      assert.equal(await ch.rpc(tuple(atom('lookup'), atom('nobody'))), undefined);
      ch.close();
    } finally {
      await ts.close();
    }
  });

  test('a server shutdown ends WebSocket channels; the client sees the end', async () => {
    const ts = await startTestServer(SERVICES);
    const ch = await connect(wsUrl(ts), 'nameServer', 'ABXy45', [], { serverKey: ts.server.publicKey });
    await ts.close();
    const info = await deadline(ch.closed, 5000, 'the channel to end');
    assert.notEqual(info.reason, 'closed');
    assert.equal(ch.isOpen, false);
  });
});
