/**
 * The secure login as pure step functions: Noise NX (`-> e`, `<- e, ee, s,
 * es`) followed by client authentication inside the encrypted handshake, then
 * Split into one record key per direction. docs/protocol.md is the spec; the
 * byte layouts there and here must agree (a test recomputes its vectors).
 *
 *   client                                   server
 *   clientStart()            -- hello  -->   serverOnHello()
 *   clientOnReply()          <-- reply --
 *   clientAuth()             -- auth   -->   serverOnAuth()   (caller checks
 *                                             service, password or key list)
 *   clientOnResult()         <-- result --   serverResult()
 *
 * Each step takes the state returned by the previous one and returns the
 * next state plus the bytes to send (`out`: the payload of one frame; the
 * caller adds the 4-byte length prefix). A state can be used once: a second
 * use, or a state from the wrong step, is a protocolError. Steps do no I/O,
 * start no timers and read no clock; randomness comes only from
 * `provider.randomBytes`, so a test can replay a run exactly.
 *
 * Every failure is a ChanError whose details carry `{ phase, side }`: phase
 * is the message being handled ('hello' | 'reply' | 'auth' | 'result'), side
 * the end that detected it. On failure the state's secrets are wiped.
 * Ephemeral secrets are wiped as soon as their last DH is done, the chaining
 * key at Split.
 */
import { ChanError } from '../../errors.ts';
import { type CryptoProvider, type KeyPair } from '../crypto.ts';
import { SymmetricState } from './schedule.ts';
export type Side = 'client' | 'server';
export type HandshakePhase = 'hello' | 'reply' | 'auth' | 'result';
/** hello = MAGIC(4) || version(1) || e_c(32) */
export declare const HELLO_BYTES: number;
/** reply = e_s(32) || box(S_pub)(32+16) || box(payload)(16 + payload) */
export declare const REPLY_MIN_BYTES: number;
/** The auth plaintext is zero-padded to a multiple of this, so its size hides short lengths (password, service). */
export declare const AUTH_PAD_BYTES = 64;
export declare const MAX_SERVICE_BYTES = 1024;
export declare const MAX_PASSWORD_BYTES = 1024;
export declare const MAX_REASON_BYTES = 512;
/** Most versions a reply payload or refusal may list; keeps a refusal shorter than any reply. */
export declare const MAX_VERSIONS = 16;
/** Key proof: Ed25519 public key(32) || signature(64). */
export declare const KEY_PROOF_BYTES: number;
/** The client signs KEY_PROOF_DOMAIN || h, h being the handshake hash after the reply. */
export declare const KEY_PROOF_DOMAIN: Uint8Array<ArrayBuffer>;
/** Login methods, and their byte in the auth message. */
export declare const METHOD: {
    readonly none: 0;
    readonly password: 1;
    readonly key: 2;
};
export type AuthMethod = keyof typeof METHOD;
/**
 * Result codes of the server's last handshake message (and of a plaintext
 * refusal). `error` is the ChanError code the client reports for it.
 */
