/**
 * The client's WebSocket transport, over a W3C-style WebSocket whose
 * constructor is injected: the browser passes `globalThis.WebSocket`, Node
 * passes the `ws` package's class (as nats.js's ws transport takes a
 * wsFactory). Isomorphic: no Node built-ins, no Buffer. One binary message is
 * one lib_chan frame; a text message is a protocol error.
 */
import { ChanError } from '../errors.ts';
import { EventGate, type Transport, type TransportEvents } from './transport.ts';
/** Event handler types written so both the DOM's and ws's WebSocket classes fit them. */
type Handler<E> = {
    bivarianceHack(ev: E): void;
}['bivarianceHack'];
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
    readonly bufferedAmount: number;
    send(data: Uint8Array): void;
    close(code?: number, reason?: string): void;
    onopen: Handler<unknown> | null;
    onmessage: Handler<WsMessageEventLike> | null;
    onclose: Handler<WsCloseEventLike> | null;
    onerror: Handler<WsErrorEventLike> | null;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;
export interface WsConnectOptions {
    /** The WebSocket class: `globalThis.WebSocket` in browsers, `ws`'s in Node. */
    WebSocket: WebSocketConstructor;
    /** Largest message accepted (browsers cannot refuse one before it is buffered; it is refused after). */
    maxFrameBytes: number;
    /** Time allowed for the TCP, TLS and WebSocket handshakes (ms). */
    timeoutMs: number;
}
/** An open WebSocket as a Transport. */
export declare class WsClientTransport extends EventGate implements Transport {
    readonly peer: string;
    readonly remoteAddress: string;
    readonly isLoopback: boolean;
    private readonly ws;
    private readonly maxFrameBytes;
    private closeError;
    private closed;
    constructor(ws: WebSocketLike, url: URL, opts: {
        maxFrameBytes: number;
    });
    get queuedBytes(): number;
    start(events: TransportEvents): void;
    private onMessage;
    private onClose;
    send(payload: Uint8Array): void;
    sendReserved(buf: Uint8Array): void;
    /** Orderly close: what send() queued goes out before the close frame. */
    end(): void;
    /**
     * Close now: the close event is reported at once (a browser may take a
     * while to finish the closing handshake); the server sees our error code
     * as the close reason.
     */
    destroy(error?: ChanError): void;
}
/**
 * Open a WebSocket to `url` (ws:// or wss://). Rejects with badArgument for
 * another scheme, connectionRefused when it cannot be opened (browsers do not
 * say why), timeout after `timeoutMs`.
 */
export declare function connectWebSocket(url: string, opts: WsConnectOptions): Promise<WsClientTransport>;
export {};
//# sourceMappingURL=ws-client.d.ts.map