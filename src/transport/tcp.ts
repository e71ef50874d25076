/** The TCP transport: node:net sockets with `{packet, 4}` framing. */
import net from 'node:net';
import { FrameDeadline } from './frame-deadline.ts';
import { ChanError } from '../errors.ts';
import { FRAME_HEADER_BYTES, FrameDecoder, encodeFrame, writeFrameHeader } from '../wire/frame.ts';
import { EventGate, isLoopbackAddress, type Transport, type TransportEvents } from './transport.ts';
import { isSharedView, releaseFrame } from '../wire/bytes.ts';
import { EARLY_BATCH_BYTES, UNCORK_FRAME_BYTES } from './write-batching.ts';

/** Frames smaller than this are copied behind their header; larger ones are written as two chunks. */
const COALESCE_BYTES = 16 * 1024;
/**
 * The buffer that small frames of one tick are copied into: room for what may wait (less than
 * EARLY_BATCH_BYTES, as it is written once it reaches that) plus one small frame (less than COALESCE_BYTES).
 */
const BATCH_BYTES = EARLY_BATCH_BYTES + COALESCE_BYTES;

/**
 * After end() (our FIN), time the peer has to close its side before the
 * socket is destroyed: a peer that never does must not hold a descriptor
 * for ever (its connection no longer counts against maxConnections).
 */
export const END_GRACE_MS = 10_000;

export class TcpTransport extends EventGate implements Transport {
  readonly peer: string;
  readonly remoteAddress: string;
  readonly isLoopback: boolean;
  private readonly socket: net.Socket;
  private readonly decoder: FrameDecoder;
  private closeError: ChanError | undefined;
  private closed = false;
  private endTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly onClosed: ((t: TcpTransport) => void) | undefined;
  private readonly meter: ((bytes: number) => void) | undefined;
  /** frameTimeoutMs, when set (0 = off). */
  private readonly frameDeadline: FrameDeadline | undefined;
  /** True while a nextTick is due to hand this tick's frames to the socket (see write()). */
  private due = false;
  /** True while the socket is corked until the end of this tick: only once a large frame was written in it (see write()). */
  private corked = false;
  /** This tick's small frames not yet handed to the socket: the first as it is, from the second on copied into `batch`. */
  private first: Uint8Array | undefined;
  private batch: Buffer | undefined;
  private batchBytes = 0;
  /** Large frames of sendReserved() handed to the socket, oldest first, until their write completes (then releaseFrame). */
  private largeInFlight: Uint8Array[] | undefined;
  private largeWritten: (() => void) | undefined;
  /** Set by hold(): the bytes read but not delivered, in order, for detach(). */
  private kept: Uint8Array[] | undefined;

  /**
   * `onClosed`: told when the socket is closed (the server's list of open
   * sockets). `remote`: the peer as the caller dialled it (a client knows
   * it; asking the socket costs a getpeername call).
   */
  constructor(socket: net.Socket, opts: TcpTransportOptions) {
    super();
    this.socket = socket;
    this.onClosed = opts.onClosed;
    this.meter = opts.meter;
    this.frameDeadline = opts.frameTimeoutMs ? new FrameDeadline(opts.frameTimeoutMs, this) : undefined;
    this.remoteAddress = opts.remote?.address ?? socket.remoteAddress ?? 'unknown';
    const port = opts.remote?.port ?? socket.remotePort ?? 0;
    this.peer = this.remoteAddress.includes(':') ? `[${this.remoteAddress}]:${port}` : `${this.remoteAddress}:${port}`;
    this.isLoopback = isLoopbackAddress(this.remoteAddress);
    this.decoder = new FrameDecoder(opts.maxFrameBytes, {
      loginFrames: opts.loginFrames,
      maxLoginFrameBytes: opts.maxLoginFrameBytes,
      alloc: allocUninitialised,
    });
    socket.setNoDelay(true);
    // Shared listeners that find their transport on the socket: no closures per connection.
    (socket as SocketWithTransport)[kTransport] = this;
    socket.on('data', onSocketData);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
  }

  get queuedBytes(): number {
    return this.socket.writableLength + (this.first?.length ?? 0) + this.batchBytes;
  }

  get bufferedBytes(): number {
    return this.decoder.heldBytes + this.earlyBytes;
  }

  endLogin(): void {
    this.decoder.endLogin();
  }

  start(events: TransportEvents): void {
    // As onData: nothing more is delivered once there is an error (a handler may destroy the socket).
    this.startEvents(events, () => this.closeError !== undefined);
  }

