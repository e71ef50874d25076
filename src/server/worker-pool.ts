/**
 * Worker isolation (`{isolation, worker}`): a service's handlers run in a
 * worker thread, supervised from the main thread like an Erlang supervisor
 * supervises its children.
 *
 * - **One worker per service**, many channels multiplexed over its port (a
 *   worker costs a V8 isolate and a module load, ~10 MB and ~0.3 s; one per
 *   channel would cost that per login). The socket side of every channel
 *   (SocketSide: socket, codec, schema, limits) stays on the main thread; the
 *   worker runs the handler with the same handler-side MiddleMan as inline
 *   (worker-entry.ts). This file is the port between the two: the channel's
 *   HandlerEnd on this side, its MiddleManLink calls from the worker.
 * - **Watchdog**: the main thread pings each worker every watchdogMs/4; a ping
 *   unanswered for watchdogMs (an event loop blocked by a spin, or starved by
 *   microtasks) terminates the worker. A worker that exceeds workerMaxHeapMb is
 *   terminated by V8. Either way every channel it served closes with
 *   `handlerCrashed` (pending calls on secure channels first get an error reply
 *   saying why), logged with the service and peer. Other services, inline or
 *   in their own workers, never notice: the main thread keeps serving.
 * - **Unresponsive worker**: a worker whose ping is a quarter of watchdogMs
 *   late takes no new channels: a fresh worker of the same service does (up to
 *   maxServiceWorkers threads per service), so new clients are answered while
 *   the old one spins until the watchdog ends it.
 * - **Mailbox budget**: what is posted to a worker is decoded into its heap at
 *   once, whether or not the handler takes it. The estimated heap size of the
 *   messages not taken yet is bounded per worker (workerMailboxBytes, at most
 *   a quarter of workerMaxHeapMb); past it the channel holding the most is
 *   closed with limitExceeded, so one user flooding a channel loses that
 *   channel instead of getting the worker, and every channel on it, killed.
 * - **Restart strategy**: after a crash the service's worker is restarted at
 *   once for new channels, unless it crashed more than `restart.intensity`
 *   times within `restart.periodMs`; then the service is down: new logins are
 *   refused (badService, with the reason logged) until the conf is reloaded.
 */
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { ChanError } from '../errors.ts';
import { LIMITS } from '../limits.ts';
import type { CloseInfo, HandlerEnd } from '../chan/middle-man.ts';
import { logHandlerCrash, type SocketSide } from '../chan/socket-side.ts';
import { encodeTerm } from '../wire/etf/encode.ts';
import { decodeTerm, type DecodeOptions } from '../wire/etf/decode.ts';
import { Atom, BitBinary, ErlFloat, ImproperList, Opaque, Tuple, type Term } from '../wire/etf/term.ts';
import type { ServiceConfig } from '../conf/schema.ts';
import type { Logger } from './log.ts';
import type { FromWorker, PortError, ToWorker, WorkerInit } from './worker-protocol.ts';

const BOOT_URL = new URL('./worker-boot.mjs', import.meta.url);
// The same file the rest of the server runs as: compiled (lib/) or, in this repository's tests, the source under tsx.
const ENTRY_URL = new URL(import.meta.url.endsWith('.ts') ? './worker-entry.ts' : './worker-entry.js', import.meta.url).href;
// A worker resolves packages as the main thread does (e.g. the tests' --conditions); loader flags do not carry over (worker-boot.mjs).
const WORKER_EXEC_ARGV = process.execArgv.filter((a) => a.startsWith('--conditions=') || a.startsWith('-C='));

// Answers come from our own worker code; decode them with the widest limits.
const TRUSTED: DecodeOptions = {
  maxDepth: LIMITS.maxTermDepth.max,
  maxDecompressedBytes: LIMITS.maxDecompressedBytes.max,
  maxAtoms: LIMITS.maxAtomsPerTerm.max,
  maxIntegerBytes: LIMITS.maxIntegerBytes.max,
};

/** Why a worker thread ended other than by our asking. */
export type WorkerDeath = 'watchdog' | 'outOfMemory' | 'uncaught' | 'exited' | 'startFailed' | 'startTimeout';

export interface SupervisorHooks {
  /** A worker died (metrics). */
  workerCrashed?(service: string, reason: WorkerDeath): void;
}

