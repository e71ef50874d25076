import { parseRecord, recordLayer, recordHeaderBytes, writeRecordHeader } from "../auth/secure/record.js";
import { wipe } from "../wire/bytes.js";
import { encodeTerm } from "../wire/etf/encode.js";
import { decodeTerm } from "../wire/etf/decode.js";
import { KIND } from "./codec.js";
export class SecureCodec {
    decodeOptions;
    secure = true;
    sealer;
    opener;
    peerSide;
    constructor(session, provider, decodeOptions) {
        this.decodeOptions = decodeOptions;
        const layer = recordLayer(session, provider);
        this.sealer = layer.sealer;
        this.opener = layer.opener;
        this.peerSide = session.side === 'client' ? 'server' : 'client';
        // The session's copies of the keys are no longer needed: the record layer holds its own.
        wipe(session.sendKey, session.receiveKey);
    }
    encode(kind, id, term) {
        const k = kind;
        const body = kind === KIND.close ? EMPTY : encodeTerm(term);
        const n = recordHeaderBytes(k);
        const plain = new Uint8Array(n + body.length);
        writeRecordHeader(plain, 0, k, id);
        plain.set(body, n);
        return this.sealer.seal(plain);
    }
    decode(payload) {
        const plain = this.opener.open(payload);
        const rec = parseRecord(plain, this.peerSide);
        const term = rec.kind === KIND.close || rec.term.length === 0 ? undefined : decodeTerm(rec.term, this.decodeOptions);
        return { kind: rec.kind, id: rec.id, term };
    }
    destroy() {
        this.sealer.destroy();
        this.opener.destroy();
    }
}
const EMPTY = new Uint8Array(0);
//# sourceMappingURL=secure-codec.js.map