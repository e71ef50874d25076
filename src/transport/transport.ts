/**
 * What the channel layer sees of a connection: frames in, frames out, close.
 * TCP adds the 4-byte length prefix; WebSocket sends one binary message per
 * frame. Nothing above this interface knows which one it has.
 */
import type { ChanError } from '../errors.ts';

export interface TransportEvents {
  /** One complete frame payload. May be a view into a read buffer: use it before returning. */
  frame(payload: Uint8Array): void;
  /** The connection is gone. `error` says why when it was not an orderly close. */
  close(error?: ChanError): void;
}

export interface Transport {
  /** "host:port" of the peer, for logs. */
  readonly peer: string;
  /** The peer's address alone (rate limits, per-address connection limits). */
  readonly remoteAddress: string;
  /** True when the peer is on a loopback address (the legacy login's default policy). */
  readonly isLoopback: boolean;
  /** True when remoteAddress came from a trusted proxy's forwarding header, not from the socket. */
  readonly forwarded?: boolean;
  /** Bytes accepted by send() but not yet handed to the network. */
  readonly queuedBytes: number;
  /**
   * Memory held for what came in but was not delivered yet: a partial frame's
   * buffer and frames waiting for start(). The server's maxBufferedBytes
   * budget counts it (transports that cannot tell leave it out).
   */
  readonly bufferedBytes?: number;
  /**
   * The login is over: frames may now be as long as maxFrameBytes (until
   * then the first frames of a connection are held to maxLoginFrameBytes,
   * where the transport can check that from the length prefix).
   */
  endLogin?(): void;
  /**
   * Begin delivering events to `events`. Frames that arrived before the first
   * start() are delivered now, in order (then the close, if it came first).
   *
   * Handing over: start() may be called again to give the connection to a new
   * owner (the Session owns it during the login, then its MiddleMan). From
   * that call on every event goes to the new owner and none to the old; the
   * transport keeps nothing between owners, so the handover must happen in
   * the tick the old owner decided it (frames the old owner kept, such as
   * those behind a secure login, it passes on itself, in order, before any
   * new one: MiddleMan's `pending`).
   */
  start(events: TransportEvents): void;
  /**
   * Send one frame payload. The transport may hold it (corked until the end of the tick, or queued for a
   * slow reader) without copying it: the caller must not change it afterwards.
   */
  send(payload: Uint8Array): void;
  /**
   * Send a frame whose first FRAME_HEADER_BYTES bytes are reserved for the
   * length prefix (encoders reserve them to save a copy).
   */
  sendReserved(buf: Uint8Array): void;
  /** Orderly close: flush what is queued, then close. */
  end(): void;
  /** Close at once; `error` is reported to the close event. */
  destroy(error?: ChanError): void;
}

/**
 * Frames of a login from a client, held to maxLoginFrameBytes by the server's
 * transports: the first (startService or the secure hello), then the answer
 * to the challenge or the secure login message.
 */
export const LOGIN_FRAMES = 2;

export function isLoopbackAddress(addr: string): boolean {
  return addr === '::1' || addr.startsWith('127.') || addr.startsWith('::ffff:127.') || addr === 'localhost';
}

/**
 * The events side every transport shares: frames that arrive before start()
 * wait, in order, and are delivered by it; the close is reported exactly
 * once, when it happens or at start() if it happened before, however many
 * paths lead to it (a frame handler that destroys the transport, then the
 * socket's own close event).
 */
export abstract class EventGate {
  private events: TransportEvents | undefined;
  /** Allocated only when a frame comes before start(). */
  private early: Uint8Array[] | undefined;
  /** Bytes in `early`. */
  protected earlyBytes = 0;
  private ended = false;
  private reported = false;
  private endError: ChanError | undefined;

  /** Begin delivering: the early frames in order, stopping once `failed()` (a handler may destroy the transport), then a close that came first. */
  protected startEvents(events: TransportEvents, failed: () => boolean): void {
    this.events = events;
    const early = this.early;
    this.early = undefined;
    this.earlyBytes = 0;
    if (early) {
      for (const f of early) {
        if (failed()) break;
        events.frame(f);
      }
    }
    this.reportClose();
  }

  protected deliverFrame(frame: Uint8Array): void {
    if (this.events) this.events.frame(frame);
    else {
      // Kept past this call: a copy, since the frame may be a view into a read buffer.
      (this.early ??= []).push(frame.slice());
      this.earlyBytes += frame.length;
    }
  }

  /** The connection is gone; `error` says why when it was not orderly. Later calls are ignored. */
  protected deliverClose(error?: ChanError): void {
    if (this.ended) return;
    this.ended = true;
    this.endError = error;
    this.reportClose();
  }

  private reportClose(): void {
    if (!this.ended || this.reported || !this.events) return;
    this.reported = true;
    this.events.close(this.endError);
  }
}
