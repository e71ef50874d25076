/**
 * How a channel turns terms into frame payloads and back, once the login is
 * done. The legacy codec is bare ETF (the original's wire); the secure codec
 * adds a record kind and call id and encrypts every frame.
 */
import type { Term } from '../wire/etf/term.ts';
import { type DecodeOptions } from '../wire/etf/decode.ts';
/** Record kinds; numbers are the secure protocol's (docs/protocol.md). Legacy frames are all `message`. */
export declare const KIND: {
    readonly cast: 1;
    readonly call: 2;
    readonly reply: 3;
    readonly push: 4;
    readonly errorReply: 5;
    readonly close: 6;
    /** A legacy frame: a bare term, no kind or id on the wire. */
    readonly message: 0;
};
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
export declare class LegacyCodec implements ChannelCodec {
    private readonly decodeOptions;
    readonly secure = false;
    constructor(decodeOptions: DecodeOptions);
    encode(_kind: Kind, _id: number, term: Term): Uint8Array;
    decode(payload: Uint8Array): Inbound;
}
//# sourceMappingURL=codec.d.ts.map