interface WorkerChannel {
  readonly mm: SocketSide;
  readonly cid: number;
  /** Estimated heap bytes of each message posted to the worker that its handler has not taken yet, oldest first ('took' reports them in order). */
  readonly sizes: number[];
  /** Their sum. */
  outstandingBytes: number;
}

interface ServiceWorker {
  readonly worker: Worker;
  readonly threadId: number;
  readonly channels: Map<number, WorkerChannel>;
  /** Estimated heap bytes of the messages its handlers have not taken yet, all channels. */
  mailboxBytes: number;
  readonly ready: Promise<void>;
  state: 'starting' | 'ready' | 'dead';
  /** Takes no new channels; terminated when its last channel closes. */
  retired: boolean;
  /** Ended on purpose (retired, stopped): not a crash. */
  stopping: boolean;
  /** A ping went unanswered for a quarter of watchdogMs. */
  suspect: boolean;
  killReason: WorkerDeath | undefined;
  error: Error | undefined;
  pingSeq: number;
  /** performance.now() of the unanswered ping; 0 when none is out. */
  pingSentAt: number;
  lastTick: number;
  timer: ReturnType<typeof setInterval> | ReturnType<typeof setTimeout> | undefined;
  settleReady(error?: Error): void;
}

function deathText(reason: WorkerDeath, limits: ServiceConfig['limits']): string {
  switch (reason) {
    case 'watchdog':
      return `was terminated by the watchdog: its event loop did not answer within watchdogMs=${limits.watchdogMs}`;
    case 'outOfMemory':
      return `ran out of memory (workerMaxHeapMb=${limits.workerMaxHeapMb}) and was terminated`;
    case 'uncaught':
      return 'died of an uncaught exception';
    case 'exited':
      return 'exited';
    case 'startFailed':
      return 'failed to load the service module';
    case 'startTimeout':
      return `did not load the service module within workerStartTimeoutMs=${limits.workerStartTimeoutMs}`;
  }
}

export class WorkerSupervisor {
  readonly service: string;
  private readonly cfg: ServiceConfig;
  private readonly log: Logger;
  private readonly hooks: SupervisorHooks;
  private readonly workers = new Set<ServiceWorker>();
  private current: ServiceWorker | undefined;
  private crashes: number[] = [];
  private down: string | undefined;
  private started = false;
  private stopped = false;
  private nextCid = 1;

  constructor(cfg: ServiceConfig, log: Logger, hooks: SupervisorHooks = {}) {
    this.cfg = cfg;
    this.service = cfg.name;
    this.log = log;
    this.hooks = hooks;
  }

  /** Start the service's worker; rejects with badConf when it cannot load the module. */
  async start(): Promise<void> {
    const w = this.spawn();
    this.current = w;
    try {
      await w.ready;
    } catch (e) {
      this.stop();
      throw new ChanError(
        'badConf',
        `service ${this.service}: its worker thread ${deathText(w.killReason ?? 'startFailed', this.cfg.limits)}: ${(e as Error).message}`,
        {
          cause: e,
          details: { service: this.service, line: this.cfg.line },
        },
      );
    }
    this.started = true;
  }

  /** Why the service refuses new logins (its restart intensity was exceeded), or undefined. */
  unavailable(): string | undefined {
    return this.down;
  }

  /** Worker threads alive now (current, starting and retiring). */
  get workerCount(): number {
    return this.workers.size;
  }

  /** Thread id of the worker that takes new channels (tests, status). */
  get currentThreadId(): number | undefined {
    return this.current?.threadId;
  }

  /** Run the handler for a new channel in the service's worker. */
  attach(mm: SocketSide, argsC: Term): void {
    const w = this.pick();
    if (w === undefined) {
      // Down, or a login that was in flight while a reload replaced the service or the server stopped.
      const why = this.down ?? 'the conf was reloaded or the server is stopping during this login; log in again';
      mm.close(
        'handlerCrashed',
        new ChanError('handlerCrashed', `service ${this.service} cannot take the channel: ${why}`, { details: { service: this.service, peer: mm.peer } }),
      );
      return;
    }
    const cid = this.nextCid++;
    const ch: WorkerChannel = { mm, cid, sizes: [], outstandingBytes: 0 };
    w.channels.set(cid, ch);
    const args = encodeTerm(argsC);
    this.post(w, { t: 'open', cid, peer: mm.peer, secure: mm.secure, argsC: args, fencingToken: mm.fencingToken }, args);
    mm.attach(new PortEnd(this, w, ch));
  }

