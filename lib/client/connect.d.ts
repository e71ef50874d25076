import { type Limits } from '../limits.ts';
import type { Transport } from '../transport/transport.ts';
import { Channel, type RpcOptions } from '../chan/channel.ts';
import { type Term } from '../wire/etf/term.ts';
import { type SecureClientOptions } from './secure-login.ts';
export interface ConnectOptions extends SecureClientOptions {
    /**
     * `secure` (default): the encrypted, authenticated handshake; it never
     * downgrades. `legacy`: the original MD5 challenge in plaintext, for Erlang
     * lib_chan servers.
     */
    protocol?: 'secure' | 'legacy';
    /** Limits for this channel (maxFrameBytes, rpcTimeoutMs, connectTimeoutMs, ...). */
    limits?: Partial<Limits>;
}
/** Waits for frames one at a time during a login, under one deadline. */
export declare class FrameWaiter {
    private readonly transport;
    private readonly side;
    private readonly queue;
    private waiting;
    private error;
    constructor(transport: Transport, side?: 'client' | 'server');
    next(): Promise<Uint8Array>;
    /** Frames that arrived after the login's last one; the channel takes them. */
    drain(): Uint8Array[];
}
/** Run `fn` under a deadline; on expiry the transport is destroyed and a timeout error thrown. */
export declare function withDeadline<T>(transport: Transport, ms: number, what: string, fn: () => Promise<T>): Promise<T>;
/**
 * Log in to `service` over an open transport and return the channel.
 * `password` null means the service has none (or a client key is used).
 */
export declare function connectOver(transport: Transport, service: string, password: string | null, argsC?: Term, options?: ConnectOptions): Promise<Channel>;
/** lib_chan:cast/2 */
export declare function cast(ch: Channel, msg: Term): void;
/** lib_chan:rpc/2, with a timeout */
export declare function rpc(ch: Channel, msg: Term, options?: RpcOptions): Promise<Term>;
/** lib_chan:disconnect/1 */
export declare function disconnect(ch: Channel): void;
//# sourceMappingURL=connect.d.ts.map