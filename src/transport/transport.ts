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
 * The first half of start(): deliver the frames that came before it, in
 * order. `failed` is read again before each frame, since a frame's handler
 * may destroy the connection; once it is true the frames left are dropped.
 * The close, if the connection has already ended, is the caller's to report.
 */
export function replayEarly(events: TransportEvents, early: readonly Uint8Array[] | undefined, failed: () => boolean): void {
  if (!early) return;
  for (const f of early) {
    if (failed()) break;
    events.frame(f);
  }
}