export declare const RESULT_CODES: {
    readonly ack: {
        readonly byte: 0;
        readonly error: null;
        readonly summary: "Logged in; the channel is open.";
    };
    readonly badService: {
        readonly byte: 1;
        readonly error: "badService";
        readonly summary: "No such service.";
    };
    readonly authFail: {
        readonly byte: 2;
        readonly error: "authFail";
        readonly summary: "Wrong password, or key not accepted by the service.";
    };
    readonly legacyRefused: {
        readonly byte: 3;
        readonly error: "legacyRefused";
        readonly summary: "Reserved (legacy login refused); never sent by the secure handshake.";
    };
    readonly methodRefused: {
        readonly byte: 4;
        readonly error: "authFail";
        readonly summary: "The service does not accept this login method.";
    };
    readonly rateLimited: {
        readonly byte: 5;
        readonly error: "limitExceeded";
        readonly summary: "Too many login attempts from this client; try later.";
    };
    readonly serverBusy: {
        readonly byte: 6;
        readonly error: "limitExceeded";
        readonly summary: "The server is at a connection or handshake limit.";
    };
    readonly versionUnsupported: {
        readonly byte: 7;
        readonly error: "protocolError";
        readonly summary: "The server does not speak the hello's version (refusal only).";
    };
    readonly badRequest: {
        readonly byte: 8;
        readonly error: "protocolError";
        readonly summary: "The login request cannot be served as sent (e.g. ArgsC is not a valid term).";
    };
};
export type ResultName = keyof typeof RESULT_CODES;
export interface HandshakeDeps {
    /** Defaults to tweetnaclProvider. */
    provider?: CryptoProvider;
}
export interface ServerDeps extends HandshakeDeps {
    /** The server's static X25519 key pair (S). */
    identity: KeyPair;
    /**
     * A fresh ephemeral key pair, never handed out twice (a pool that makes
     * them while the server is idle). @default provider.x25519Keypair(provider.randomBytes(32))
     */
    ephemeral?: () => KeyPair;
    /** Feature bits announced in the reply payload; none are defined in version 1. @default 0 */
    features?: number;
}
/** What the server announces, encrypted, in its reply. */
export interface ServerInfo {
    versions: number[];
    features: number;
    /** Bytes after the v1 fields: reserved for extensions, ignored by v1. */
    extensions: Uint8Array;
}
export interface ClientAuthRequest {
    service: string;
    method: AuthMethod;
    /** method 'password': sent encrypted as UTF-8 (a Uint8Array is sent as is). */
    password?: string | Uint8Array;
    /** method 'key': the client's Ed25519 key pair (secretKey = seed || publicKey). */
    clientKey?: KeyPair;
    /** Opaque bytes (the caller's ETF encoding of ArgsC). */
    argsC: Uint8Array;
}
/** The decrypted login request, for the server's policy check. */
export interface AuthRequest {
    service: string;
    method: AuthMethod;
    /** method 'password': the UTF-8 bytes sent; compare with passwordMatches() or verifyPasswordHash(). Wipe after use. */
    password?: Uint8Array;
    /** method 'key': the Ed25519 public key the client proved it holds (if signatureOk). */
    clientPublicKey?: Uint8Array;
    /** method 'key': whether the signature over this handshake verified. The allowed-keys check is the caller's. */
    signatureOk?: boolean;
    argsC: Uint8Array;
}
export interface AuthResult {
    code: ResultName;
    reason?: string;
}
/** What a finished handshake leaves: the record keys of this side, and h for channel binding. */
export interface Session {
    side: Side;
    version: number;
    /** Key for records this side sends. */
    sendKey: Uint8Array;
    /** Key for records this side receives. */
    receiveKey: Uint8Array;
    /** Final handshake hash (64 bytes): binds every handshake byte, the version and the protocol name. */
    handshakeHash: Uint8Array;
    /** The server's static public key (S_pub). */
    serverKey: Uint8Array;
    /** The client's Ed25519 public key when it logged in with method 'key'. */
    clientKey?: Uint8Array;
}
interface StateBase {
    readonly provider: CryptoProvider;
    readonly ss: SymmetricState;
    /** Set when a step consumes the state. */
    spent: boolean;
}
export interface ClientAwaitReply extends StateBase {
    readonly phase: 'clientAwaitReply';
    readonly e: KeyPair;
    /** DH(e_c, a pinned key), made while the reply is on its way (clientPrecomputeEs). */
    esGuess?: {
        serverKey: Uint8Array;
        shared: Uint8Array;
    };
}
export interface ClientReady extends StateBase {
    readonly phase: 'clientReady';
    readonly serverKey: Uint8Array;
    readonly serverInfo: ServerInfo;
}
export interface ClientAwaitResult extends StateBase {
    readonly phase: 'clientAwaitResult';
    readonly serverKey: Uint8Array;
    readonly clientKey?: Uint8Array;
}
export interface ServerAwaitAuth extends StateBase {
    readonly phase: 'serverAwaitAuth';
    readonly serverKey: Uint8Array;
}
export interface ServerAwaitDecision extends StateBase {
    readonly phase: 'serverAwaitDecision';
    readonly serverKey: Uint8Array;
    readonly method: AuthMethod;
    readonly clientKey?: Uint8Array;
    readonly signatureOk?: boolean;
}
export type HandshakeState = ClientAwaitReply | ClientReady | ClientAwaitResult | ServerAwaitAuth | ServerAwaitDecision;
/** Wipe every secret a handshake state holds (for a driver that abandons a handshake, e.g. on timeout). */
export declare function destroyState(state: HandshakeState): void;
/** Server reply payload: count(1) || versions(count) || features(4, BE) || extensions. */
export declare function encodeServerInfo(versions: readonly number[], features: number, extensions?: Uint8Array): Uint8Array;
/**
 * A plaintext refusal, sent instead of a reply before any key exchange:
 * MAGIC(4) || 0x00 || result(1) || count(1) || versions(count). At most 23
 * bytes, so it is never confused with a reply (at least REPLY_MIN_BYTES).
 * Used for an unknown hello version, and by a server that refuses before
 * spending DH work (serverBusy, rateLimited). It is not authenticated: a
 * network attacker can forge one, as it can always close the connection.
 */
