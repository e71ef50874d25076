/**
 * How a channel turns terms into frame payloads and back, once the login is
 * done. The legacy codec is bare ETF (the original's wire); the secure codec
 * adds a record kind and call id and encrypts every frame.
 */
import type { Term } from '../wire/etf/term.ts';
import { encodeTerm } from '../wire/etf/encode.ts';
import { decodeTerm, type DecodeOptions } from '../wire/etf/decode.ts';

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
}

export interface ChannelCodec {
  readonly secure: boolean;
  /** Frame payload for one outbound record. Legacy ignores kind and id. */
  encode(kind: Kind, id: number, term: Term): Uint8Array;
  /** Parse one inbound frame payload; throws ChanError (badTerm, badRecord, protocolError). */
  decode(payload: Uint8Array): Inbound;
}

export class LegacyCodec implements ChannelCodec {
  readonly secure = false;
  constructor(private readonly decodeOptions: DecodeOptions) {}
  encode(_kind: Kind, _id: number, term: Term): Uint8Array {
    return encodeTerm(term);
  }
  decode(payload: Uint8Array): Inbound {
    return { kind: KIND.message, id: 0, term: decodeTerm(payload, this.decodeOptions) };
  }
}