  /** @internal */
  onData(data: Uint8Array): void {
    if (this.kept) {
      // A read that came while held (the socket was paused, so at most one under way): kept behind the partial frame.
      this.keepPartial();
      this.kept.push(data.slice());
      return;
    }
    let frames: Uint8Array[];
    const heldBefore = this.decoder.heldBytes;
    try {
      // A plain view of the read: the frames cut from it are then plain Uint8Arrays too (a Buffer's
      // subarray builds a FastBuffer through JS, and decodeTerm re-viewed every Buffer frame as a
      // Uint8Array): 8% of the server's CPU in legacy.casts.
      frames = this.decoder.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    } catch (e) {
      this.destroy(e as ChanError);
      return;
    }
    if (this.frameDeadline) {
      if (this.decoder.inFrame) this.frameDeadline.running(frames.length > 0);
      else this.frameDeadline.idle();
    }
    // The budget hears of what this read makes the transport hold: a frame that spans reads grows its buffer
    // by doubling, so one read may add more than its own length (test/integration/transport-meter.test.ts).
    this.meter?.(Math.max(data.length, this.decoder.heldBytes - heldBefore));
    for (let i = 0; i < frames.length; i++) {
      if (this.socket.destroyed) return;
      // A frame handler may have called hold() (the narrowing of the check above does not hold past a call).
      const kept = this.kept as Uint8Array[] | undefined;
      if (kept) {
        // The frames after the one that handed the connection over are kept, as they came.
        for (let j = i; j < frames.length; j++) kept.push(encodeFrame(frames[j]));
        return;
      }
      this.deliverFrame(frames[i]);
    }
  }

  /**
   * Stop delivering frames, in the tick a login hands its connection to
   * another process (src/server/processes.ts): what was read but not
   * delivered, and what comes until detach(), is kept as bytes, in order.
   */
  hold(): void {
    this.kept ??= [];
    this.socket.pause();
  }

  /**
   * Let the socket go to its new owner (after hold(), with nothing left to
   * write: see flushed()). No event comes here any more; `rest` is every
   * byte read from the peer and not delivered, to be fed to the next reader
   * before its own reads.
   */
  detach(): { socket: net.Socket; rest: Uint8Array[] } {
    const s = this.socket;
    s.off('data', onSocketData);
    s.off('error', onSocketError);
    s.off('close', onSocketClose);
    const rest = (this.kept ??= []);
    this.keepPartial();
    this.kept = undefined;
    // What the paused stream holds (read() would emit it as 'data' to a listener: ours is gone).
    for (let c: Buffer | null; (c = s.read() as Buffer | null) !== null;) rest.push(c);
    // Reads stop now, not when the handle is closed after the other process has it: libuv would go on reading
    // and drop what the peer sends meanwhile (child_process sets the handle's onread to a no-op). Private, so guarded.
    (s as unknown as { _handle?: { readStop?: () => number } })._handle?.readStop?.();
    this.closed = true;
    if (this.endTimer) clearTimeout(this.endTimer);
    this.frameDeadline?.stop();
    this.onClosed?.(this);
    return { socket: s, rest };
  }

  private keepPartial(): void {
    const partial = this.decoder.takePartial();
    if (partial) this.kept!.push(partial);
  }

  /** A frame started frameTimeoutMs ago is still not complete: a dribbling peer is cut. */
  /** @internal FrameDeadlineOwner: the frame under way is late. */
  frameLate(): void {
    const got = this.decoder.bufferedBytes;
    const ms = this.frameDeadline!.ms;
    this.destroy(
      new ChanError('timeout', `frame from ${this.peer} not finished within frameTimeoutMs=${ms} (${got} bytes of it received)`, {
        details: { limit: ms, actual: got, peer: this.peer, phase: 'frame', key: 'frameTimeoutMs' },
      }),
    );
  }

  /** @internal */
  onError(err: NodeJS.ErrnoException): void {
    this.closeError ??= new ChanError('connectionLost', `connection to ${this.peer} failed: ${err.message}`, { cause: err, details: { peer: this.peer } });
  }

