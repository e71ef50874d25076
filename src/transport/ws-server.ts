/**
 * The WebSocket listener: the same lib_chan protocol (legacy and secure) with
 * one binary WebSocket message per frame, for clients behind HTTP-only
 * proxies and for web pages. Built on the `ws` package; the Server starts it
 * when the conf has `{websocket, [...]}` and hands every accepted connection
 * to `server.attach(transport)`, exactly as the TCP listener does.
 *
 * Limits, in the order a connection meets them:
 * - before the upgrade: at most maxConnections sockets may wait to upgrade,
 *   at most maxConnectionsPerAddress of them from one address, and each gets
 *   handshakeTimeoutMs to do it (the TLS handshake too);
 * - at the upgrade: the path, the Origin allow-list (403; without one, a
 *   browser's Origin must be this listener's own host:port), and the server's
 *   shared maxConnections / maxConnectionsPerAddress counters (503);
 * - after it: ws refuses a message longer than maxFrameBytes from its header,
 *   before buffering it (also after inflating, when permessage-deflate is on);
 *   the Session's handshake timer covers the lib_chan login; a text message is
 *   a protocol error; `queuedBytes` is ws's bufferedAmount, so the middle-man
 *   closes a peer that reads too slowly at maxQueuedBytes.
 */
import type { WebSocketConfig } from './ws-config.ts';
import { FrameDeadline } from './frame-deadline.ts';
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData, type ServerOptions } from 'ws';
import { ChanError, type ErrorCode } from '../errors.ts';
import type { Limits } from '../limits.ts';
import { FRAME_HEADER_BYTES } from '../wire/frame.ts';
import { FRAME_SLAB_MAX_BYTES, isSharedView, releaseFrame } from '../wire/bytes.ts';
import { EARLY_BATCH_BYTES, UNCORK_FRAME_BYTES } from './write-batching.ts';
import { EventGate, LOGIN_FRAMES, isLoopbackAddress, type Transport, type TransportEvents } from './transport.ts';

/** After destroy(error), time the peer gets to read our close frame before the socket is cut (ms). */
export const DESTROY_GRACE_MS = 1_000;
/** permessage-deflate (when enabled): messages smaller than this are sent uncompressed (bytes). */
export const DEFLATE_THRESHOLD_BYTES = 1_024;
/** permessage-deflate (when enabled): zlib jobs run at once per process (ws's own queue). */
export const DEFLATE_CONCURRENCY = 10;

/** WebSocket close codes (RFC 6455 section 7.4.1) for the reasons we close. */
export const WS_CLOSE = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  policyViolation: 1008,
  messageTooBig: 1009,
  internalError: 1011,
} as const;

/** The close code a peer sees when we close because of `code`. */
export function closeCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'frameTooLarge':
      return WS_CLOSE.messageTooBig;
    case 'badFrame':
    case 'badTerm':
    case 'badRecord':
    case 'protocolError':
      return WS_CLOSE.protocolError;
    case 'limitExceeded':
    case 'handshakeTimeout':
    case 'timeout':
    case 'authFail':
    case 'legacyRefused':
      return WS_CLOSE.policyViolation;
    case 'closed':
      return WS_CLOSE.goingAway;
    default:
      return WS_CLOSE.internalError;
  }
}

function formatPeer(addr: string, port: number | undefined): string {
  return addr.includes(':') ? `[${addr}]:${port ?? 0}` : `${addr}:${port ?? 0}`;
}

/** Whether a browser's Origin names the host:port the request was sent to (its Host header). */
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

/** ws's receiver errors (WS_ERR_*) as our codes: the length ones are frameTooLarge, the rest badFrame. */
function fromWsError(err: Error & { code?: string }, peer: string): ChanError {
  const tooBig = err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
  return new ChanError(tooBig ? 'frameTooLarge' : 'badFrame', `WebSocket from ${peer}: ${err.message}`, {
    cause: err,
    details: { peer, phase: 'frame', wsCode: err.code },
  });
}

/** What WsTransport reads of ws's Receiver (private fields, checked to exist): bytes of a message under way. */
interface ReceiverState {
  _bufferedBytes: number;
  _totalPayloadLength: number;
}

