/**
 * The secure channel's codec: every frame is one sealed record whose
 * plaintext is a kind byte, a call id where the kind has one, and the ETF
 * term (docs/protocol.md, "Records"). A record that fails to open closes the
 * connection (badRecord): nothing tampered, replayed or reordered is delivered.
 */
import type { CryptoProvider } from '../auth/crypto.ts';
import type { Session } from '../auth/secure/handshake.ts';
import { type DecodeOptions } from '../wire/etf/decode.ts';
import type { Term } from '../wire/etf/term.ts';
import { type ChannelCodec, type Inbound, type Kind } from './codec.ts';
export declare class SecureCodec implements ChannelCodec {
    private readonly decodeOptions;
    readonly secure = true;
    private readonly sealer;
    private readonly opener;
    private readonly peerSide;
    constructor(session: Session, provider: CryptoProvider, decodeOptions: DecodeOptions);
    encode(kind: Kind, id: number, term: Term): Uint8Array;
    decode(payload: Uint8Array): Inbound;
    destroy(): void;
}
//# sourceMappingURL=secure-codec.d.ts.map