/**
 * The secure channel's codec: every frame is one sealed record whose
 * plaintext is a kind byte, a call id where the kind has one, and the ETF
 * term (docs/protocol.md, "Records"). A record that fails to open closes the
 * connection (badRecord): nothing tampered, replayed or reordered is delivered.
 */
import type { CryptoProvider } from '../auth/crypto.ts';
import type { Session } from '../auth/secure/handshake.ts';
import {
  parseRecord,
  recordLayer,
  recordHeaderBytes,
  writeRecordHeader,
  type RecordOpener,
  type RecordSealer,
  type RecordKind,
} from '../auth/secure/record.ts';
import { wipe } from '../wire/bytes.ts';
import { encodeTerm, encodeTermTransient } from '../wire/etf/encode.ts';
import { decodeTerm, type DecodeOptions } from '../wire/etf/decode.ts';
import type { Term } from '../wire/etf/term.ts';
import { FRAME_HEADER_BYTES } from '../wire/frame.ts';
import { KIND, type ChannelCodec, type Inbound, type Kind } from './codec.ts';

export class SecureCodec implements ChannelCodec {
  readonly secure = true;
  private readonly sealer: RecordSealer;
  private readonly opener: RecordOpener;
  private readonly peerSide: 'client' | 'server';

  private readonly decodeOptions: DecodeOptions;

  constructor(session: Session, provider: CryptoProvider, decodeOptions: DecodeOptions) {
    // Decrypted bytes are never quoted in an error (it reaches logs and error replies).
    // Large binaries may stay views of the record: decode() opens it in place, in a frame this codec owns.
    this.decodeOptions = secureDecodeOptions(decodeOptions);
    const layer = recordLayer(session, provider);
    this.sealer = layer.sealer;
    this.opener = layer.opener;
    this.peerSide = session.side === 'client' ? 'server' : 'client';
    // The session's copies of the keys are no longer needed: the record layer holds its own.
    wipe(session.sendKey, session.receiveKey);
  }

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
  encodeReserved(kind: Kind, id: number, term: Term): Uint8Array {
    const k = kind as RecordKind;
    const n = recordHeaderBytes(k);
    // The plaintext lives only until seal() has copied it into the box: the encoder's own buffer will do.
    const plain = kind === KIND.close ? new Uint8Array(n) : encodeTermTransient(term, { reserve: n });
    writeRecordHeader(plain, 0, k, id);
    return this.sealer.seal(plain, FRAME_HEADER_BYTES);
  }

  /** `payload` is the transport's frame, read by nobody after this: it is opened in place. */
  decode(payload: Uint8Array): Inbound {
    const plain = this.opener.open(payload, true);
    const rec = parseRecord(plain, this.peerSide);
    const term = rec.kind === KIND.close || rec.term.length === 0 ? undefined : decodeTerm(rec.term, this.decodeOptions);
    return { kind: rec.kind as Kind, id: rec.id, term };
  }

  destroy(): void {
    this.sealer.destroy();
    this.opener.destroy();
  }
}

const EMPTY = new Uint8Array(0);

/** One derived options object per service's options (they are made once per service), not one per connection. */
const DERIVED = new WeakMap<DecodeOptions, DecodeOptions>();
function secureDecodeOptions(base: DecodeOptions): DecodeOptions {
  let d = DERIVED.get(base);
  if (d === undefined) {
    d = { ...base, excerpt: false, shareLargeBinaries: true };
    DERIVED.set(base, d);
  }
  return d;
}