  /** @internal */
  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.endTimer) clearTimeout(this.endTimer);
    this.frameDeadline?.stop();
    this.onClosed?.(this);
    if (this.decoder.bufferedBytes > 0 && !this.closeError) {
      this.closeError = new ChanError(
        'connectionLost',
        `connection from ${this.peer} closed in the middle of a frame (${this.decoder.bufferedBytes} bytes of it received)`,
        {
          details: { peer: this.peer, phase: 'frame' },
        },
      );
    }
    this.deliverClose(this.closeError);
  }

  send(payload: Uint8Array): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    if (payload.length < COALESCE_BYTES) {
      const buf = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
      writeFrameHeader(buf, payload.length);
      buf.set(payload, FRAME_HEADER_BYTES);
      this.write(buf);
    } else {
      const head = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
      writeFrameHeader(head, payload.length);
      this.write(head);
      this.write(payload);
    }
    // Last: the budget may close this very connection.
    this.meter?.(payload.length);
  }

  sendReserved(buf: Uint8Array): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    writeFrameHeader(buf, buf.length - FRAME_HEADER_BYTES);
    if (buf.length >= COALESCE_BYTES) this.writeLarge(buf);
    else this.write(buf);
    this.meter?.(buf.length);
  }

  /** A large frame of the codec's (allocFrame): written as it is, and handed back to the frame pool once the socket has written it. */
  private writeLarge(buf: Uint8Array): void {
    this.corkTick();
    this.flushBatch();
    // Write callbacks come in order, so one callback per connection (made on the first large frame) releases the oldest.
    (this.largeInFlight ??= []).push(buf);
    this.socket.write(buf, (this.largeWritten ??= () => this.largeDone()));
    // A large frame leaves now rather than at the end of the tick: with a burst of them (bulk casts, each
    // sealed in turn) the peer reads and opens the first while this side seals the next, instead of both
    // sides taking turns. A system call per 32 KiB or more is small beside the copy it carries.
    if (buf.length >= UNCORK_FRAME_BYTES) this.uncork();
  }

  /** A large frame's write completed (or failed with the socket): its buffer goes back to the pool. */
  private largeDone(): void {
    const buf = this.largeInFlight?.shift();
    if (buf !== undefined) releaseFrame(buf);
  }

  /**
   * The frames sent in one tick go out in few system calls (a burst of casts,
   * or the replies to every frame of one read, is a write per
   * EARLY_BATCH_BYTES and per large frame, not one per frame): small frames
   * wait here, copied into one buffer from the second on (one chunk for the
   * socket rather than a chunk per frame, each a Buffer wrapper, a queue entry
   * and an iovec), until a nextTick hands them to the socket. The socket
   * itself is corked only when a large frame is written as a chunk of its
   * own, so that its header (in the batch) and its payload leave together: a
   * tick of small frames, a sequential rpc's one reply, goes straight to the
   * socket's write without the stream's cork, uncork and buffer walk.
   */
  private write(buf: Uint8Array): void {
    if (buf.length >= COALESCE_BYTES) {
      this.corkTick();
      this.flushBatch();
      this.socket.write(buf);
      // As in writeLarge: a large payload leaves now (its header is already in the batch just flushed).
      if (buf.length >= UNCORK_FRAME_BYTES) this.uncork();
      return;
    }
    this.flushAtTickEnd();
    if (this.batch === undefined) {
      if (this.first === undefined) {
        this.first = buf;
        return;
      }
      this.batch = Buffer.allocUnsafe(BATCH_BYTES);
      this.batch.set(this.first, 0);
      this.batchBytes = this.first.length;
      this.first = undefined;
    }
    if (this.batchBytes + buf.length > this.batch.length) {
      this.flushBatch();
      this.first = buf;
      return;
    }
    this.batch.set(buf, this.batchBytes);
    this.batchBytes += buf.length;
    if (this.batchBytes >= EARLY_BATCH_BYTES) this.uncork();
  }

  private flushBatch(): void {
    const first = this.first;
    let chunk = first ?? this.batch?.subarray(0, this.batchBytes);
    this.first = undefined;
    this.batch = undefined;
    this.batchBytes = 0;
    if (chunk === undefined || this.socket.destroyed) return;
    const s = this.socket;
    if (chunk === first && isSharedView(chunk) && (this.corked || s.writableLength > 0 || s.pending)) {
      // A frame slab's view that the stream will queue (behind a cork, other writes, or the connect): a slow
      // reader's queue must hold bytes of its own, not 16 KiB slabs. An idle socket writes at once (libuv's
      // try-write), and the view is free when write() returns: a sequential rpc's reply, or its request, then
      // costs no allocation. Only a write the kernel cannot take whole is queued as it is: one per connection
      // that stops reading, pinning at most its slab beside the kernel's own send buffer for that socket.
      // Safe because no slab is written again once handed out (bytes.ts), nor is Node's Buffer pool, which
      // send()'s small frames come from.
      const own = Buffer.allocUnsafeSlow(chunk.length);
      own.set(chunk);
      chunk = own;
    }
    s.write(chunk);
  }

  /** Cork the socket until the end of this tick (a large frame's chunks are about to be written). */
  private corkTick(): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
    }
    this.flushAtTickEnd();
  }

  private flushAtTickEnd(): void {
    if (this.due) return;
    this.due = true;
    process.nextTick(endOfTick, this);
  }

  /** @internal The frames waiting go to the socket now, and a cork is lifted. */
  uncork(): void {
    this.flushBatch();
    if (!this.corked) return;
    this.corked = false;
    this.socket.uncork();
  }

  /** @internal The tick's nextTick. */
  tickEnded(): void {
    this.due = false;
    this.uncork();
  }

  end(): void {
    if (this.socket.destroyed) return;
    this.uncork();
    this.socket.end();
    this.endTimer ??= setTimeout(() => this.socket.destroy(), END_GRACE_MS);
    this.endTimer.unref?.();
  }

  /** Resolves once what was sent is handed to the OS (or the socket is gone): shutdown waits for it. */
  flushed(): Promise<void> {
    this.uncork();
    const s = this.socket;
    if (s.destroyed || s.writableFinished || (!s.writableEnded && s.writableLength === 0)) return Promise.resolve();
    return new Promise((r) => {
      const done = (): void => {
        s.off('finish', done);
        s.off('close', done);
        s.off('drain', onDrain);
        r();
      };
      const onDrain = (): void => {
        if (!s.writableEnded) done();
      };
      s.once('finish', done);
      s.once('close', done);
      s.on('drain', onDrain);
    });
  }

  destroy(error?: ChanError): void {
    if (error) this.closeError ??= error;
    // What was sent before the destroy still goes out, as it did before writes were batched per tick.
    this.uncork();
    this.socket.destroy();
  }
}

