/**
 * The client's WebSocket transport, over a W3C-style WebSocket whose
 * constructor is injected: the browser passes `globalThis.WebSocket`, Node
 * passes the `ws` package's class (as nats.js's ws transport takes a
 * wsFactory). Isomorphic: no Node built-ins, no Buffer. One binary message is
 * one lib_chan frame; a text message is a protocol error.
 */
import { ChanError } from '../errors.ts';
import { FRAME_HEADER_BYTES } from '../wire/frame.ts';
import { FRAME_SLAB_MAX_BYTES, isSharedView, releaseFrame } from '../wire/bytes.ts';
import { EventGate, isLoopbackAddress, type Transport, type TransportEvents } from './transport.ts';

/** Event handler types written so both the DOM's and ws's WebSocket classes fit them. */
type Handler<E> = { bivarianceHack(ev: E): void }['bivarianceHack'];

export interface WsMessageEventLike {
  data: unknown;
}
export interface WsCloseEventLike {
  code: number;
  reason: string;
}
export interface WsErrorEventLike {
  /** ws (Node) puts the cause here; browsers give no detail. */
  message?: string;
  error?: unknown;
}

/** The part of the W3C WebSocket API this transport uses. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  /** The extensions the server accepted ('' for none). */
  readonly extensions?: string;
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown> | null;
  onmessage: Handler<WsMessageEventLike> | null;
  onclose: Handler<WsCloseEventLike> | null;
  onerror: Handler<WsErrorEventLike> | null;
  /**
   * Node's `ws` only: its own event, which hands over the message's Buffer with no MessageEvent made around
   * it and no copy into an ArrayBuffer (binaryType 'nodebuffer'); browsers have none.
   */
  on?(event: 'message', listener: (data: Uint8Array, isBinary: boolean) => void): unknown;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/**
 * A WebSocket class may say, with this static property set to true, that its send() has made its own
 * copy of a binary message by the time it returns, whenever no extension was negotiated. The transport
 * then takes the buffer of a large frame back for the next one (wire/bytes.ts's pool) instead of leaving
 * a 64 KiB array per bulk cast to the garbage collector. Node's client (client/node.ts) sets it: ws masks a
 * client's message into a buffer of its own, given a mask that is never all zeros. A class without it
 * (a caller's own, a browser's) is given a buffer it may keep.
 */
export const COPIES_ON_SEND = 'libChanCopiesOnSend';

/** W3C readyState values. */
const OPEN = 1;
/** Close codes a client may send (browsers accept only 1000 and 3000-4999). */
const CLOSE_NORMAL = 1000;
/** We close because of an error; the reason is our error code. */
const CLOSE_CLIENT_ERROR = 4000;
/** Close codes that mean an orderly end, not an error. */
const ORDERLY = new Set([1000, 1001, 1005]);

export interface WsConnectOptions {
  /** The WebSocket class: `globalThis.WebSocket` in browsers, `ws`'s in Node. */
  WebSocket: WebSocketConstructor;
  /** Largest message accepted (browsers cannot refuse one before it is buffered; it is refused after). */
  maxFrameBytes: number;
  /** Time allowed for the TCP, TLS and WebSocket handshakes (ms). */
  timeoutMs: number;
  /** Told of every message received and sent (the Node client's busy polling). */
  onIo?: () => void;
}

function peerOf(url: URL): string {
  const port = url.port || (url.protocol === 'wss:' ? '443' : '80');
  return `${url.hostname}:${port}`;
}

/** An open WebSocket as a Transport. */
export class WsClientTransport extends EventGate implements Transport {
  readonly peer: string;
  readonly remoteAddress: string;
  readonly isLoopback: boolean;
  private readonly ws: WebSocketLike;
  private readonly maxFrameBytes: number;
  /** send() copies a message, so a large frame's buffer goes back to the pool once sent (COPIES_ON_SEND). */
  private readonly reuseSent: boolean;
  private closeError: ChanError | undefined;
  private closed = false;
  private readonly onIo: (() => void) | undefined;

  constructor(ws: WebSocketLike, url: URL, opts: { maxFrameBytes: number; copiesOnSend?: boolean; onIo?: () => void }) {
    super();
    this.ws = ws;
    this.maxFrameBytes = opts.maxFrameBytes;
    this.onIo = opts.onIo;
    // With permessage-deflate, ws queues the message it was given for the compressor: not a copy.
    this.reuseSent = opts.copiesOnSend === true && ws.extensions === '';
    this.peer = peerOf(url);
    this.remoteAddress = url.hostname.replace(/^\[|\]$/g, '');
    this.isLoopback = isLoopbackAddress(this.remoteAddress);
    if (typeof ws.on === 'function') {
      // Per message this saves an event object and, for a message that is not the whole of its read, a copy
      // (binaryType 'arraybuffer' slices one out of the read's buffer).
      ws.binaryType = 'nodebuffer';
      ws.on('message', (data, isBinary) => this.onMessage(isBinary ? data : ''));
    } else ws.onmessage = (ev) => this.onMessage(ev.data);
    ws.onclose = (ev) => this.onClose(ev.code, ev.reason);
    ws.onerror = (ev) => {
      this.closeError ??= new ChanError('connectionLost', `WebSocket to ${this.peer} failed${ev.message ? `: ${ev.message}` : ''}`, {
        cause: ev.error,
        details: { peer: this.peer },
      });
    };
  }

  get queuedBytes(): number {
    return this.ws.bufferedAmount;
  }

  start(events: TransportEvents): void {
    // As onMessage: no frame is delivered once there is an error, even before the close.
    this.startEvents(events, () => this.closeError !== undefined);
  }

