/**
 * The secure channel's codec: every frame is one sealed record whose
 * plaintext is a kind byte, a call id where the kind has one, and the ETF
 * term (docs/protocol.md, "Records"); or a batch record of several such
 * records under one seal. A record that fails to open closes the connection
 * (badRecord): nothing tampered, replayed or reordered is delivered.
 *
 * Batches: sealing and opening a small record costs about as much as
 * everything else a message costs (1-1.5 µs each way with sodium-native), so
 * to a peer that reads them (FEATURE.batch) the records after the first of a
 * tick are gathered into batch records: the first leaves as it is (a lone
 * message waits for nothing), the rest at the end of the tick or once
 * BATCH_RECORD_BYTES of them wait, and a record of BATCH_ITEM_MAX_BYTES or
 * more goes alone (behind what waited), as it would gain nothing and cost a
 * copy.
 */
import type { CryptoProvider } from '../auth/crypto.ts';
import { FEATURE, type Session } from '../auth/secure/handshake.ts';
import {
  BATCH_ITEM_HEADER_BYTES,
  RECORD_KIND,
  batchItemEnd,
  parseRecordAt,
  recordLayer,
  recordHeaderBytes,
  writeRecordHeader,
  type RecordOpener,
  type RecordSealer,
  type RecordHead,
  type RecordKind,
} from '../auth/secure/record.ts';
import { ChanError } from '../errors.ts';
import { wipe } from '../wire/bytes.ts';
import { encodeTerm, encodeTermTransient } from '../wire/etf/encode.ts';
import { decodeTerm, type DecodeOptions } from '../wire/etf/decode.ts';
import type { Term } from '../wire/etf/term.ts';
import { FRAME_HEADER_BYTES } from '../wire/frame.ts';
import { KIND, channelDecodeOptions, type ChannelCodec, type FrameSink, type Inbound, type Kind } from './codec.ts';

/** A batch is sealed and sent once this much plaintext waits, so that the peer opens it while this side fills the next. */
export const BATCH_RECORD_BYTES = 4 * 1024;
/** A record this long or longer is sealed alone rather than copied into a batch. */
export const BATCH_ITEM_MAX_BYTES = 1024;
const BATCH_BUFFER_BYTES = BATCH_RECORD_BYTES + BATCH_ITEM_MAX_BYTES + BATCH_ITEM_HEADER_BYTES;

/**
 * Batch buffers between ticks: a channel holds one only while it batches, so
 * an idle connection costs none (5,000 idle channels would otherwise hold 5 KiB each).
 */
const spareBuffers: Uint8Array[] = [];
const SPARE_BUFFERS = 16;

export class SecureCodec implements ChannelCodec {
  readonly secure = true;
  private readonly sealer: RecordSealer;
  private readonly opener: RecordOpener;
  private readonly peerSide: 'client' | 'server';
  private readonly decodeOptions: DecodeOptions;
  private readonly peerReadsBatches: boolean;

  /** Where batches go (sendBatchesTo); batching is off until it is set. */
  private sink: FrameSink | undefined;
  /** From the first record sent in a tick until endOfTick(): later records of the tick are batched. */
  private inTick = false;
  private destroyed = false;
  /** The batch being filled: kind byte, then (u32 length, record)*. */
  private batch: Uint8Array | undefined;
  private batchBytes = 0;
  private batchItems = 0;

  /** The batch record decode() was given last, and where its next record's length is. */
  private inBody: Uint8Array | undefined;
  private inPos = 0;

  constructor(session: Session, provider: CryptoProvider, decodeOptions: DecodeOptions) {
    // Decrypted bytes are never quoted in an error (it reaches logs and error replies).
    // Large binaries may stay views of the record: decode() opens it in place, in a frame this codec owns.
    this.decodeOptions = channelDecodeOptions(decodeOptions, true);
    const layer = recordLayer(session, provider);
    this.sealer = layer.sealer;
    this.opener = layer.opener;
    this.peerSide = session.side === 'client' ? 'server' : 'client';
    this.peerReadsBatches = (session.peerFeatures & FEATURE.batch) !== 0;
    // The session's copies of the keys are no longer needed: the record layer holds its own.
    wipe(session.sendKey, session.receiveKey);
  }

  sendBatchesTo(sink: FrameSink): void {
    if (this.peerReadsBatches) this.sink = sink;
  }

  /** One record, sealed alone (never batched): for tests and tools that want one frame per message. */
  encode(kind: Kind, id: number, term: Term): Uint8Array {
    const k = kind as RecordKind;
    const body = kind === KIND.close ? EMPTY : encodeTerm(term);
    const n = recordHeaderBytes(k);
    const plain = new Uint8Array(n + body.length);
    writeRecordHeader(plain, 0, k, id);
    plain.set(body, n);
    return this.sealer.seal(plain);
  }