  /** @internal PortEnd: a checked message for the worker's handler. */
  forward(w: ServiceWorker, ch: WorkerChannel, term: Term, id: number, isCall: boolean): void {
    const bytes = encodeTerm(term);
    const size = heapEstimate(term, bytes.length);
    ch.sizes.push(size);
    ch.outstandingBytes += size;
    w.mailboxBytes += size;
    const budget = Math.min(this.cfg.limits.workerMailboxBytes, (this.cfg.limits.workerMaxHeapMb * 1024 * 1024) / 4);
    if (w.mailboxBytes > budget) {
      // Shed the channel holding the most; this message goes with it when it is that one.
      let top = ch;
      for (const c of w.channels.values()) if (c.outstandingBytes > top.outstandingBytes) top = c;
      top.mm.abort(
        new ChanError(
          'limitExceeded',
          `handler for ${this.service} has not taken ${top.outstandingBytes} bytes of messages (estimated) on this channel, and its worker's mailbox is over workerMailboxBytes=${budget}`,
          {
            details: { limit: budget, actual: top.outstandingBytes, service: this.service, peer: top.mm.peer, key: 'workerMailboxBytes' },
          },
        ),
      );
      if (top === ch) return;
    }
    this.post(w, { t: 'msg', cid: ch.cid, id, call: isCall, term: bytes }, bytes);
  }

  /** @internal PortEnd: the channel closed; tell the handler why (the same code and details as inline). */
  channelEnded(w: ServiceWorker, ch: WorkerChannel, info: CloseInfo): void {
    if (w.channels.get(ch.cid) !== ch) return;
    w.channels.delete(ch.cid);
    // What it had not taken is dropped with the channel in the worker.
    w.mailboxBytes -= ch.outstandingBytes;
    const { reason, bytesIn, bytesOut, messagesIn, messagesOut } = info;
    this.post(w, { t: 'closed', cid: ch.cid, reason, error: portError(info.error), bytesIn, bytesOut, messagesIn, messagesOut });
    if (w.retired && w.channels.size === 0) this.end(w);
  }

  /** Reload: no new channels; each worker ends when its last channel closes. */
  retire(): void {
    this.stopped = true;
    this.current = undefined;
    for (const w of this.workers) {
      w.retired = true;
      if (w.channels.size === 0) this.end(w);
    }
  }

  /** Shutdown: terminate every worker now (the server has drained the channels first). */
  stop(): void {
    this.stopped = true;
    this.current = undefined;
    for (const w of this.workers) this.end(w);
  }

  private pick(): ServiceWorker | undefined {
    if (this.down !== undefined || this.stopped) return undefined;
    let w = this.current;
    if (w === undefined) return undefined;
    if (w.suspect && this.workers.size < this.cfg.limits.maxServiceWorkers) {
      w.retired = true;
      this.log.warn(
        { event: 'workerReplaced', service: this.service, threadId: w.threadId, channels: w.channels.size },
        `service ${this.service}: worker ${w.threadId} is unresponsive; new channels go to a fresh worker`,
      );
      w = this.current = this.spawn();
    }
    return w;
  }

  /** @internal */
  post(w: ServiceWorker, msg: ToWorker, bytes?: Uint8Array): void {
    if (w.state === 'dead') return;
    if (bytes) w.worker.postMessage(msg, [bytes.buffer as ArrayBuffer]);
    else w.worker.postMessage(msg);
  }

