/** The TCP transport: node:net sockets with `{packet, 4}` framing. */
import net from 'node:net';
import { ChanError } from '../errors.ts';
import { EventGate, type Transport, type TransportEvents } from './transport.ts';
/**
 * After end() (our FIN), time the peer has to close its side before the
 * socket is destroyed: a peer that never does must not hold a descriptor
 * for ever (its connection no longer counts against maxConnections).
 */
export declare const END_GRACE_MS = 10000;
export declare class TcpTransport extends EventGate implements Transport {
    readonly peer: string;
    readonly remoteAddress: string;
    readonly isLoopback: boolean;
    private readonly socket;
    private readonly decoder;
    private closeError;
    private closed;
    private endTimer;
    private readonly onClosed;
    /**
     * `onClosed`: told when the socket is closed (the server's list of open
     * sockets). `remote`: the peer as the caller dialled it (a client knows
     * it; asking the socket costs a getpeername call).
     */
    constructor(socket: net.Socket, opts: {
        maxFrameBytes: number;
        onClosed?: (t: TcpTransport) => void;
        remote?: {
            address: string;
            port: number;
        };
    });
    get queuedBytes(): number;
    start(events: TransportEvents): void;
    /** @internal */
    onData(data: Buffer): void;
    /** @internal */
    onError(err: NodeJS.ErrnoException): void;
    /** @internal */
    onClose(): void;
    send(payload: Uint8Array): void;
    sendReserved(buf: Uint8Array): void;
    end(): void;
    /** Resolves once what was sent is handed to the OS (or the socket is gone): shutdown waits for it. */
    flushed(): Promise<void>;
    destroy(error?: ChanError): void;
}
/** Open a TCP connection; rejects with connectionRefused / timeout. */
export declare function connectTcp(host: string, port: number, opts: {
    maxFrameBytes: number;
    timeoutMs: number;
}): Promise<TcpTransport>;
//# sourceMappingURL=tcp.d.ts.map