  /** The term is encoded behind the record header (in the encoder's buffer) and sealed behind the frame header: no copy of either. */
  encodeReserved(kind: Kind, id: number, term: Term): Uint8Array | undefined {
    const k = kind as RecordKind;
    const n = recordHeaderBytes(k);
    // The plaintext lives only until seal() or the batch has copied it: the encoder's own buffer will do.
    const plain = kind === KIND.close ? new Uint8Array(n) : encodeTermTransient(term, n === 1 ? RESERVE_1 : RESERVE_5);
    writeRecordHeader(plain, 0, k, id);
    if (this.sink === undefined) return this.sealer.seal(plain, FRAME_HEADER_BYTES);
    if (!this.inTick) {
      this.inTick = true;
      afterThisTick(endOfTick, this);
      return this.sealer.seal(plain, FRAME_HEADER_BYTES);
    }
    if (plain.length >= BATCH_ITEM_MAX_BYTES || kind === KIND.close) {
      this.flush();
      return this.sealer.seal(plain, FRAME_HEADER_BYTES);
    }
    let b = this.batch;
    if (b === undefined) {
      b = this.batch = spareBuffers.pop() ?? new Uint8Array(BATCH_BUFFER_BYTES);
      b[0] = RECORD_KIND.batch;
      this.batchBytes = 1;
    }
    const at = this.batchBytes;
    const len = plain.length;
    b[at] = len >>> 24;
    b[at + 1] = (len >>> 16) & 0xff;
    b[at + 2] = (len >>> 8) & 0xff;
    b[at + 3] = len & 0xff;
    b.set(plain, at + BATCH_ITEM_HEADER_BYTES);
    this.batchBytes = at + BATCH_ITEM_HEADER_BYTES + len;
    this.batchItems++;
    if (this.batchBytes >= BATCH_RECORD_BYTES) this.flush();
    return undefined;
  }

  flush(): void {
    const items = this.batchItems;
    if (items === 0 || this.destroyed) return;
    const b = this.batch!;
    // A batch of one is sent as that record: the peer then opens what any peer reads.
    const plain = items === 1 ? b.subarray(1 + BATCH_ITEM_HEADER_BYTES, this.batchBytes) : b.subarray(0, this.batchBytes);
    const frame = this.sealer.seal(plain, FRAME_HEADER_BYTES);
    this.batchItems = 0;
    this.batchBytes = 1;
    this.sink!.sendFrame(frame);
  }

  /** @internal The tick in which records were sent ends: what waits leaves, and the next record starts a tick. */
  endOfTick(): void {
    this.inTick = false;
    this.flush();
    this.releaseBatch();
  }

  /** `payload` is the transport's frame, read by nobody after this: it is opened in place. */
  decode(payload: Uint8Array): Inbound {
    this.inBody = undefined;
    const plain = this.opener.open(payload, true);
    if (plain.length > 0 && plain[0] === RECORD_KIND.batch) {
      if (plain.length === 1) throw new ChanError('protocolError', 'empty batch record', { details: { phase: 'record', actual: 1 } });
      this.inBody = plain;
      this.inPos = 1;
      return this.next()!;
    }
    return this.message(plain, 0, plain.length, payload.length + FRAME_HEADER_BYTES);
  }

  next(): Inbound | undefined {
    const body = this.inBody;
    if (body === undefined) return undefined;
    const at = this.inPos;
    if (at >= body.length) {
      this.inBody = undefined;
      return undefined;
    }
    const end = batchItemEnd(body, at);
    this.inPos = end;
    const start = at + BATCH_ITEM_HEADER_BYTES;
    if (body[start] === RECORD_KIND.batch) {
      throw new ChanError('protocolError', 'a batch record inside a batch record', { details: { phase: 'record', actual: RECORD_KIND.batch } });
    }
    return this.message(body, start, end, end - at);
  }

  /** The record at buf[start, end). */
  private message(buf: Uint8Array, start: number, end: number, bytes: number): Inbound {
    const head = HEAD;
    parseRecordAt(buf, start, end, this.peerSide, head);
    const term = head.kind === KIND.close || head.termStart === end ? undefined : decodeTerm(buf.subarray(head.termStart, end), this.decodeOptions);
    return { kind: head.kind as Kind, id: head.id, term, bytes };
  }

  destroy(): void {
    this.destroyed = true;
    this.releaseBatch();
    this.sealer.destroy();
    this.opener.destroy();
  }

  private releaseBatch(): void {
    const b = this.batch;
    if (b === undefined) return;
    this.batch = undefined;
    this.batchItems = 0;
    if (spareBuffers.length < SPARE_BUFFERS) spareBuffers.push(b);
  }
}

function endOfTick(c: SecureCodec): void {
  c.endOfTick();
}

/**
 * Node's process.nextTick where there is one: it runs once the promise
 * callbacks of this turn have run too, so the replies a handler makes in them
 * share a batch. Elsewhere (browsers) a microtask, which ends a batch sooner.
 * Looked up on globalThis so that the browser bundle holds no Node global.
 */
const nodeNextTick = (globalThis as { process?: { nextTick?: (f: (c: SecureCodec) => void, c: SecureCodec) => void } }).process?.nextTick;
const afterThisTick: (f: (c: SecureCodec) => void, c: SecureCodec) => void = nodeNextTick ?? ((f, c) => queueMicrotask(() => f(c)));

const EMPTY = new Uint8Array(0);
/** What parseRecordAt() read, shared by every codec: each reads it at once (one object, not one per connection). */
const HEAD: RecordHead = { kind: RECORD_KIND.cast, id: 0, termStart: 0 };
const RESERVE_1 = { reserve: 1 };
const RESERVE_5 = { reserve: 5 };