  private spawn(): ServiceWorker {
    const limits = this.cfg.limits;
    const init: WorkerInit = {
      moduleUrl: pathToFileURL(this.cfg.modulePath).href,
      fn: this.cfg.fn,
      service: this.service,
      argsS: encodeTerm(this.cfg.argsS),
      entryUrl: ENTRY_URL,
    };
    const worker = new Worker(BOOT_URL, {
      // Not all the main thread's flags: its --import tsx does not work in a worker (worker-boot.mjs registers tsx when needed).
      execArgv: WORKER_EXEC_ARGV,
      workerData: init,
      resourceLimits: { maxOldGenerationSizeMb: limits.workerMaxHeapMb },
    });
    // The listeners keep the process alive, not the workers.
    worker.unref();
    let settleReady!: (error?: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      settleReady = (error) => (error ? reject(error) : resolve());
    });
    ready.catch(() => {});
    const w: ServiceWorker = {
      worker,
      threadId: worker.threadId,
      channels: new Map(),
      mailboxBytes: 0,
      ready,
      state: 'starting',
      retired: false,
      stopping: false,
      suspect: false,
      killReason: undefined,
      error: undefined,
      pingSeq: 0,
      pingSentAt: 0,
      lastTick: 0,
      timer: undefined,
      settleReady,
    };
    this.workers.add(w);
    w.timer = setTimeout(() => w.state === 'starting' && this.kill(w, 'startTimeout'), limits.workerStartTimeoutMs);
    w.timer.unref();
    worker.on('message', (m: FromWorker) => this.onMessage(w, m));
    worker.on('error', (e) => (w.error = e));
    worker.on('exit', (code) => this.onExit(w, code));
    return w;
  }

  private onMessage(w: ServiceWorker, m: FromWorker): void {
    switch (m.t) {
      case 'pong':
        if (m.seq === w.pingSeq) w.pingSentAt = 0;
        if (w.suspect) {
          w.suspect = false;
          this.log.info(
            { event: 'workerResponsive', service: this.service, threadId: w.threadId },
            `service ${this.service}: worker ${w.threadId} answers again`,
          );
        }
        return;
      case 'took':
        for (let i = 0; i < m.counts.length; i += 2) {
          const ch = w.channels.get(m.counts[i]);
          if (!ch) continue;
          ch.mm.took(m.counts[i + 1]);
          for (const size of ch.sizes.splice(0, m.counts[i + 1])) {
            ch.outstandingBytes -= size;
            w.mailboxBytes -= size;
          }
        }
        return;
      case 'ready':
        this.onReady(w);
        return;
      case 'startFailed': {
        const e = new Error(m.message);
        e.stack = m.stack;
        w.error = e;
        this.kill(w, 'startFailed');
        return;
      }
    }
    const ch = w.channels.get(m.cid);
    if (ch === undefined) {
      // The channel closed first: a crash is still the handler's bug, logged as inline.
      if (m.t === 'crash') logHandlerCrash(this.log, this.service, m.peer, remoteError(m));
      return;
    }
    const mm = ch.mm;
    try {
      switch (m.t) {
        case 'reply':
          mm.reply(m.id, decodeTerm(m.term, TRUSTED));
          return;
        case 'fail':
          mm.fail(m.id, m.code, m.message);
          return;
        case 'send':
          mm.push(decodeTerm(m.term, TRUSTED));
          return;
        case 'close':
          mm.close(m.reason);
          return;
        case 'crash':
          mm.crash(remoteError(m));
          return;
      }
    } catch (e) {
      mm.crash(e);
    }
  }

  private onReady(w: ServiceWorker): void {
    if (w.state !== 'starting') return;
    w.state = 'ready';
    clearTimeout(w.timer as ReturnType<typeof setTimeout>);
    w.settleReady();
    const watchdogMs = this.cfg.limits.watchdogMs;
    const every = Math.max(5, Math.floor(watchdogMs / 4));
    w.lastTick = performance.now();
    w.timer = setInterval(() => this.tick(w, every, watchdogMs), every);
    w.timer.unref();
    this.log.debug({ event: 'workerReady', service: this.service, threadId: w.threadId }, `service ${this.service}: worker ${w.threadId} ready`);
  }

  /** One watchdog step: ping, or judge the ping that is out. */
  private tick(w: ServiceWorker, every: number, watchdogMs: number): void {
    const now = performance.now();
    // If this thread was itself blocked, the pong may be waiting behind this timer: start over.
    const late = now - w.lastTick > 2 * every + 20;
    w.lastTick = now;
    if (w.pingSentAt === 0 || late) {
      w.pingSentAt = now;
      this.post(w, { t: 'ping', seq: ++w.pingSeq });
      return;
    }
    const age = now - w.pingSentAt;
    if (age >= watchdogMs) {
      this.kill(w, 'watchdog');
    } else if (!w.suspect && age >= every) {
      w.suspect = true;
      this.log.warn(
        { event: 'workerUnresponsive', service: this.service, threadId: w.threadId, waitedMs: Math.round(age), channels: w.channels.size },
        `service ${this.service}: worker ${w.threadId} has not answered the watchdog for ${Math.round(age)} ms`,
      );
    }
  }

  private kill(w: ServiceWorker, reason: WorkerDeath): void {
    if (w.state === 'dead' || w.killReason !== undefined) return;
    w.killReason = reason;
    void w.worker.terminate();
  }

  /** Terminate on purpose (retired or stopped): not a crash. */
  private end(w: ServiceWorker): void {
    if (w.state === 'dead') return;
    w.stopping = true;
    void w.worker.terminate();
  }

  private onExit(w: ServiceWorker, code: number): void {
    const wasStarting = w.state === 'starting';
    w.state = 'dead';
    clearTimeout(w.timer as ReturnType<typeof setTimeout>);
    clearInterval(w.timer as ReturnType<typeof setInterval>);
    this.workers.delete(w);
    if (this.current === w) this.current = undefined;
    if (w.stopping && w.killReason === undefined) {
      for (const ch of w.channels.values()) ch.mm.close('shutdown');
      w.channels.clear();
      w.settleReady(new Error('stopped'));
      return;
    }
    const reason: WorkerDeath =
      w.killReason ?? ((w.error as NodeJS.ErrnoException | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'outOfMemory' : w.error ? 'uncaught' : 'exited');
    const limits = this.cfg.limits;
    const key =
      reason === 'watchdog'
        ? { key: 'watchdogMs', limit: limits.watchdogMs }
        : reason === 'outOfMemory'
          ? { key: 'workerMaxHeapMb', limit: limits.workerMaxHeapMb }
          : reason === 'startTimeout'
            ? { key: 'workerStartTimeoutMs', limit: limits.workerStartTimeoutMs }
            : {};
    const text = `service ${this.service}: its worker thread ${deathText(reason, limits)}${reason === 'exited' ? ` with code ${code}` : ''}${w.error && reason !== 'outOfMemory' ? ` (${w.error.message})` : ''}`;
    this.log.error(
      {
        event: 'workerCrashed',
        service: this.service,
        threadId: w.threadId,
        reason,
        exitCode: code,
        channels: w.channels.size,
        ...key,
        err: w.error,
      },
      text,
    );
    this.hooks.workerCrashed?.(this.service, reason);
    for (const ch of w.channels.values()) {
      const err = new ChanError('handlerCrashed', `${text}; channel closed`, { details: { service: this.service, peer: ch.mm.peer, reason, ...key } });
      this.log.error(
        { event: 'handlerCrashed', service: this.service, peer: ch.mm.peer, reason, threadId: w.threadId, ...key },
        `${text}; closing the channel of ${ch.mm.peer}`,
      );
      // Waiting callers learn why before the channel goes (their rpc rejects with remoteError handlerCrashed).
      ch.mm.closeCrashed(err, text);
    }
    w.channels.clear();
    if (wasStarting) w.settleReady(w.error ?? new Error(deathText(reason, limits)));
    if (!this.started || this.stopped) return;
    this.restartAfterCrash(w, reason);
  }

  /** The supervisor's decision: restart for new channels, or give up until a reload. */
  private restartAfterCrash(w: ServiceWorker, reason: WorkerDeath): void {
    const { intensity, periodMs } = this.cfg.restart;
    const now = Date.now();
    this.crashes = this.crashes.filter((t) => now - t < periodMs);
    this.crashes.push(now);
    if (this.crashes.length > intensity) {
      this.down = `its worker crashed ${this.crashes.length} times within ${periodMs} ms (restart intensity ${intensity}); last: ${reason}. Reload the conf to start it again`;
      this.current = undefined;
      this.log.error(
        { event: 'serviceDown', service: this.service, crashes: this.crashes.length, intensity, periodMs, lastReason: reason },
        `service ${this.service} is down: ${this.down}`,
      );
      return;
    }
    if (this.current === undefined) {
      this.current = this.spawn();
      this.log.warn(
        {
          event: 'workerRestarted',
          service: this.service,
          threadId: this.current.threadId,
          crashed: w.threadId,
          crashes: this.crashes.length,
          intensity,
          periodMs,
        },
        `service ${this.service}: worker restarted after a crash (${this.crashes.length} of at most ${intensity} in ${periodMs} ms)`,
      );
    }
  }
}

