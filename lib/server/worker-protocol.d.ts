/**
 * Messages between the main thread (the middle-men, on the socket side) and a
 * service worker thread (the handlers), over the worker's MessagePort. Terms
 * cross as ETF bytes (encodeTerm / decodeTerm), never as structured clones, so
 * a handler sees exactly what it would see inline: Atom, Tuple, Map, bigint...
 *
 * One worker serves many channels of one service; `cid` names the channel.
 * Calls keep their wire id; `at` is when the call arrived on the main thread
 * (performance.now() there, 0 when not measured) and comes back with the
 * answer, so the rpc latency metric needs no table of pending calls.
 */
/** workerData of a service worker. */
export interface WorkerInit {
    /** file:// URL of the service module. */
    moduleUrl: string;
    /** Exported function name (`Fun`). */
    fn: string;
    service: string;
    /** ArgsS, ETF-encoded. */
    argsS: Uint8Array;
    /** file:// URL of worker-entry.ts (loaded by worker-boot.mjs after registering tsx). */
    entryUrl: string;
}
export type ToWorker = {
    t: 'ping';
    seq: number;
} | {
    t: 'open';
    cid: number;
    peer: string;
    secure: boolean;
    argsC: Uint8Array;
} | {
    t: 'msg';
    cid: number;
    id: number;
    call: boolean;
    at: number;
    term: Uint8Array;
} | {
    t: 'drain';
    cid: number;
} | {
    t: 'closed';
    cid: number;
    reason: string;
    error?: string;
    bytesIn: number;
    bytesOut: number;
    messagesIn: number;
    messagesOut: number;
};
export type FromWorker = {
    t: 'ready';
} | {
    t: 'startFailed';
    message: string;
    stack?: string;
} | {
    t: 'pong';
    seq: number;
}
/** Messages the handlers have taken since the last report: [cid, n, cid, n, ...] (the main thread's mailbox bound). */
 | {
    t: 'took';
    counts: number[];
} | {
    t: 'reply';
    cid: number;
    id: number;
    call: boolean;
    at: number;
    term: Uint8Array;
} | {
    t: 'fail';
    cid: number;
    id: number;
    call: boolean;
    at: number;
    code: string;
    message: string;
} | {
    t: 'send';
    cid: number;
    term: Uint8Array;
} | {
    t: 'close';
    cid: number;
    reason: string;
} | {
    t: 'crash';
    cid: number;
    name: string;
    message: string;
    stack?: string;
};
//# sourceMappingURL=worker-protocol.d.ts.map