/** One accepted WebSocket as a Transport: one binary message is one frame. */
export class WsTransport extends EventGate implements Transport {
  readonly peer: string;
  readonly remoteAddress: string;
  readonly isLoopback: boolean;
  readonly forwarded: boolean;
  private readonly ws: WebSocket;
  /** The upgraded socket ws writes to, corked while a tick's messages are sent (see send()). */
  private readonly socket: Socket;
  private corked = false;
  private corkedBytes = 0;
  /** An extension (permessage-deflate) was negotiated: ws may queue what send() is given (fixed at the upgrade). */
  private readonly extended: boolean;
  private closeError: ChanError | undefined;
  private closed = false;
  private graceTimer: ReturnType<typeof setTimeout> | undefined;
  /** Login messages still to come, each limited to maxLoginFrameBytes (checked once ws has the message). */
  private loginFrames: number;
  private readonly maxLoginFrameBytes: number;

  private readonly meter: ((bytes: number) => void) | undefined;
  /** ws's receiver, for what it holds of a message not complete yet (ws keeps each read as a chunk). */
  private readonly rx: ReceiverState | undefined;
  /** frameTimeoutMs, when set (0 = off) and ws's receiver counters are there to read. */
  private readonly frameDeadline: FrameDeadline | undefined;

  /** `forwardedFor`: the client's address as a trusted proxy forwarded it (X-Forwarded-For), used instead of the socket's. */
  constructor(
    ws: WebSocket,
    socket: Socket,
    opts: { loginFrames?: number; maxLoginFrameBytes?: number; meter?: (bytes: number) => void; frameTimeoutMs?: number; forwardedFor?: string } = {},
  ) {
    super();
    this.ws = ws;
    this.extended = ws.extensions !== '';
    this.socket = socket;
    this.meter = opts.meter;
    const rx = (ws as unknown as { _receiver?: ReceiverState })._receiver;
    this.rx = rx && typeof rx._bufferedBytes === 'number' && typeof rx._totalPayloadLength === 'number' ? rx : undefined;
    // After ws's own listener (added by handleUpgrade): the receiver has taken the read by now.
    this.frameDeadline = this.rx && opts.frameTimeoutMs ? new FrameDeadline(opts.frameTimeoutMs, this) : undefined;
    if (this.frameDeadline || this.meter) socket.on('data', (d: Buffer) => this.afterRead(d.length));
    this.loginFrames = opts.loginFrames ?? 0;
    this.maxLoginFrameBytes = opts.maxLoginFrameBytes ?? Infinity;
    const forwardedFor = opts.forwardedFor;
    this.forwarded = forwardedFor !== undefined;
    this.remoteAddress = forwardedFor ?? socket.remoteAddress ?? 'unknown';
    this.peer =
      forwardedFor !== undefined
        ? `${forwardedFor} via ${formatPeer(socket.remoteAddress ?? 'unknown', socket.remotePort)}`
        : formatPeer(this.remoteAddress, socket.remotePort);
    this.isLoopback = isLoopbackAddress(this.remoteAddress);
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(data, isBinary));
    ws.on('error', (err: Error & { code?: string }) => {
      // ws has already sent its close frame (1009 for a message too big, 1002 otherwise).
      this.destroy(fromWsError(err, this.peer));
    });
    ws.on('close', (code: number, reason: Buffer) => this.onClose(code, reason));
  }

  get queuedBytes(): number {
    return this.ws.bufferedAmount;
  }

  get bufferedBytes(): number {
    return this.earlyBytes + this.pendingBytes();
  }

  /**
   * Bytes ws holds of the message under way: its chunks, the fragments already joined, and the announced
   * length of the frame under way (ws adds it when the header arrives), so a frame counts once started.
   */
  private pendingBytes(): number {
    return this.rx ? this.rx._bufferedBytes + this.rx._totalPayloadLength : 0;
  }

  /**
   * After each read: a message under way must be complete frameTimeoutMs after its first byte, as a TCP frame;
   * and the budget hears of the read as it comes, since ws holds a message's bytes until its last one
   * (test/integration/transport-meter.test.ts).
   */
  private afterRead(bytes: number): void {
    if (this.frameDeadline) {
      if (this.pendingBytes() === 0) this.frameDeadline.idle();
      else this.frameDeadline.running(false);
    }
    this.meter?.(bytes); // last: the budget may close this very connection
  }

  /** @internal FrameDeadlineOwner: the frame under way is late. */
  frameLate(): void {
    const ms = this.frameDeadline!.ms;
    const got = this.pendingBytes();
    this.destroy(
      new ChanError('timeout', `WebSocket message from ${this.peer} not finished within frameTimeoutMs=${ms} (${got} bytes of it received)`, {
        details: { limit: ms, actual: got, peer: this.peer, phase: 'frame', key: 'frameTimeoutMs' },
      }),
    );
  }

  endLogin(): void {
    this.loginFrames = 0;
  }

  start(events: TransportEvents): void {
    // As onMessage: no frame is delivered once there is an error, even before the close.
    this.startEvents(events, () => this.closeError !== undefined);
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.closeError) return;
    if (!isBinary) {
      this.destroy(
        new ChanError('protocolError', `WebSocket from ${this.peer}: a text message; lib_chan frames are binary messages`, {
          details: { peer: this.peer, phase: 'frame', side: 'server' },
        }),
        WS_CLOSE.unsupportedData,
      );
      return;
    }
    // With the default binaryType ('nodebuffer') ws hands over one Buffer, fragments already joined.
    const frame = data as Buffer;
    this.frameDeadline?.idle();
    if (this.loginFrames > 0) {
      this.loginFrames--;
      if (frame.length > this.maxLoginFrameBytes) {
        this.destroy(
          new ChanError(
            'frameTooLarge',
            `WebSocket from ${this.peer}: login message of ${frame.length} bytes, limit is maxLoginFrameBytes=${this.maxLoginFrameBytes}`,
            {
              details: { peer: this.peer, phase: 'frame', limit: this.maxLoginFrameBytes, actual: frame.length, key: 'maxLoginFrameBytes' },
            },
          ),
        );
        return;
      }
    }
    this.deliverFrame(frame);
  }

  private onClose(code: number, reason: Buffer): void {
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.frameDeadline?.stop();
    if (this.closed) return;
    this.closed = true;
    if (!this.closeError && code !== WS_CLOSE.normal && code !== WS_CLOSE.goingAway && code !== 1005 && code !== 1006) {
      this.closeError = new ChanError(
        'connectionLost',
        `WebSocket peer ${this.peer} closed with code ${code}${reason.length ? ` (${reason.toString()})` : ''}`,
        {
          details: { peer: this.peer, wsCode: code, remoteReason: reason.toString() },
        },
      );
    }
    this.deliverClose(this.closeError);
  }

  send(payload: Uint8Array, written?: (err?: Error) => void): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    // ws writes each message as it is sent (it corks only around one message's header and body); corked
    // here for the tick, the replies to one read leave in few writes, as on TCP (write-batching.ts).
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(uncorkWs, this);
    }
    this.ws.send(payload, written);
    this.corkedBytes += payload.length;
    if (this.corkedBytes >= EARLY_BATCH_BYTES || payload.length >= UNCORK_FRAME_BYTES) this.uncork();
    this.meter?.(payload.length); // last: the budget may close this very connection
  }

  /** @internal */
  uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.corkedBytes = 0;
    this.socket.uncork();
  }

  sendReserved(buf: Uint8Array): void {
    if (buf.length <= FRAME_SLAB_MAX_BYTES) {
      // A frame slab's view is copied when something may keep it: a socket that already holds bytes (a slow
      // reader, or this tick's earlier messages behind the cork) or ws's compressor, which queues what it is
      // given; a view kept would pin its 16 KiB slab. The first message of a tick on an idle socket without
      // extensions (a sequential rpc's reply) goes as it is: ws hands it to the corked socket, and the uncork
      // at the tick's end writes it at once unless the kernel's buffer is full (then that one view waits
      // with the socket, as on TCP).
      const keep = isSharedView(buf) && (this.socket.writableLength > 0 || this.extended);
      this.send(keep ? buf.slice(FRAME_HEADER_BYTES) : buf.subarray(FRAME_HEADER_BYTES));
      return;
    }
    // A large frame is its own buffer (allocFrame's, at most twice its size): ws writes it as it is (a
    // server's messages are not masked) and says when the socket has taken it, after any compression;
    // then it goes back to the pool for the next large frame, as on TCP. Not after an error: when the
    // socket closes while zlib compresses it, ws reports the error at once and zlib's job may still be
    // reading it (the collector takes it instead).
    this.send(buf.subarray(FRAME_HEADER_BYTES), (err) => {
      if (!err) releaseFrame(buf);
    });
  }

  end(): void {
    this.uncork();
    this.ws.close(WS_CLOSE.normal);
  }

  /**
   * Close at once: the close event follows in a microtask, as a destroyed TCP
   * socket's does. With a reason, the peer also gets a close frame naming our
   * error code, unless data is still queued for it (a slow reader would never
   * see it); the socket is cut after DESTROY_GRACE_MS whatever the peer does.
   */
  destroy(error?: ChanError, closeCode = error && closeCodeFor(error.code)): void {
    if (error) this.closeError ??= error;
    if (this.closed) return;
    // What this tick sent goes out before the close frame or the cut.
    this.uncork();
    if (error && this.ws.readyState === this.ws.CLOSING) {
      this.armGrace();
    } else if (error && this.ws.readyState === this.ws.OPEN && this.ws.bufferedAmount === 0) {
      this.ws.close(closeCode, error.code);
      this.armGrace();
    } else {
      this.ws.terminate();
    }
    this.closed = true;
    queueMicrotask(() => this.deliverClose(this.closeError));
  }

  private armGrace(): void {
    if (this.graceTimer) return;
    this.graceTimer = setTimeout(() => this.ws.terminate(), DESTROY_GRACE_MS);
    this.graceTimer.unref?.();
  }
}