export interface TcpTransportOptions {
  maxFrameBytes: number;
  /** The first `loginFrames` frames are refused from their prefix past maxLoginFrameBytes (the server's login). */
  loginFrames?: number;
  maxLoginFrameBytes?: number;
  /** Time a frame has from its first byte to its last; 0 (the default) for none. */
  frameTimeoutMs?: number;
  /** Told the size of every read and every frame sent (the server's memory budget). */
  meter?: (bytes: number) => void;
  /** Told when the socket is closed (the server's list of open sockets). */
  onClosed?: (t: TcpTransport) => void;
  /** The peer as the caller dialled it (a client knows it; asking the socket costs a getpeername call). */
  remote?: { address: string; port: number };
}

const kTransport = Symbol('lib_chan.transport');
type SocketWithTransport = net.Socket & { [kTransport]: TcpTransport };

/** A plain Uint8Array of its own over uninitialised memory (the frame decoder fills it before use). */
function allocUninitialised(n: number): Uint8Array {
  return new Uint8Array(Buffer.allocUnsafeSlow(n).buffer, 0, n);
}

function endOfTick(t: TcpTransport): void {
  t.tickEnded();
}

function onSocketData(this: net.Socket, data: Buffer): void {
  (this as SocketWithTransport)[kTransport].onData(data);
}

function onSocketError(this: net.Socket, err: NodeJS.ErrnoException): void {
  (this as SocketWithTransport)[kTransport].onError(err);
}

function onSocketClose(this: net.Socket): void {
  (this as SocketWithTransport)[kTransport].onClose();
}

/** Open a TCP connection; rejects with connectionRefused / timeout. */
export function connectTcp(
  host: string,
  port: number,
  opts: { maxFrameBytes: number; timeoutMs: number; meter?: (bytes: number) => void },
): Promise<TcpTransport> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new ChanError('timeout', `could not connect to ${host}:${port} within ${opts.timeoutMs} ms`, {
          details: { peer: `${host}:${port}`, phase: 'connect' },
        }),
      );
    }, opts.timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(new TcpTransport(socket, { maxFrameBytes: opts.maxFrameBytes, remote: { address: host, port }, meter: opts.meter }));
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new ChanError('connectionRefused', `could not connect to ${host}:${port}: ${err.code ?? err.message}. Is the server running and the port right?`, {
          cause: err,
          details: { peer: `${host}:${port}`, phase: 'connect' },
        }),
      );
    });
  });
}
