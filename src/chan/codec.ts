/**
 * How a channel turns terms into frame payloads and back, once the login is
 * done. The legacy codec is bare ETF (the original's wire); the secure codec
 * adds a record kind and call id and encrypts every frame.
 */
import type { Term } from '../wire/etf/term.ts';
import { allocFrame } from '../wire/bytes.ts';
import { encodeTerm, encodeTermTransient } from '../wire/etf/encode.ts';
import { decodeTerm, type DecodeOptions } from '../wire/etf/decode.ts';
import { FRAME_HEADER_BYTES } from '../wire/frame.ts';

const RESERVE_FRAME_HEADER = { reserve: FRAME_HEADER_BYTES };

/** Record kinds; numbers are the secure protocol's (docs/protocol.md). Legacy frames are all `message`. */
export const KIND = {
  cast: 1,
  call: 2,
  reply: 3,
  push: 4,
  errorReply: 5,
  close: 6,
  /** A legacy frame: a bare term, no kind or id on the wire. */
  message: 0,
} as const;
export type Kind = (typeof KIND)[keyof typeof KIND];

export interface Inbound {
  kind: Kind;
  /** Call id for call / reply / errorReply; 0 otherwise. */
  id: number;
  term: Term;
  /** Bytes of the wire this message took (its frame, or its share of a batch record): what a mailbox counts. */
  bytes: number;
}

/** Where a codec's batch records go: the channel's own send path (an object, not a closure per connection). */
export interface FrameSink {
  sendFrame(frame: Uint8Array): void;
}

export interface ChannelCodec {
  readonly secure: boolean;
  /** Frame payload for one outbound record. Legacy ignores kind and id. */
  encode(kind: Kind, id: number, term: Term): Uint8Array;
  /**
   * The same payload after FRAME_HEADER_BYTES reserved bytes, for
   * Transport.sendReserved: the framer writes its length prefix there, so the
   * payload is not copied again on its way out. A small frame may be a view
   * into a shared slab (bytes.ts allocFrame). Undefined when the codec holds
   * the record for a batch: it reaches the sink given to sendBatchesTo() by
   * the end of the tick, or at flush().
   */
  encodeReserved(kind: Kind, id: number, term: Term): Uint8Array | undefined;
  /**
   * Parse one inbound frame payload; throws ChanError (badTerm, badRecord,
   * protocolError). The payload is the codec's from then on: it may be
   * decrypted in place, and large binaries of the term may be views of it.
   * A frame may hold more messages (a batch record): next() gives the rest.
   */
  decode(payload: Uint8Array): Inbound;
  /** The next message of the frame decode() was given last, or undefined when it holds no more; throws as decode(). */
  next(): Inbound | undefined;
  /**
   * Records held for a batch go to `sink` (in order, before any later frame
   * encodeReserved returns), if the peer reads batches; a codec that never
   * batches ignores it.
   */
  sendBatchesTo(sink: FrameSink): void;
  /** Hand the records held for a batch to the sink now: before the transport ends. */
  flush(): void;
}

export class LegacyCodec implements ChannelCodec {
  readonly secure = false;
  private readonly decodeOptions: DecodeOptions;
  constructor(decodeOptions: DecodeOptions) {
    this.decodeOptions = channelDecodeOptions(decodeOptions, false);
  }
  encode(_kind: Kind, _id: number, term: Term): Uint8Array {
    return encodeTerm(term);
  }
  /** Copied out of the encoder into allocFrame(): a small frame lands in a slab, off V8's heap (bytes.ts). */
  encodeReserved(_kind: Kind, _id: number, term: Term): Uint8Array {
    const t = encodeTermTransient(term, RESERVE_FRAME_HEADER);
    const out = allocFrame(t.length);
    out.set(t);
    return out;
  }
  decode(payload: Uint8Array): Inbound {
    return { kind: KIND.message, id: 0, term: decodeTerm(payload, this.decodeOptions), bytes: payload.length + FRAME_HEADER_BYTES };
  }
  next(): undefined {
    return undefined;
  }
  sendBatchesTo(): void {}
  flush(): void {}
}

const LEGACY_DERIVED = new WeakMap<DecodeOptions, DecodeOptions>();
const SECURE_DERIVED = new WeakMap<DecodeOptions, DecodeOptions>();
/**
 * A channel's decode options from its service's (or client's): one frozen object per base and kind,
 * not one per connection, so the decoder checks the limits once (decodeTerm caches frozen options).
 * The frame is the transport's, or the opened record's buffer, and read by nobody after decode():
 * large binaries may stay views of it. A secure channel's plaintext is never quoted in errors.
 */
export function channelDecodeOptions(base: DecodeOptions, secure: boolean): DecodeOptions {
  const cache = secure ? SECURE_DERIVED : LEGACY_DERIVED;
  let d = cache.get(base);
  if (d === undefined) {
    d = Object.freeze(secure ? { ...base, excerpt: false, shareLargeBinaries: true } : { ...base, shareLargeBinaries: true });
    cache.set(base, d);
  }
  return d;
}
