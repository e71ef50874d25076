import { encodeTerm } from "../wire/etf/encode.js";
import { decodeTerm } from "../wire/etf/decode.js";
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
};
export class LegacyCodec {
    decodeOptions;
    secure = false;
    constructor(decodeOptions) {
        this.decodeOptions = decodeOptions;
    }
    encode(_kind, _id, term) {
        return encodeTerm(term);
    }
    decode(payload) {
        return { kind: KIND.message, id: 0, term: decodeTerm(payload, this.decodeOptions) };
    }
}
//# sourceMappingURL=codec.js.map