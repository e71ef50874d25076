import type { Transport } from '../transport/transport.ts';
import { type CryptoProvider, type KeyPair } from '../auth/crypto.ts';
import { clientStart } from '../auth/secure/handshake.ts';
import type { DecodeOptions } from '../wire/etf/decode.ts';
import type { Term } from '../wire/etf/term.ts';
import type { ChannelCodec } from '../chan/codec.ts';
import type { FrameWaiter } from './connect.ts';
export interface SecureClientOptions {
    /** The server's public key to pin: `lcsk1:...` text, 64 hex digits, or 32 bytes. */
    serverKey?: string | Uint8Array;
    /** Node: known-hosts file for trust on first use; `false` to disable. @default ~/.lib_chan/known_hosts */
    knownHosts?: string | false;
    /** Called with the server's key after it proved it holds it; throw to refuse (TOFU checkers). */
    checkServerKey?: (serverKey: Uint8Array) => void;
    /** Log in with this Ed25519 key pair instead of a password. */
    clientKey?: KeyPair;
    /** Node: read the Ed25519 key pair from this key file (`lib_chan keygen --client`). */
    clientKeyFile?: string;
    /** Crypto implementation (tweetnacl by default; Node passes its native provider). */
    crypto?: CryptoProvider;
    /**
     * @internal The key the server will probably present (its known-hosts
     * entry), never trusted: only used to compute the es DH ahead, as for a
     * pinned key. The check (pin or checkServerKey) decides.
     */
    serverKeyHint?: Uint8Array;
    /**
     * @internal A hello made while the TCP connect was in flight (its key pair
     * generation then costs no latency); used once, by this login only.
     */
    preparedHello?: ReturnType<typeof clientStart>;
}
export declare function parseServerKey(key: string | Uint8Array): Uint8Array;
export declare function secureLogin(transport: Transport, waiter: FrameWaiter, service: string, password: string | null, argsC: Term, options: SecureClientOptions, decodeOptions: DecodeOptions): Promise<ChannelCodec>;
//# sourceMappingURL=secure-login.d.ts.map