/** The channel's HandlerEnd when its handler runs in a worker: each call becomes a port message. */
class PortEnd implements HandlerEnd {
  constructor(
    private readonly sup: WorkerSupervisor,
    private readonly w: ServiceWorker,
    private readonly ch: WorkerChannel,
  ) {}
  deliver(term: Term, id: number, isCall: boolean): void {
    this.sup.forward(this.w, this.ch, term, id, isCall);
  }
  drain(): void {
    this.sup.post(this.w, { t: 'drain', cid: this.ch.cid });
  }
  ended(info: CloseInfo): void {
    this.sup.channelEnded(this.w, this.ch, info);
  }
}

/** A close error in a form the port can carry: code, message and the plain values of its details. */
function portError(e: ChanError | undefined): PortError | undefined {
  if (e === undefined) return undefined;
  const details: PortError['details'] = {};
  for (const [k, v] of Object.entries(e.details)) {
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') details[k] = v;
  }
  return { code: e.code, message: e.message, details };
}

/** The worker's report of a handler's throw, as an Error with its name and stack. */
function remoteError(m: { name: string; message: string; stack?: string }): Error {
  const e = new Error(m.message);
  e.name = m.name;
  e.stack = m.stack;
  return e;
}

/** What the functions below need of a service registry (services.ts's Service; not imported: services.ts imports this file). */
interface SupervisedService {
  readonly config: ServiceConfig;
  supervisor?: WorkerSupervisor;
}
type Services = ReadonlyMap<string, SupervisedService>;

