/**
 * The record layer of the secure channel: every frame after the handshake is
 * `secretbox(plaintext, nonce(counter), key_direction)`, and the plaintext
 * carries one channel message (record kind + call id + ETF term bytes).
 *
 * Nonce rule: each direction has its own key and its own 64-bit counter,
 * starting at 0 and increased by one per record. The 24-byte nonce is the
 * counter little-endian in bytes 0..7, then 16 zero bytes. A key never meets
 * the same nonce twice. The receiver opens each record with exactly the next
 * counter, so a dropped, replayed, reordered, truncated or modified record
 * fails the MAC: badRecord, and the opener stays failed (the connection must
 * close). Counter 2^64 - 1 is never used: reaching it is limitExceeded.
 */
import { ChanError } from '../../errors.ts';
import { type CryptoProvider, SECRETBOX_KEY_BYTES, SECRETBOX_MAC_BYTES, SECRETBOX_NONCE_BYTES, tweetnaclProvider } from '../crypto.ts';
import { allocFrame, wipe } from '../../wire/bytes.ts';
import type { Session, Side } from './handshake.ts';
import { writeCounterNonce } from './schedule.ts';

export const RECORD_MAC_BYTES = SECRETBOX_MAC_BYTES;

const MAX_U32 = 0xffffffff;

/** One direction's record state: its key, then its nonce. */
const RECORD_STATE_BYTES = SECRETBOX_KEY_BYTES + SECRETBOX_NONCE_BYTES;

export interface RecordOptions {
  provider?: CryptoProvider;
  /** The side that owns this sealer/opener (named in errors). */
  side: Side;
  /** Tests only: start at this counter (to reach exhaustion). @default 0n */
  startCounter?: bigint;
}

/** Counter state shared by sealer and opener: lo/hi 32-bit halves, no bigint on the hot path. */
abstract class CounterNonce {
  protected readonly provider: CryptoProvider;
  protected readonly side: Side;
  protected readonly key: Uint8Array;
  protected readonly nonce: Uint8Array;
  protected lo: number;
  protected hi: number;

  /** `state`: where this direction's key copy and nonce live (RECORD_STATE_BYTES; see recordLayer). */
  constructor(key: Uint8Array, opts: RecordOptions, state = new Uint8Array(RECORD_STATE_BYTES)) {
    if (!(key instanceof Uint8Array) || key.length !== SECRETBOX_KEY_BYTES) {
      throw new ChanError('badArgument', `record key must be ${SECRETBOX_KEY_BYTES} bytes`);
    }
    this.provider = opts.provider ?? tweetnaclProvider;
    this.side = opts.side;
    state.set(key, 0);
    this.key = state.subarray(0, SECRETBOX_KEY_BYTES);
    this.nonce = state.subarray(SECRETBOX_KEY_BYTES, RECORD_STATE_BYTES);
    const start = opts.startCounter ?? 0n;
    this.lo = Number(start & 0xffffffffn);
    this.hi = Number((start >> 32n) & 0xffffffffn);
  }

  /** The counter of the next record (as a number: exact below 2^53). */
  get counter(): number {
    return this.hi * 0x100000000 + this.lo;
  }

  /** Zero the key; the object is unusable afterwards. */
  destroy(): void {
    wipe(this.key);
    this.lo = MAX_U32;
    this.hi = MAX_U32;
  }

  /** Set the nonce for the current counter; throws at 2^64 - 1 (never used). */
  protected nextNonce(): Uint8Array {
    if (this.lo === MAX_U32 && this.hi === MAX_U32) {
      throw new ChanError('limitExceeded', `${this.side}: record counter exhausted (or the channel was destroyed); the connection must close`, {
        details: { phase: 'record', side: this.side, counter: this.counter },
      });
    }
    writeCounterNonce(this.nonce, this.lo, this.hi);
    return this.nonce;
  }

  protected advance(): void {
    if (this.lo === MAX_U32) {
      this.lo = 0;
      this.hi++;
    } else {
      this.lo++;
    }
  }
}

export class RecordSealer extends CounterNonce {
  /**
   * Seal one record. The result has `headroom` bytes in front of the box
   * (MAC || ciphertext), so a framer can write its length prefix there
   * without a copy (frame.ts writeFrameHeader). Such a frame may be a view
   * into a shared slab (bytes.ts allocFrame): a transport that queues it
   * copies it first.
   */
  seal(plain: Uint8Array, headroom = 0): Uint8Array {
    const nonce = this.nextNonce();
    const n = headroom + RECORD_MAC_BYTES + plain.length;
    const out = headroom === 0 ? new Uint8Array(n) : allocFrame(n);
    this.provider.secretboxSealInto(headroom === 0 ? out : out.subarray(headroom), plain, nonce, this.key);
    this.advance();
    return out;
  }
}

