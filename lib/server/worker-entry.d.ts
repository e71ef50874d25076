import { Request, type CloseInfo, type MessageCallback, type RequestTarget } from '../chan/middle-man.ts';
import type { Term } from '../wire/etf/term.ts';
/** The handler's `mm` in a worker: the same API as MiddleMan, over the port. */
export declare class WorkerMiddleMan implements AsyncIterable<Term>, RequestTarget {
    readonly service: string;
    readonly peer: string;
    readonly secure: boolean;
    /** Resolves once the channel is closed, whichever side closed it. */
    readonly closed: Promise<CloseInfo>;
    private readonly cid;
    private readonly mailbox;
    private callback;
    private current;
    private state;
    private resolveClosed;
    constructor(cid: number, service: string, peer: string, secure: boolean);
    get isOpen(): boolean;
    get hasCallback(): boolean;
    send(term: Term): void;
    reply(term: Term): void;
    close(reason?: string): void;
    [Symbol.asyncIterator](): AsyncIterator<Term>;
    requests(): AsyncIterable<Request>;
    onMessage(cb: MessageCallback): void;
    /** @internal */
    replyTo(req: Request, term: Term): void;
    /** @internal */
    failTo(req: Request, code: string, message: string): void;
    /** @internal A message from the peer (checked on the main thread). */
    deliver(req: Request): void;
    /** @internal Graceful shutdown, as MiddleMan.drain(). */
    drain(): void;
    /** @internal The handler threw: the main thread closes the channel and logs the stack. */
    crashed(e: unknown): void;
    /** @internal The main thread closed the channel. */
    ended(info: CloseInfo): void;
    private local;
    private dispatch;
}
//# sourceMappingURL=worker-entry.d.ts.map