/** What the listener needs of the server: its limits, log, shared connection counters and attach(). */
export interface WsListenerHost {
  readonly config: { limits: Limits; trustedProxies?: string[] };
  readonly log: {
    warn(obj: object, msg?: string): void;
    info(obj: object, msg?: string): void;
    debug(obj: object, msg?: string): void;
    error(obj: object, msg?: string): void;
  };
  /** Told the size of every message in and out (the server's memory budget). */
  readonly meter?: (bytes: number) => void;
  /** The reason to refuse a new connection (logged and counted by the server), or undefined. */
  admit(addr: string, peer: string, listener: 'tcp' | 'ws'): string | undefined;
  attach(transport: Transport): unknown;
  /** The key per-address bounds count `addr` under (its address prefix); the address itself when absent. */
  addressKey?(addr: string): string;
}

/** The HTTP(S) server that upgrades to WebSocket on the configured path. */
export class WebSocketListener {
  readonly conf: WebSocketConfig;
  private readonly host: WsListenerHost;
  private readonly http: http.Server;
  private readonly wss: WebSocketServer;
  /** Sockets connected but not upgraded yet, each with the function that stops its upgrade timer. */
  private readonly waiting = new Map<Socket, () => void>();
  /** How many of them each remote address has. */
  private readonly waitingPerAddress = new Map<string, number>();

