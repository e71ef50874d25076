import type { Socket } from 'node:net';
import { type WebSocket } from 'ws';
import { ChanError, type ErrorCode } from '../errors.ts';
import type { Limits } from '../limits.ts';
import type { WebSocketConfig } from '../conf/schema.ts';
import { EventGate, type Transport, type TransportEvents } from './transport.ts';
/** After destroy(error), time the peer gets to read our close frame before the socket is cut (ms). */
export declare const DESTROY_GRACE_MS = 1000;
/** permessage-deflate (when enabled): messages smaller than this are sent uncompressed (bytes). */
export declare const DEFLATE_THRESHOLD_BYTES = 1024;
/** permessage-deflate (when enabled): zlib jobs run at once per process (ws's own queue). */
export declare const DEFLATE_CONCURRENCY = 10;
/** WebSocket close codes (RFC 6455 section 7.4.1) for the reasons we close. */
export declare const WS_CLOSE: {
    readonly normal: 1000;
    readonly goingAway: 1001;
    readonly protocolError: 1002;
    readonly unsupportedData: 1003;
    readonly policyViolation: 1008;
    readonly messageTooBig: 1009;
    readonly internalError: 1011;
};
/** The close code a peer sees when we close because of `code`. */
export declare function closeCodeFor(code: ErrorCode): number;
/** One accepted WebSocket as a Transport: one binary message is one frame. */
export declare class WsTransport extends EventGate implements Transport {
    readonly peer: string;
    readonly remoteAddress: string;
    readonly isLoopback: boolean;
    private readonly ws;
    private closeError;
    private closed;
    private graceTimer;
    constructor(ws: WebSocket, socket: Socket);
    get queuedBytes(): number;
    start(events: TransportEvents): void;
    private onMessage;
    private onClose;
    send(payload: Uint8Array): void;
    sendReserved(buf: Uint8Array): void;
    end(): void;
    /**
     * Close at once: the close event follows in a microtask, as a destroyed TCP
     * socket's does. With a reason, the peer also gets a close frame naming our
     * error code, unless data is still queued for it (a slow reader would never
     * see it); the socket is cut after DESTROY_GRACE_MS whatever the peer does.
     */
    destroy(error?: ChanError, closeCode?: number | undefined): void;
    private armGrace;
}
/** What the listener needs of the server: its limits, log, shared connection counters and attach(). */
export interface WsListenerHost {
    readonly config: {
        limits: Limits;
    };
    readonly log: {
        warn(obj: object, msg?: string): void;
        info(obj: object, msg?: string): void;
        debug(obj: object, msg?: string): void;
        error(obj: object, msg?: string): void;
    };
    /** The reason to refuse a new connection (logged and counted by the server), or undefined. */
    admit(addr: string, peer: string, listener: 'tcp' | 'ws'): string | undefined;
    attach(transport: Transport): unknown;
}
/** The HTTP(S) server that upgrades to WebSocket on the configured path. */
export declare class WebSocketListener {
    readonly conf: WebSocketConfig;
    private readonly host;
    private readonly http;
    private readonly wss;
    /** Sockets connected but not upgraded yet, each with the function that stops its upgrade timer. */
    private readonly waiting;
    private constructor();
    /** Read the TLS files (if any) and listen; rejects with badConf when the port cannot be had. */
    static start(host: WsListenerHost, conf: WebSocketConfig, file?: string): Promise<WebSocketListener>;
    get port(): number;
    /** `ws://host:port/path` (or wss://) as clients reach it on this listener's address. */
    get url(): string;
    /** Stop accepting; sockets still waiting to upgrade are cut. Upgraded ones belong to their sessions. */
    close(): Promise<void>;
    /** A new socket: bounded in number and in the time it has to upgrade. */
    private onSocket;
    private onUpgrade;
    /** Answer an upgrade with an HTTP error and close; `log` fields, when given, are logged as a warning. */
    private refuse;
}
//# sourceMappingURL=ws-server.d.ts.map