export class RecordOpener extends CounterNonce {
  private failed = false;

  /**
   * Open the next record; badRecord when it is not exactly the next record of
   * this direction, intact. With `inPlace` (and a provider that allows it) the
   * plaintext is written over the ciphertext and returned as a view of `boxed`:
   * for a caller that owns the frame and reads it no more.
   */
  open(boxed: Uint8Array, inPlace = false): Uint8Array {
    const nonce = this.nextNonce();
    if (this.failed || boxed.length < RECORD_MAC_BYTES) return this.fail(boxed.length);
    const out = inPlace && this.provider.openInPlace === true ? boxed.subarray(RECORD_MAC_BYTES) : new Uint8Array(boxed.length - RECORD_MAC_BYTES);
    if (!this.provider.secretboxOpenInto(out, boxed, nonce, this.key)) return this.fail(boxed.length);
    this.advance();
    return out;
  }

  private fail(length: number): never {
    this.failed = true;
    throw new ChanError('badRecord', `${this.side}: record ${this.counter} failed authentication (tampered, truncated, replayed, reordered or dropped)`, {
      details: { phase: 'record', side: this.side, counter: this.counter, actual: length },
    });
  }
}

/** The sealer and opener of one side of a finished handshake. */
export function recordLayer(session: Session, provider?: CryptoProvider): { sealer: RecordSealer; opener: RecordOpener } {
  const opts = { provider, side: session.side };
  // Both directions' keys and nonces in one allocation rather than four: each typed array with a buffer of
  // its own costs an ArrayBuffer and a native backing store (about 200 bytes) beside its bytes, for as
  // long as the connection lives (a 5,000-connection idle server holds 20,000 of them otherwise).
  const state = new Uint8Array(2 * RECORD_STATE_BYTES);
  return {
    sealer: new RecordSealer(session.sendKey, opts, state.subarray(0, RECORD_STATE_BYTES)),
    opener: new RecordOpener(session.receiveKey, opts, state.subarray(RECORD_STATE_BYTES)),
  };
}

// ---- record plaintext: one channel message ----

/**
 * | kind | name       | direction        | layout after the kind byte          |
 * |------|------------|------------------|-------------------------------------|
 * | 1    | cast       | client -> server | term                                |
 * | 2    | call       | client -> server | id(4, BE) term                      |
 * | 3    | reply      | server -> client | id(4, BE) term                      |
 * | 4    | push       | server -> client | term                                |
 * | 5    | errorReply | server -> client | id(4, BE) term `{error, Code, Msg}` |
 * | 6    | close      | either           | optional term (the reason)          |
 * | 7    | batch      | either           | (u32 length, record of kinds 1-6)+  |
 *
 * A batch carries several records under one seal, in order, each with a
 * length in front; it is sent only to a peer that announced FEATURE.batch
 * (handshake.ts). See batchItem().
 */
export const RECORD_KIND = { cast: 1, call: 2, reply: 3, push: 4, errorReply: 5, close: 6, batch: 7 } as const;
export type RecordKindName = keyof typeof RECORD_KIND;
export type RecordKind = (typeof RECORD_KIND)[RecordKindName];

/** Who may send each kind. */
const KIND_SENDER: Record<RecordKind, Side | 'either'> = { 1: 'client', 2: 'client', 3: 'server', 4: 'server', 5: 'server', 6: 'either', 7: 'either' };
const KIND_HAS_ID: Record<RecordKind, boolean> = { 1: false, 2: true, 3: true, 4: false, 5: true, 6: false, 7: false };

/** The length in front of each record of a batch. */
export const BATCH_ITEM_HEADER_BYTES = 4;

export interface ParsedRecord {
  kind: RecordKind;
  /** Call id (kinds call, reply, errorReply); 0 otherwise. */
  id: number;
  /** The ETF term bytes: a view into the plaintext, not a copy. Empty for a close without reason. */
  term: Uint8Array;
}

/** Header size of a record of `kind`: 1, or 5 with a call id. */
export function recordHeaderBytes(kind: RecordKind): number {
  return KIND_HAS_ID[kind] ? 5 : 1;
}

