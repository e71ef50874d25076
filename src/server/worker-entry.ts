/**
 * A service worker thread (worker isolation): imports the service module,
 * then runs one handler per channel the main thread opens here, each with a
 * WorkerMiddleMan, the handler-side API of the middle-man (async iteration,
 * requests() with reply/fail, send, close, onMessage). The real middle-man
 * stays on the main thread with the socket, the codec, the schema and the
 * limits; this side only turns port messages into handler calls and back.
 *
 * It answers the main thread's watchdog pings from its event loop: a handler
 * that blocks the loop (or starves it with microtasks) stops the pongs, and the
 * main thread terminates the worker.
 */
import { fileURLToPath } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { ChanError } from '../errors.ts';
import { LIMITS } from '../limits.ts';
import { Mailbox } from '../chan/mailbox.ts';
import { Request, type CloseInfo, type MessageCallback, type RequestTarget } from '../chan/middle-man.ts';
import { encodeTerm } from '../wire/etf/encode.ts';
import { decodeTerm, type DecodeOptions } from '../wire/etf/decode.ts';
import type { Term } from '../wire/etf/term.ts';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol.ts';
import { exportedFunction, importHandlerModule } from '../conf/handler-module.ts';

// Terms from the main thread were checked against the service's limits there; decode them
// with the widest limits so nothing the main thread accepted is refused here.
const TRUSTED: DecodeOptions = { maxDepth: LIMITS.maxTermDepth.max, maxDecompressedBytes: LIMITS.maxDecompressedBytes.max, maxAtoms: LIMITS.maxAtomsPerTerm.max, maxIntegerBytes: LIMITS.maxIntegerBytes.max };

type Handler = (mm: WorkerMiddleMan, argsC: Term, argsS: Term) => unknown;

const port = parentPort!;
const init = workerData as WorkerInit;

function post(msg: FromWorker, bytes?: Uint8Array): void {
  // encodeTerm returns a buffer of its own: hand it over instead of copying it.
  if (bytes) port.postMessage(msg, [bytes.buffer as ArrayBuffer]);
  else port.postMessage(msg);
}

// ---- the bound on unread messages lives on the main thread: tell it what was taken ----

const taken = new Map<number, number>();
let tookScheduled = false;