export declare function encodeRefusal(code: ResultName, versions?: readonly number[]): Uint8Array;
/** The refusal in `frame`, or null when `frame` is not one. */
export declare function decodeRefusal(frame: Uint8Array): {
    code: ResultName | 'unknown';
    byte: number;
    versions: number[];
} | null;
/** Whether `signature` by `publicKey` signs this handshake's hash `h` (the one after the reply). */
export declare function verifyClientKeyProof(provider: CryptoProvider, h: Uint8Array, publicKey: Uint8Array, signature: Uint8Array): boolean;
/**
 * Compare a password proof with the conf's plaintext password without
 * leaking either length or content through timing: both are hashed first,
 * then compared in constant time.
 */
export declare function passwordMatches(provider: CryptoProvider, proof: Uint8Array, expected: string | Uint8Array): boolean;
/** Message 1. Returns the hello to send and the state that awaits the reply. */
export declare function clientStart(deps?: HandshakeDeps): {
    state: ClientAwaitReply;
    out: Uint8Array;
};
/**
 * Optional, between message 1 and message 2: compute DH(e_c, pinnedKey) while
 * the server works on its reply, so that clientOnReply has one X25519 left
 * instead of two when the server presents that key. Nothing about the
 * pinned key is trusted here; clientOnReply still decrypts S and compares.
 * A key that is not a usable X25519 point is ignored (the reply decides).
 */
export declare function clientPrecomputeEs(state: ClientAwaitReply, pinnedKey: Uint8Array): void;
export interface ServerKeyCheck {
    /** The server key this connection must present (e.g. from the connect options). */
    pinnedKey?: Uint8Array;
    /**
     * Called with S_pub after the server has proved it holds S, before any
     * credential exists; throw to stop (e.g. keys-node.ts knownHostsChecker).
     * Its exception propagates unchanged.
     */
    checkKey?: (serverKey: Uint8Array) => void;
}
/**
 * Message 2. Authenticates the server: decrypting the reply's payload needs
 * DH(e_c, S), which only the holder of S computes. Then the key checks run;
 * a pin that differs is serverKeyMismatch, raised before clientAuth can
 * produce any credential bytes.
 */
export declare function clientOnReply(state: ClientAwaitReply, frame: Uint8Array, check?: ServerKeyCheck): {
    state: ClientReady;
    serverKey: Uint8Array;
    serverInfo: ServerInfo;
};
/** Message 3: the login request, encrypted and bound to this handshake. */
export declare function clientAuth(state: ClientReady, req: ClientAuthRequest): {
    state: ClientAwaitResult;
    out: Uint8Array;
};
/**
 * Message 4. On ack, `session` holds the record keys; otherwise `error` is
 * the ChanError to report (badService, authFail, limitExceeded, ...), whose
 * details.result names the server's code.
 */
export declare function clientOnResult(state: ClientAwaitResult, frame: Uint8Array): {
    result: AuthResult;
    session?: Session;
    error?: ChanError;
};
/**
 * Message 1 in, message 2 out. A hello of an unknown version yields
 * `refused` (protocolError, details.actual = the version) and a plaintext
 * refusal in `out`: send it, then close. Anything else malformed throws.
 */
export declare function serverOnHello(deps: ServerDeps, frame: Uint8Array): {
    state: ServerAwaitAuth;
    out: Uint8Array;
    refused?: undefined;
} | {
    state?: undefined;
    out: Uint8Array;
    refused: ChanError;
};
/**
 * Message 3 in: decrypts and parses the login request and, for method
 * 'key', verifies the signature over this handshake (signatureOk). Whether
 * the service exists, the password is right or the key is allowed is the
 * caller's decision, given to serverResult().
 */
export declare function serverOnAuth(state: ServerAwaitAuth, frame: Uint8Array): {
    state: ServerAwaitDecision;
    request: AuthRequest;
};
/**
 * Message 4 out: the server's decision. `ack` also returns the session; any
 * other code ends the handshake (send `out`, then close). Acking a key login
 * whose signature failed is refused with badArgument, as a last guard.
 */
export declare function serverResult(state: ServerAwaitDecision, code: ResultName, reason?: string): {
    out: Uint8Array;
    session?: Session;
};
export {};
//# sourceMappingURL=handshake.d.ts.map