/** Write the header of `kind` at `offset` (for encoders that reserve room in front of the term); returns its size. */
export function writeRecordHeader(buf: Uint8Array, offset: number, kind: RecordKind, id = 0): number {
  if (KIND_SENDER[kind] === undefined) throw new ChanError('badArgument', `unknown record kind ${kind}`);
  buf[offset] = kind;
  if (!KIND_HAS_ID[kind]) return 1;
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new ChanError('badArgument', `call id ${id} is not a 32-bit unsigned integer`);
  buf[offset + 1] = id >>> 24;
  buf[offset + 2] = (id >>> 16) & 0xff;
  buf[offset + 3] = (id >>> 8) & 0xff;
  buf[offset + 4] = id & 0xff;
  return 5;
}

export function encodeRecordHeader(kind: RecordKind, id = 0): Uint8Array {
  const out = new Uint8Array(recordHeaderBytes(kind));
  writeRecordHeader(out, 0, kind, id);
  return out;
}

/** Header and term in one buffer (one copy of the term). */
export function encodeRecord(kind: RecordKind, id: number, term: Uint8Array): Uint8Array {
  const n = recordHeaderBytes(kind);
  const out = new Uint8Array(n + term.length);
  writeRecordHeader(out, 0, kind, id);
  out.set(term, n);
  return out;
}

/** Where parseRecordAt() leaves what it read: a caller on the hot path reuses one. */
export interface RecordHead {
  kind: RecordKind;
  /** Call id (kinds call, reply, errorReply); 0 otherwise. */
  id: number;
  /** Where the term starts (the record's end when it has none). */
  termStart: number;
}

/**
 * Parse a record plaintext. With `from`, a kind that side may not send is a
 * protocolError (a server never receives a reply, a client never a call).
 */
export function parseRecord(plain: Uint8Array, from?: Side): ParsedRecord {
  const head: RecordHead = { kind: 0 as RecordKind, id: 0, termStart: 0 };
  parseRecordAt(plain, 0, plain.length, from, head);
  return { kind: head.kind, id: head.id, term: plain.subarray(head.termStart) };
}

/** parseRecord() of the record at buf[start, end), into `head`: no view and no object per record. */
export function parseRecordAt(buf: Uint8Array, start: number, end: number, from: Side | undefined, head: RecordHead): void {
  const kind = end > start ? (buf[start] as RecordKind) : (0 as RecordKind);
  const sender = KIND_SENDER[kind];
  if (sender === undefined) {
    throw new ChanError('protocolError', `unknown record kind ${end > start ? kind : '(empty record)'}`, { details: { phase: 'record', actual: kind } });
  }
  if (from !== undefined && sender !== 'either' && sender !== from) {
    throw new ChanError('protocolError', `a ${from} may not send a record of kind ${kind}`, {
      details: { phase: 'record', side: from === 'client' ? 'server' : 'client', actual: kind },
    });
  }
  head.kind = kind;
  if (!KIND_HAS_ID[kind]) {
    head.id = 0;
    head.termStart = start + 1;
    return;
  }
  if (end - start < 5) {
    throw new ChanError('protocolError', `record of kind ${kind} too short for its call id`, { details: { phase: 'record', actual: end - start } });
  }
  head.id = ((buf[start + 1] << 24) | (buf[start + 2] << 16) | (buf[start + 3] << 8) | buf[start + 4]) >>> 0;
  head.termStart = start + 5;
}

/**
 * The record of a batch body (a batch record's plaintext after its kind
 * byte) whose length is at `offset`: it runs from offset +
 * BATCH_ITEM_HEADER_BYTES to the returned end. protocolError for a length cut
 * short, running past the body, or empty. The caller parses the record
 * (parseRecord) and refuses a batch inside a batch.
 */
export function batchItemEnd(body: Uint8Array, offset: number): number {
  const left = body.length - offset;
  if (left < BATCH_ITEM_HEADER_BYTES) {
    throw new ChanError('protocolError', `batch record: ${left} bytes left where a record length should be`, { details: { phase: 'record', actual: left } });
  }
  const len = ((body[offset] << 24) | (body[offset + 1] << 16) | (body[offset + 2] << 8) | body[offset + 3]) >>> 0;
  const start = offset + BATCH_ITEM_HEADER_BYTES;
  if (len === 0 || len > body.length - start) {
    throw new ChanError('protocolError', `batch record: a record of ${len} bytes where ${body.length - start} remain`, {
      details: { phase: 'record', actual: len, limit: body.length - start },
    });
  }
  return start + len;
}