function noteTaken(cid: number): void {
  taken.set(cid, (taken.get(cid) ?? 0) + 1);
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

/** The handler's `mm` in a worker: the same API as MiddleMan, over the port. */
export class WorkerMiddleMan implements AsyncIterable<Term>, RequestTarget {
  readonly service: string;
  readonly peer: string;
  readonly secure: boolean;
  /** Resolves once the channel is closed, whichever side closed it. */
  readonly closed: Promise<CloseInfo>;

  private readonly cid: number;
  // Unbounded here: the main thread closes the channel past maxMailboxMessages unread.
  private readonly mailbox = new Mailbox<Request>(Number.MAX_SAFE_INTEGER);
  private callback: MessageCallback | undefined;
  private current: Request | undefined;
  private state: 'open' | 'closed' = 'open';
  private resolveClosed!: (info: CloseInfo) => void;

  constructor(cid: number, service: string, peer: string, secure: boolean) {
    this.cid = cid;
    this.service = service;
    this.peer = peer;
    this.secure = secure;
    this.closed = new Promise((r) => (this.resolveClosed = r));
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  get hasCallback(): boolean {
    return this.callback !== undefined;
  }

  send(term: Term): void {
    if (this.state !== 'open') return;
    const bytes = encodeTerm(term);
    post({ t: 'send', cid: this.cid, term: bytes }, bytes);
  }

  reply(term: Term): void {
    if (!this.current) {
      throw new ChanError('badArgument', 'mm.reply() called before any message was received; use mm.send() for pushes', { details: { service: this.service } });
    }
    this.current.reply(term);
  }

  close(reason = 'handlerClosed'): void {
    if (this.state !== 'open') return;
    this.local();
    post({ t: 'close', cid: this.cid, reason });
  }

  [Symbol.asyncIterator](): AsyncIterator<Term> {
    return {
      next: async () => {
        const r = await this.mailbox.next();
        if (r.done) return { value: undefined, done: true };
        this.current = r.value;
        noteTaken(this.cid);
        return { value: r.value.term, done: false };
      },
      return: async () => ({ value: undefined, done: true }),
    };
  }

  requests(): AsyncIterable<Request> {
    return {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          const r = await this.mailbox.next();
          if (!r.done) noteTaken(this.cid);
          return r;
        },
        return: async () => ({ value: undefined, done: true }),
      }),
    };
  }

  onMessage(cb: MessageCallback): void {
    this.callback = cb;
    for (let r = this.mailbox.size; r > 0; r--) {
      void this.mailbox.next().then((it) => !it.done && this.dispatch(it.value));
    }
  }

  /** @internal */
  replyTo(req: Request, term: Term): void {
    if (this.secure && !req.isCall) {
      throw new ChanError('badArgument', 'this message was a cast: there is no caller to reply to (use mm.send() for a push)', { details: { service: this.service } });
    }
    if (this.state !== 'open') return;
    const bytes = encodeTerm(term);
    post({ t: 'reply', cid: this.cid, id: req.id, call: req.isCall, at: req.receivedAt, term: bytes }, bytes);
  }

  /** @internal */
  failTo(req: Request, code: string, message: string): void {
    if ((this.secure && !req.isCall) || this.state !== 'open') return;
    post({ t: 'fail', cid: this.cid, id: req.id, call: req.isCall, at: req.receivedAt, code: String(code), message: String(message) });
  }

  /** @internal A message from the peer (checked on the main thread). */
  deliver(req: Request): void {
    if (this.state !== 'open') return;
    if (this.callback) this.dispatch(req);
    else this.mailbox.push(req);
  }

  /** @internal Graceful shutdown, as MiddleMan.drain(). */
  drain(): void {
    if (this.state !== 'open') return;
    if (this.callback) this.close('shutdown');
    else this.mailbox.end();
  }

  /** @internal The handler threw: the main thread closes the channel and logs the stack. */
  crashed(e: unknown): void {
    if (this.state !== 'open') return;
    this.local(true);
    const err = e instanceof Error ? e : new Error(String(e));
    post({ t: 'crash', cid: this.cid, name: err.name, message: err.message, stack: err.stack });
  }

  /** @internal The main thread closed the channel. */
  ended(info: CloseInfo): void {
    this.local(info.error !== undefined);
    this.resolveClosed(info);
  }

  private local(drop = false): void {
    this.state = 'closed';
    this.mailbox.end();
    if (drop) this.mailbox.clear();
  }

  private dispatch(req: Request): void {
    const cb = this.callback!;
    this.current = req;
    noteTaken(this.cid);
    let out: unknown;
    try {
      out = cb(req.term, req);
    } catch (e) {
      this.crashed(e);
      return;
    }
    if (out instanceof Promise) {
      out.then((v) => v !== undefined && req.isCall && this.state === 'open' && req.reply(v as Term), (e) => this.crashed(e));
    } else if (out !== undefined && req.isCall) {
      req.reply(out as Term);
    }
  }
}

const channels = new Map<number, WorkerMiddleMan>();

/** Run `Fun(MM, ArgsC, ArgsS)` as spawnHandler does inline: its end ends the channel, a throw crashes only it. */
function run(handler: Handler, mm: WorkerMiddleMan, argsC: Term, argsS: Term): void {
  let out: unknown;
  try {
    out = handler(mm, argsC, argsS);
  } catch (e) {
    mm.crashed(e);
    return;
  }
  if (out instanceof Promise) {
    out.then(() => !mm.hasCallback && mm.close('handlerReturned'), (e) => mm.crashed(e));
  } else if (!mm.hasCallback) {
    mm.close('handlerReturned');
  }
}

function onMessage(handler: Handler, argsS: Term, m: ToWorker): void {
  switch (m.t) {
    case 'ping':
      post({ t: 'pong', seq: m.seq });
      return;
    case 'open': {
      const mm = new WorkerMiddleMan(m.cid, init.service, m.peer, m.secure);
      channels.set(m.cid, mm);
      run(handler, mm, decodeTerm(m.argsC, TRUSTED), argsS);
      return;
    }
    case 'msg': {
      const mm = channels.get(m.cid);
      if (!mm) return;
      const req = new Request(mm, decodeTerm(m.term, TRUSTED), m.id, m.call);
      req.receivedAt = m.at;
      mm.deliver(req);
      return;
    }
    case 'drain':
      channels.get(m.cid)?.drain();
      return;
    case 'closed': {
      const mm = channels.get(m.cid);
      if (!mm) return;
      channels.delete(m.cid);
      const { reason, error, bytesIn, bytesOut, messagesIn, messagesOut } = m;
      mm.ended({ reason, error: error === undefined ? undefined : new ChanError('closed', error), bytesIn, bytesOut, messagesIn, messagesOut });
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