  private constructor(host: WsListenerHost, conf: WebSocketConfig, tls: { cert: Buffer; key: Buffer } | undefined) {
    this.host = host;
    this.conf = conf;
    const limits = host.config.limits;
    const options: ServerOptions = {
      noServer: true,
      clientTracking: false,
      maxPayload: limits.maxFrameBytes,
      perMessageDeflate: conf.permessageDeflate
        ? {
            threshold: DEFLATE_THRESHOLD_BYTES,
            concurrencyLimit: DEFLATE_CONCURRENCY,
            // No context takeover either way: no compression window kept per idle connection.
            serverNoContextTakeover: true,
            clientNoContextTakeover: true,
          }
        : false,
    };
    this.wss = new WebSocketServer(options);
    this.wss.on('wsClientError', (err: Error, socket: Duplex, req: http.IncomingMessage) => {
      this.refuse(socket, req, 400, 'Bad Request', { event: 'wsRefused', reason: err.message }, 'WebSocket upgrade refused: bad handshake');
    });
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      res.writeHead(426, { 'Content-Type': 'text/plain', Connection: 'close', Upgrade: 'websocket' });
      res.end('This is a lib_chan WebSocket endpoint: connect with a WebSocket client.\n');
    };
    this.http = tls
      ? https.createServer({ cert: tls.cert, key: tls.key, handshakeTimeout: limits.handshakeTimeoutMs }, onRequest)
      : http.createServer(onRequest);
    // TLS: the timer starts once the TLS handshake is done (https bounds that one with handshakeTimeout).
    this.http.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => this.onSocket(socket));
    this.http.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    this.http.on('tlsClientError', (err: Error & { code?: string }, socket: Socket) => {
      this.host.log.debug(
        { event: 'tlsClientError', code: err.code, peer: formatPeer(socket.remoteAddress ?? 'unknown', socket.remotePort) },
        'TLS handshake failed',
      );
    });
    this.http.on('error', (err: NodeJS.ErrnoException) => {
      this.host.log.error({ event: 'listenerError', listener: 'ws', code: err.code, err }, 'WebSocket listener error');
    });
  }

  /** Read the TLS files (if any) and listen; rejects with badConf when the port cannot be had. */
  static async start(host: WsListenerHost, conf: WebSocketConfig, file?: string): Promise<WebSocketListener> {
    let tls: { cert: Buffer; key: Buffer } | undefined;
    if (conf.tls) {
      try {
        tls = { cert: readFileSync(conf.tls.certFile), key: readFileSync(conf.tls.keyFile) };
      } catch (e) {
        throw new ChanError('badConf', `${file ?? 'conf'}: websocket tls: ${(e as Error).message}`, { cause: e, details: { file } });
      }
    }
    const listener = new WebSocketListener(host, conf, tls);
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        reject(
          new ChanError(
            'badConf',
            `${file ?? 'conf'}: cannot listen for WebSocket on ${conf.bind}:${conf.port}: ${err.code === 'EADDRINUSE' ? 'the port is already in use' : err.message}`,
            {
              cause: err,
              details: { file },
            },
          ),
        );
      };
      listener.http.once('error', onError);
      listener.http.listen({ port: conf.port, host: conf.bind, backlog: 511 }, () => {
        listener.http.off('error', onError);
        resolve();
      });
    });
    return listener;
  }

  get port(): number {
    const a = this.http.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  /** `ws://host:port/path` (or wss://) as clients reach it on this listener's address. */
  get url(): string {
    const a = this.http.address();
    const host = typeof a === 'object' && a ? (a.address.includes(':') ? `[${a.address}]` : a.address) : this.conf.bind;
    return `${this.conf.tls ? 'wss' : 'ws'}://${host}:${this.port}${this.conf.path}`;
  }

  /** Stop accepting; sockets still waiting to upgrade are cut. Upgraded ones belong to their sessions. */
  close(): Promise<void> {
    const closed = new Promise<void>((r) => this.http.close(() => r()));
    for (const socket of this.waiting.keys()) socket.destroy();
    return closed;
  }

  /** A new socket: bounded in number and in the time it has to upgrade. */
  private onSocket(socket: Socket): void {
    const limits = this.host.config.limits;
    const peer = formatPeer(socket.remoteAddress ?? 'unknown', socket.remotePort);
    socket.on('error', () => {});
    if (this.waiting.size >= limits.maxConnections) {
      this.host.log.warn(
        { event: 'limitHit', limit: `maxConnections=${limits.maxConnections}`, listener: 'ws', phase: 'upgrade', peer },
        'WebSocket connection refused: too many sockets waiting to upgrade',
      );
      socket.destroy();
      return;
    }
    const addr = this.host.addressKey?.(socket.remoteAddress ?? 'unknown') ?? socket.remoteAddress ?? 'unknown';
    const mine = this.waitingPerAddress.get(addr) ?? 0;
    if (mine >= limits.maxConnectionsPerAddress) {
      this.host.log.warn(
        {
          event: 'limitHit',
          limit: `maxConnectionsPerAddress=${limits.maxConnectionsPerAddress}`,
          key: 'maxConnectionsPerAddress',
          listener: 'ws',
          phase: 'upgrade',
          peer,
        },
        'WebSocket connection refused: too many sockets from this address waiting to upgrade',
      );
      socket.destroy();
      return;
    }
    this.waitingPerAddress.set(addr, mine + 1);
    const timer = setTimeout(() => {
      this.host.log.warn(
        { event: 'handshake', result: 'handshakeTimeout', listener: 'ws', phase: 'upgrade', peer, limit: limits.handshakeTimeoutMs },
        'no WebSocket upgrade within handshakeTimeoutMs',
      );
      socket.destroy();
    }, limits.handshakeTimeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      if (!this.waiting.delete(socket)) return;
      const n = (this.waitingPerAddress.get(addr) ?? 1) - 1;
      if (n <= 0) this.waitingPerAddress.delete(addr);
      else this.waitingPerAddress.set(addr, n);
    };
    this.waiting.set(socket, done);
    socket.once('close', done);
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {});
    const raw = req.socket;
    const addr = raw.remoteAddress ?? 'unknown';
    const peer = formatPeer(addr, raw.remotePort);
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://x').pathname;
    } catch {
      path = '';
    }
    if (path !== this.conf.path) {
      this.refuse(
        socket,
        req,
        404,
        'Not Found',
        { event: 'wsRefused', reason: 'path', path: (req.url ?? '').slice(0, 200), peer },
        'WebSocket upgrade refused: unknown path',
      );
      return;
    }
    // Only browsers send Origin; other clients could forge it, so it guards pages, not servers.
    // Without {origins, [...]} only pages served from this host and port (same origin) may connect:
    // any other site's page could otherwise log in with what the browser holds (cross-site WebSocket hijacking).
    const origin = req.headers.origin;
    if (origin !== undefined && !(this.conf.origins ? this.conf.origins.includes(origin) : sameOrigin(origin, req.headers.host))) {
      this.refuse(
        socket,
        req,
        403,
        'Forbidden',
        { event: 'originRefused', origin: origin.slice(0, 200), peer },
        'WebSocket upgrade refused: origin not allowed',
      );
      return;
    }
    const forwarded = this.forwardedFor(req, addr);
    if (this.host.admit(forwarded ?? addr, peer, 'ws') !== undefined) {
      this.refuse(socket, req, 503, 'Service Unavailable');
      return;
    }
    // handleUpgrade calls back synchronously (no async verifyClient), so the
    // connection is counted by attach() in the same tick as admit() checked.
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.waiting.get(raw)?.();
      const l = this.host.config.limits;
      this.host.attach(
        new WsTransport(ws, raw, {
          loginFrames: LOGIN_FRAMES,
          maxLoginFrameBytes: l.maxLoginFrameBytes,
          meter: this.host.meter,
          frameTimeoutMs: l.frameTimeoutMs,
          forwardedFor: forwarded,
        }),
      );
    });
  }

  /**
   * The client address a trusted proxy (`{trusted_proxies, [...]}`) put last
   * in X-Forwarded-For, when the socket comes from one and it is an IP address;
   * from anyone else the header is ignored (it is the client's to forge).
   */
  private forwardedFor(req: http.IncomingMessage, addr: string): string | undefined {
    if (!(this.host.config.trustedProxies ?? []).includes(addr)) return undefined;
    const header = req.headers['x-forwarded-for'];
    const last = (Array.isArray(header) ? header.join(',') : (header ?? '')).slice(-256).split(',').pop()?.trim() ?? '';
    return isIP(last) ? last : undefined;
  }

  /** Answer an upgrade with an HTTP error and close; `log` fields, when given, are logged as a warning. */
  private refuse(socket: Duplex, req: http.IncomingMessage, status: number, text: string, log?: object, msg?: string): void {
    if (log) this.host.log.warn({ listener: 'ws', peer: formatPeer(req.socket.remoteAddress ?? 'unknown', req.socket.remotePort), ...log, status }, msg);
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const body = `${status} ${text}\n`;
    socket.once('finish', () => socket.destroy());
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  }
}

function uncorkWs(t: WsTransport): void {
  t.uncork();
}