/**
 * What a term costs a worker's heap once decoded there, estimated from V8's
 * object sizes (a small empty array is ~32 bytes, while its ETF form is 1
 * byte: the encoded size alone would let a frame of nested empty lists
 * cost 30 times its length). Linear in the term's nodes; at least `encoded`.
 */
export function heapEstimate(term: Term, encoded: number): number {
  let bytes = 0;
  const stack: Term[] = [term];
  while (stack.length > 0) {
    const t = stack.pop();
    if (t === undefined || t === null || typeof t === 'boolean' || typeof t === 'number') bytes += 8;
    else if (typeof t === 'string') bytes += 24 + 2 * t.length;
    else if (typeof t === 'bigint') bytes += 24 + t.toString(16).length / 2;
    else if (t instanceof Uint8Array) bytes += 96 + t.length;
    else if (Array.isArray(t)) {
      bytes += 32 + 8 * t.length;
      for (const e of t) stack.push(e);
    } else if (t instanceof Tuple) {
      bytes += 56 + 8 * t.elements.length;
      for (const e of t.elements) stack.push(e);
    } else if (t instanceof Map) {
      bytes += 64 + 48 * t.size;
      for (const [k, v] of t) stack.push(k, v);
    } else if (t instanceof ImproperList) {
      bytes += 56 + 8 * t.elements.length;
      stack.push(t.tail);
      for (const e of t.elements) stack.push(e);
    } else if (t instanceof Atom) bytes += 32 + 2 * t.name.length;
    else if (t instanceof BitBinary || t instanceof Opaque) bytes += 128 + t.bytes.length;
    else if (t instanceof ErlFloat) bytes += 24;
    else {
      const o = t as Record<string, Term>;
      const keys = Object.keys(o);
      bytes += 64 + 48 * keys.length;
      for (const k of keys) stack.push(o[k]);
    }
  }
  return Math.max(bytes, encoded);
}

/**
 * Start a supervisor (and its worker) for every `{isolation, worker}` service that `runsHere` (a helper
 * process of `{processes, N}` runs only some); all ready, or none left running.
 */
export async function startWorkers(services: Services, log: Logger, hooks: SupervisorHooks = {}, runsHere?: (s: SupervisedService) => boolean): Promise<void> {
  const sups: WorkerSupervisor[] = [];
  for (const s of services.values()) {
    if (s.config.isolation !== 'worker' || runsHere?.(s) === false) continue;
    s.supervisor = new WorkerSupervisor(s.config, log, hooks);
    sups.push(s.supervisor);
  }
  try {
    await Promise.all(sups.map((s) => s.start()));
  } catch (e) {
    for (const s of sups) s.stop();
    throw e;
  }
}

/** Reload: the old services' workers take no new channels and end with their last channel. */
export function retireWorkers(services: Services): void {
  for (const s of services.values()) s.supervisor?.retire();
}

/** Shutdown: terminate every service worker. */
export function stopWorkers(services: Services): void {
  for (const s of services.values()) s.supervisor?.stop();
}
