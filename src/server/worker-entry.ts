/**
 * A service worker thread (worker isolation): imports the service module,
 * then runs one handler per channel the main thread opens here. Each handler
 * gets the same MiddleMan as inline (chan/middle-man.ts), built over a
 * PortLink instead of the channel's SocketSide: the link posts the handler's
 * calls (reply, fail, push, close, crash, took) to the main thread, where the
 * SocketSide with the socket, the codec, the schema and the limits carries
 * them out; the main thread's HandlerEnd calls (deliver, drain, ended) arrive
 * here as port messages. Nothing of the handler API is implemented twice.
 *
 * It answers the main thread's watchdog pings from its event loop: a handler
 * that blocks the loop (or starves it with microtasks) stops the pongs, and the
 * main thread terminates the worker.
 */
import { fileURLToPath } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { ChanError, type ErrorCode } from '../errors.ts';
import { LIMITS } from '../limits.ts';
import { MiddleMan, runHandler, type Handler, type MiddleManLink } from '../chan/middle-man.ts';
import { encodeTerm } from '../wire/etf/encode.ts';
import { decodeTerm, type DecodeOptions } from '../wire/etf/decode.ts';
import type { Term } from '../wire/etf/term.ts';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol.ts';
import { exportedFunction, importHandlerModule } from '../conf/handler-module.ts';

// Terms from the main thread were checked against the service's limits there; decode them
// with the widest limits so nothing the main thread accepted is refused here.
const TRUSTED: DecodeOptions = {
  maxDepth: LIMITS.maxTermDepth.max,
  maxDecompressedBytes: LIMITS.maxDecompressedBytes.max,
  maxAtoms: LIMITS.maxAtomsPerTerm.max,
  maxIntegerBytes: LIMITS.maxIntegerBytes.max,
};

const port = parentPort!;
const init = workerData as WorkerInit;

function post(msg: FromWorker, bytes?: Uint8Array): void {
  // encodeTerm returns a buffer of its own: hand it over instead of copying it.
  if (bytes) port.postMessage(msg, [bytes.buffer as ArrayBuffer]);
  else port.postMessage(msg);
}

// ---- the bound on unread messages lives on the main thread: tell it what was taken, once per turn ----

const taken = new Map<number, number>();
let tookScheduled = false;

function noteTaken(cid: number, n: number): void {
  taken.set(cid, (taken.get(cid) ?? 0) + n);
  if (!tookScheduled) {
    tookScheduled = true;
    setImmediate(flushTaken);
  }
}

function flushTaken(): void {
  tookScheduled = false;
  const counts: number[] = [];
  for (const [cid, n] of taken) counts.push(cid, n);
  taken.clear();
  if (counts.length > 0) post({ t: 'took', counts });
}

/**
 * A handler's MiddleManLink in a worker: each call becomes a port message to
 * the channel's SocketSide. Terms are encoded here, so a term that cannot be
 * encoded throws in the handler, as the codec's encode does inline.
 */
class PortLink implements MiddleManLink {
  constructor(
    private readonly cid: number,
    private readonly peer: string,
  ) {}

  reply(id: number, term: Term): void {
    const bytes = encodeTerm(term);
    post({ t: 'reply', cid: this.cid, id, term: bytes }, bytes);
  }

  fail(id: number, code: string, message: string): void {
    post({ t: 'fail', cid: this.cid, id, code, message });
  }

  push(term: Term): void {
    const bytes = encodeTerm(term);
    post({ t: 'send', cid: this.cid, term: bytes }, bytes);
  }

  close(reason: string): void {
    post({ t: 'close', cid: this.cid, reason: String(reason) });
  }

  crash(e: unknown): void {
    const err = e instanceof Error ? e : new Error(String(e));
    post({ t: 'crash', cid: this.cid, peer: this.peer, name: err.name, message: err.message, stack: err.stack });
  }

  took(n: number): void {
    noteTaken(this.cid, n);
  }
}

const channels = new Map<number, MiddleMan>();

function onMessage(handler: Handler, argsS: Term, m: ToWorker): void {
  switch (m.t) {
    case 'ping':
      post({ t: 'pong', seq: m.seq });
      return;
    case 'open': {
      const mm = new MiddleMan(new PortLink(m.cid, m.peer), { service: init.service, peer: m.peer, secure: m.secure });
      mm.fencingToken = m.fencingToken;
      channels.set(m.cid, mm);
      runHandler(handler, mm, decodeTerm(m.argsC, TRUSTED), argsS);
      return;
    }
    case 'msg':
      channels.get(m.cid)?.deliver(decodeTerm(m.term, TRUSTED), m.id, m.call);
      return;
    case 'drain':
      channels.get(m.cid)?.drain();
      return;
    case 'closed': {
      const mm = channels.get(m.cid);
      if (!mm) return;
      channels.delete(m.cid);
      const { reason, error, bytesIn, bytesOut, messagesIn, messagesOut } = m;
      mm.ended({
        reason,
        bytesIn,
        bytesOut,
        messagesIn,
        messagesOut,
        error: error === undefined ? undefined : new ChanError(error.code as ErrorCode, error.message, { details: error.details }),
      });
      return;
    }
  }
}

async function main(): Promise<void> {
  let handler: Handler;
  let argsS: Term;
  try {
    const file = fileURLToPath(init.moduleUrl);
    const mod = await importHandlerModule(file);
    const fn = exportedFunction(mod, init.fn);
    if (fn === undefined) throw new Error(`${file} does not export a function ${init.fn}`);
    handler = fn as Handler;
    argsS = decodeTerm(init.argsS, TRUSTED);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    post({ t: 'startFailed', message: err.message, stack: err.stack });
    return;
  }
  // Messages the main thread posted while the module loaded wait in the port until now.
  port.on('message', (m: ToWorker) => onMessage(handler, argsS, m));
  post({ t: 'ready' });
}

void main();
