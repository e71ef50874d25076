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
  /** Begin delivering events. Frames that arrived earlier are delivered now. */
  start(events: TransportEvents): void;
  /** Send one frame payload. */
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
  private ended = false;
  private reported = false;
  private endError: ChanError | undefined;

  /** Begin delivering: the early frames in order, stopping once `failed()` (a handler may destroy the transport), then a close that came first. */
  protected startEvents(events: TransportEvents, failed: () => boolean): void {
    this.events = events;
    const early = this.early;
    this.early = undefined;
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
    else (this.early ??= []).push(frame);
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
