import type { Limits } from '../limits.ts';
import type { Transport } from '../transport/transport.ts';
import { type Term } from '../wire/etf/term.ts';
import { type ChannelCodec } from './codec.ts';
import type { CloseInfo } from './middle-man.ts';
export interface RpcOptions {
    /** Time to wait for the reply. @default LIMITS.rpcTimeoutMs */
    timeoutMs?: number;
}
export declare class Channel implements AsyncIterable<Term> {
    readonly service: string;
    readonly peer: string;
    readonly secure: boolean;
    /** Resolves when the channel has closed, with the reason. */
    readonly closed: Promise<CloseInfo>;
    private readonly transport;
    private readonly codec;
    private readonly limits;
    private readonly calls;
    private readonly pushes;
    private pushCallback;
    private resolveClosed;
    private state;
    private stats;
    private legacyWaiting;
    private readonly legacyQueue;
    /** `pending`: frames that arrived right after the login, before this channel existed. */
    constructor(opts: {
        transport: Transport;
        codec: ChannelCodec;
        limits: Limits;
        service: string;
        pending?: Uint8Array[];
    });
    get isOpen(): boolean;
    /** Number of rpcs waiting for a reply (or, on legacy channels, for their turn). */
    get pendingCalls(): number;
    /** Send one way; nothing comes back. */
    cast(term: Term): void;
    /** Send and wait for the answer, at most `timeoutMs`. */
    rpc(term: Term, options?: RpcOptions): Promise<Term>;
    /** Iterate server pushes (legacy: messages that arrive while no rpc waits). */
    [Symbol.asyncIterator](): AsyncIterator<Term>;
    /** Receive pushes by callback instead of iteration. */
    onPush(cb: (msg: Term) => void): void;
    /** Close the channel; pending rpcs reject with `closed`. */
    close(): void;
    private ensureOpen;
    private write;
    private onFrame;
    private deliverPush;
    /** Send what queued behind the rpc just answered, up to and including the next rpc. */
    private flushLegacy;
    private onLegacyTimeout;
    private fail;
    private onTransportClose;
    /**
     * `error` may be a factory: an Error captures a stack trace when made, and
     * a plain close with nothing pending needs none.
     */
    private finish;
}
//# sourceMappingURL=channel.d.ts.map