  private onMessage(data: unknown): void {
    if (this.closeError) return;
    this.onIo?.();
    let frame: Uint8Array;
    if (data instanceof ArrayBuffer) frame = new Uint8Array(data);
    else if (ArrayBuffer.isView(data)) frame = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    else {
      this.destroy(
        new ChanError(
          'protocolError',
          `client: ${this.peer} sent a ${typeof data === 'string' ? 'text' : 'non-binary'} WebSocket message; lib_chan frames are binary messages`,
          {
            details: { peer: this.peer, phase: 'frame', side: 'client' },
          },
        ),
      );
      return;
    }
    if (frame.length > this.maxFrameBytes) {
      this.destroy(
        new ChanError('frameTooLarge', `client: a ${frame.length}-byte message from ${this.peer}, limit maxFrameBytes=${this.maxFrameBytes}`, {
          details: { limit: this.maxFrameBytes, actual: frame.length, peer: this.peer, side: 'client' },
        }),
      );
      return;
    }
    this.deliverFrame(frame);
  }

  private onClose(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.closeError && !ORDERLY.has(code) && code !== 1006) {
      this.closeError = new ChanError('connectionLost', `${this.peer} closed the WebSocket with code ${code}${reason ? ` (${reason})` : ''}`, {
        details: { peer: this.peer, wsCode: code, remoteReason: reason },
      });
    }
    this.deliverClose(this.closeError);
  }

  send(payload: Uint8Array): void {
    if (this.ws.readyState !== OPEN) return;
    this.ws.send(payload);
    this.onIo?.();
  }

  sendReserved(buf: Uint8Array): void {
    // A frame slab's view is copied unless send() copies it (reuseSent): a compressing ws (permessage-deflate)
    // queues what it is given, and a queued view would pin its whole slab. A large frame (allocFrame's own
    // buffer, at most twice its size) goes as it is: ws masks a client's frame into a buffer of its own as it
    // sends it and a browser copies what send() is given, so the copy bought nothing (64 KiB per bulk cast:
    // a fresh buffer and a pass).
    if (buf.length <= FRAME_SLAB_MAX_BYTES) {
      this.send(isSharedView(buf) && !this.reuseSent ? buf.slice(FRAME_HEADER_BYTES) : buf.subarray(FRAME_HEADER_BYTES));
      return;
    }
    this.send(buf.subarray(FRAME_HEADER_BYTES));
    if (this.reuseSent) releaseFrame(buf);
  }

  /** Orderly close: what send() queued goes out before the close frame. */
  end(): void {
    this.ws.close(CLOSE_NORMAL);
  }

  /**
   * Close now: the close event is reported at once (a browser may take a
   * while to finish the closing handshake); the server sees our error code
   * as the close reason.
   */
  destroy(error?: ChanError): void {
    if (error) this.closeError ??= error;
    if (this.closed) return;
    try {
      if (error) this.ws.close(CLOSE_CLIENT_ERROR, error.code);
      else this.ws.close(CLOSE_NORMAL);
    } catch {
      // Closing an already closing socket: nothing more to do.
    }
    this.closed = true;
    queueMicrotask(() => this.deliverClose(this.closeError));
  }
}

/**
 * Open a WebSocket to `url` (ws:// or wss://). Rejects with badArgument for
 * another scheme, connectionRefused when it cannot be opened (browsers do not
 * say why), timeout after `timeoutMs`.
 */
export function connectWebSocket(url: string, opts: WsConnectOptions): Promise<WsClientTransport> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (e) {
    return Promise.reject(new ChanError('badArgument', `"${url}" is not a URL`, { cause: e }));
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    return Promise.reject(new ChanError('badArgument', `a WebSocket URL starts with ws:// or wss://, got ${parsed.protocol}//`, { details: { url } }));
  }
  const peer = peerOf(parsed);
  return new Promise((resolve, reject) => {
    let ws: WebSocketLike;
    try {
      ws = new opts.WebSocket(parsed.href);
    } catch (e) {
      reject(new ChanError('badArgument', `cannot open a WebSocket to ${url}: ${(e as Error).message}`, { cause: e, details: { url } }));
      return;
    }
    ws.binaryType = 'arraybuffer';
    let settled = false;
    let detail: WsErrorEventLike | undefined;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      ws.onopen = ws.onclose = null;
      // Node's ws throws an 'error' event that has no listener: keep one.
      ws.onerror = () => {};
      try {
        ws.close(CLOSE_NORMAL);
      } catch {
        // still connecting in some engines: it is dropped anyway
      }
      reject(
        new ChanError('timeout', `could not open a WebSocket to ${url} within ${opts.timeoutMs} ms`, {
          details: { limit: opts.timeoutMs, peer, phase: 'connect' },
        }),
      );
    }, opts.timeoutMs);
    ws.onopen = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.onopen = null;
      const copiesOnSend = (opts.WebSocket as unknown as Record<string, unknown>)[COPIES_ON_SEND] === true;
      resolve(new WsClientTransport(ws, parsed, { maxFrameBytes: opts.maxFrameBytes, copiesOnSend, onIo: opts.onIo }));
    };
    ws.onerror = (ev) => {
      detail = ev;
    };
    ws.onclose = (ev) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const why = detail?.message ?? (ev.code !== 1006 ? `closed with code ${ev.code}` : '');
      reject(
        new ChanError(
          'connectionRefused',
          `could not open a WebSocket to ${url}${why ? `: ${why}` : ''}. Is the server running, and the URL's port and path right?`,
          {
            cause: detail?.error,
            details: { peer, phase: 'connect', url },
          },
        ),
      );
    };
  });
}
