import { type CryptoProvider } from '../crypto.ts';
import type { Session, Side } from './handshake.ts';
export declare const RECORD_MAC_BYTES = 16;
export interface RecordOptions {
    provider?: CryptoProvider;
    /** The side that owns this sealer/opener (named in errors). */
    side: Side;
    /** Tests only: start at this counter (to reach exhaustion). @default 0n */
    startCounter?: bigint;
}
/** Counter state shared by sealer and opener: lo/hi 32-bit halves, no bigint on the hot path. */
declare abstract class CounterNonce {
    protected readonly provider: CryptoProvider;
    protected readonly side: Side;
    protected readonly key: Uint8Array;
    protected readonly nonce: Uint8Array<ArrayBuffer>;
    protected lo: number;
    protected hi: number;
    constructor(key: Uint8Array, opts: RecordOptions);
    /** The counter of the next record (as a number: exact below 2^53). */
    get counter(): number;
    /** Zero the key; the object is unusable afterwards. */
    destroy(): void;
    /** Set the nonce for the current counter; throws at 2^64 - 1 (never used). */
    protected nextNonce(): Uint8Array;
    protected advance(): void;
}
export declare class RecordSealer extends CounterNonce {
    /**
     * Seal one record. The result has `headroom` bytes in front of the box
     * (MAC || ciphertext), so a framer can write its length prefix there
     * without a copy (frame.ts writeFrameHeader).
     */
    seal(plain: Uint8Array, headroom?: number): Uint8Array;
}
export declare class RecordOpener extends CounterNonce {
    private failed;
    /** Open the next record; badRecord when it is not exactly the next record of this direction, intact. */
    open(boxed: Uint8Array): Uint8Array;
    private fail;
}
/** The sealer and opener of one side of a finished handshake. */
export declare function recordLayer(session: Session, provider?: CryptoProvider): {
    sealer: RecordSealer;
    opener: RecordOpener;
};
/**
 * | kind | name       | direction        | layout after the kind byte          |
 * |------|------------|------------------|-------------------------------------|
 * | 1    | cast       | client -> server | term                                |
 * | 2    | call       | client -> server | id(4, BE) term                      |
 * | 3    | reply      | server -> client | id(4, BE) term                      |
 * | 4    | push       | server -> client | term                                |
 * | 5    | errorReply | server -> client | id(4, BE) term `{error, Code, Msg}` |
 * | 6    | close      | either           | optional term (the reason)          |
 */
export declare const RECORD_KIND: {
    readonly cast: 1;
    readonly call: 2;
    readonly reply: 3;
    readonly push: 4;
    readonly errorReply: 5;
    readonly close: 6;
};
export type RecordKindName = keyof typeof RECORD_KIND;
export type RecordKind = (typeof RECORD_KIND)[RecordKindName];
export interface ParsedRecord {
    kind: RecordKind;
    /** Call id (kinds call, reply, errorReply); 0 otherwise. */
    id: number;
    /** The ETF term bytes: a view into the plaintext, not a copy. Empty for a close without reason. */
    term: Uint8Array;
}
/** Header size of a record of `kind`: 1, or 5 with a call id. */
export declare function recordHeaderBytes(kind: RecordKind): number;
/** Write the header of `kind` at `offset` (for encoders that reserve room in front of the term); returns its size. */
export declare function writeRecordHeader(buf: Uint8Array, offset: number, kind: RecordKind, id?: number): number;
export declare function encodeRecordHeader(kind: RecordKind, id?: number): Uint8Array;
/** Header and term in one buffer (one copy of the term). */
export declare function encodeRecord(kind: RecordKind, id: number, term: Uint8Array): Uint8Array;
/**
 * Parse a record plaintext. With `from`, a kind that side may not send is a
 * protocolError (a server never receives a reply, a client never a call).
 */
export declare function parseRecord(plain: Uint8Array, from?: Side): ParsedRecord;
export {};
//# sourceMappingURL=record.d.ts.map