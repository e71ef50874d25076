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
export {};
//# sourceMappingURL=worker-protocol.js.map