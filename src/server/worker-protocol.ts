/**
 * Messages between the main thread (the middle-men, on the socket side) and a
 * service worker thread (the handlers), over the worker's MessagePort. Terms
 * cross as ETF bytes (encodeTerm / decodeTerm), never as structured clones, so
 * a handler sees exactly what it would see inline: Atom, Tuple, Map, bigint...
 *
 * One worker serves many channels of one service; `cid` names the channel.
 * The messages are the two interfaces of chan/middle-man.ts made portable:
 * ToWorker carries HandlerEnd (deliver, drain, ended) from the channel's
 * SocketSide on the main thread to the handler's MiddleMan in the worker;
 * FromWorker carries MiddleManLink (reply, fail, push, close, crash, took)
 * back. Calls keep their wire id; the SocketSide keeps the table of waiting
 * calls, so nothing else about a call needs to cross.
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

/** A close error as it crosses the port: the handler sees the same code and details as inline. */
export interface PortError {
  code: string;
  message: string;
  details: Record<string, string | number | boolean | bigint | null>;
}

export type ToWorker =
  | { t: 'ping'; seq: number }
  | { t: 'open'; cid: number; peer: string; secure: boolean; argsC: Uint8Array; fencingToken?: string }
  | { t: 'msg'; cid: number; id: number; call: boolean; term: Uint8Array }
  | { t: 'drain'; cid: number }
  | { t: 'closed'; cid: number; reason: string; error?: PortError; bytesIn: number; bytesOut: number; messagesIn: number; messagesOut: number };

export type FromWorker =
  | { t: 'ready' }
  | { t: 'startFailed'; message: string; stack?: string }
  | { t: 'pong'; seq: number }
  /** Messages the handlers have taken since the last report: [cid, n, cid, n, ...] (the main thread's mailbox bound). */
  | { t: 'took'; counts: number[] }
  | { t: 'reply'; cid: number; id: number; term: Uint8Array }
  | { t: 'fail'; cid: number; id: number; code: string; message: string }
  | { t: 'send'; cid: number; term: Uint8Array }
  | { t: 'close'; cid: number; reason: string }
  /** `peer` lets the main thread log a crash that comes after the channel closed. */
  | { t: 'crash'; cid: number; peer: string; name: string; message: string; stack?: string };
