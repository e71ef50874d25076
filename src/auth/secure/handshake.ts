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
import { ChanError, type ErrorCode } from '../../errors.ts';
import {
  type CryptoProvider,
  type KeyPair,
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SECRET_KEY_BYTES,
  ED25519_SIGNATURE_BYTES,
  SECRETBOX_MAC_BYTES,
  X25519_KEY_BYTES,
  tweetnaclProvider,
} from '../crypto.ts';
import { MAGIC, MAGIC_BYTES, SECURE_VERSION, SUPPORTED_VERSIONS, hasMagic } from '../sniff.ts';
import { fingerprint } from '../keys.ts';
import { TEXT_DECODER, TEXT_ENCODER, bytesEqual, constantTimeEqual, wipe } from '../../wire/bytes.ts';
import { SymmetricState } from './schedule.ts';

export type Side = 'client' | 'server';
export type HandshakePhase = 'hello' | 'reply' | 'auth' | 'result';

// ---- wire constants ----

/** hello = MAGIC(4) || version(1) || e_c(32) */
export const HELLO_BYTES = MAGIC_BYTES + 1 + X25519_KEY_BYTES;
/** reply = e_s(32) || box(S_pub)(32+16) || box(payload)(16 + payload) */
export const REPLY_MIN_BYTES = X25519_KEY_BYTES + (X25519_KEY_BYTES + SECRETBOX_MAC_BYTES) + SECRETBOX_MAC_BYTES;
/** The auth plaintext is zero-padded to a multiple of this, so its size hides short lengths (password, service). */
export const AUTH_PAD_BYTES = 64;

/**
 * Feature bits, in the server's reply info and in the client's field of the
 * auth message (docs/protocol.md 4.5.2, 4.5.4). `batch`: this side reads
 * batch records (record kind 7); announced by a server, it also says that the
 * server reads the client's features field. Unknown bits are ignored.
 */
export const FEATURE = { batch: 1 } as const;
/** What this implementation reads: announced by its server, answered by its client. */
export const READ_FEATURES: number = FEATURE.batch;
export const MAX_SERVICE_BYTES = 1024;
export const MAX_PASSWORD_BYTES = 1024;
export const MAX_REASON_BYTES = 512;
/** Most versions a reply payload or refusal may list; keeps a refusal shorter than any reply. */
export const MAX_VERSIONS = 16;
/** Key proof: Ed25519 public key(32) || signature(64). */
export const KEY_PROOF_BYTES = ED25519_PUBLIC_KEY_BYTES + ED25519_SIGNATURE_BYTES;
/** The client signs KEY_PROOF_DOMAIN || h, h being the handshake hash after the reply. */
export const KEY_PROOF_DOMAIN = TEXT_ENCODER.encode('lib_chan_secure_v1 client key proof');

/** Login methods, and their byte in the auth message. */
export const METHOD = { none: 0, password: 1, key: 2 } as const;
export type AuthMethod = keyof typeof METHOD;

/**
 * Result codes of the server's last handshake message (and of a plaintext
 * refusal). `error` is the ChanError code the client reports for it.
 */
export const RESULT_CODES = {
  ack: { byte: 0, error: null, summary: 'Logged in; the channel is open.' },
  badService: { byte: 1, error: 'badService', summary: 'No such service.' },
  authFail: { byte: 2, error: 'authFail', summary: 'Wrong password, or key not accepted by the service.' },
  legacyRefused: { byte: 3, error: 'legacyRefused', summary: 'Reserved (legacy login refused); never sent by the secure handshake.' },
  methodRefused: { byte: 4, error: 'authFail', summary: 'The service does not accept this login method.' },
  rateLimited: {
    byte: 5,
    error: 'limitExceeded',
    summary: "Too many login attempts from this client (lock-out), or the service's guess budget is spent; try later.",
  },
  serverBusy: { byte: 6, error: 'limitExceeded', summary: 'The server is at a connection or channel limit (`maxAnonymousChannels`).' },
  versionUnsupported: { byte: 7, error: 'protocolError', summary: "The server does not speak the hello's version (refusal only)." },
  badRequest: { byte: 8, error: 'protocolError', summary: 'The login request cannot be served as sent (e.g. ArgsC is not a valid term).' },
} as const satisfies Record<string, { byte: number; error: ErrorCode | null; summary: string }>;
export type ResultName = keyof typeof RESULT_CODES;

const RESULT_BY_BYTE = new Map<number, ResultName>((Object.keys(RESULT_CODES) as ResultName[]).map((name) => [RESULT_CODES[name].byte, name]));

// ---- public types ----

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
  /** Feature bits announced in the reply payload (FEATURE; the server passes READ_FEATURES). @default 0 */
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
  /** Feature bits this client reads, sent when the server announced `batch` (it then reads them). @default READ_FEATURES */
  features?: number;
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
  /** Feature bits the peer announced (FEATURE), e.g. whether it reads batch records; 0 from a peer that announces none. */
  peerFeatures: number;
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
  esGuess?: { serverKey: Uint8Array; shared: Uint8Array };
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
  readonly peerFeatures: number;
}
export interface ServerAwaitAuth extends StateBase {
  readonly phase: 'serverAwaitAuth';
  readonly serverKey: Uint8Array;
  /** What the reply announced: with `batch`, the auth message may carry the client's features. */
  readonly features: number;
}
export interface ServerAwaitDecision extends StateBase {
  readonly phase: 'serverAwaitDecision';
  readonly serverKey: Uint8Array;
  readonly method: AuthMethod;
  readonly clientKey?: Uint8Array;
  readonly signatureOk?: boolean;
  readonly peerFeatures: number;
}
export type HandshakeState = ClientAwaitReply | ClientReady | ClientAwaitResult | ServerAwaitAuth | ServerAwaitDecision;

// ---- errors ----

function hsError(code: ErrorCode, side: Side, phase: HandshakePhase, message: string, extra: Record<string, unknown> = {}, cause?: unknown): ChanError {
  return new ChanError(code, `${side}: ${message} (handshake phase ${phase})`, { details: { phase, side, ...extra }, cause });
}

/**
 * Consume `state`, run `body`; on any failure wipe the state's secrets and
 * throw a ChanError naming side and phase (a ChanError from inside keeps its
 * code and gains side and phase).
 */
function step<S extends HandshakeState, R>(state: S, expected: S['phase'], side: Side, phase: HandshakePhase, body: (s: S) => R): R {
  if (state === null || typeof state !== 'object' || state.phase !== expected || state.spent) {
    throw hsError('protocolError', side, phase, `handshake step called with a ${state?.spent ? 'used' : 'wrong'} state (want ${expected})`);
  }
  state.spent = true;
  try {
    return body(state);
  } catch (err) {
    destroyState(state);
    throw asHandshakeError(err, side, phase);
  }
}

function asHandshakeError(err: unknown, side: Side, phase: HandshakePhase): ChanError {
  if (err instanceof ChanError) {
    if (err.details.phase === phase && err.details.side === side) return err;
    if (err.details.phase === undefined || err.details.phase === 'dh') {
      return hsError(err.code, side, phase, err.message, {}, err);
    }
    return err;
  }
  return hsError('protocolError', side, phase, `internal error: ${String(err)}`, {}, err);
}

/** Wipe every secret a handshake state holds (for a driver that abandons a handshake, e.g. on timeout). */
export function destroyState(state: HandshakeState): void {
  state.spent = true;
  state.ss.destroy();
  if (state.phase === 'clientAwaitReply') {
    wipe(state.e.secretKey, state.esGuess?.shared);
    state.esGuess = undefined;
  }
}

// ---- small codecs ----

const EMPTY = new Uint8Array(0);

function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}
function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}
function putU16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v & 0xff;
}
function putU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** Server reply payload: count(1) || versions(count) || features(4, BE) || extensions. */
export function encodeServerInfo(versions: readonly number[], features: number, extensions: Uint8Array = EMPTY): Uint8Array {
  const out = new Uint8Array(1 + versions.length + 4 + extensions.length);
  out[0] = versions.length;
  out.set(versions, 1);
  putU32(out, 1 + versions.length, features);
  out.set(extensions, 5 + versions.length);
  return out;
}

function decodeServerInfo(p: Uint8Array): ServerInfo {
  const n = p.length > 0 ? p[0] : 0;
  if (n === 0 || n > MAX_VERSIONS || p.length < 1 + n + 4) {
    throw hsError('protocolError', 'client', 'reply', `malformed server info (${p.length} bytes, ${n} versions)`);
  }
  const versions = Array.from(p.subarray(1, 1 + n));
  if (!versions.includes(SECURE_VERSION)) {
    throw hsError('protocolError', 'client', 'reply', `server answered version ${SECURE_VERSION} but lists only ${versions.join(',')}`);
  }
  return { versions, features: u32(p, 1 + n), extensions: p.slice(5 + n) };
}

/**
 * A plaintext refusal, sent instead of a reply before any key exchange:
 * MAGIC(4) || 0x00 || result(1) || count(1) || versions(count). At most 23
 * bytes, so it is never confused with a reply (at least REPLY_MIN_BYTES).
 * Used for an unknown hello version, and by a server that refuses before
 * spending DH work (serverBusy, rateLimited). It is not authenticated: a
 * network attacker can forge one, as it can always close the connection.
 */
export function encodeRefusal(code: ResultName, versions: readonly number[] = SUPPORTED_VERSIONS): Uint8Array {
  if (versions.length > MAX_VERSIONS) throw new ChanError('badArgument', `at most ${MAX_VERSIONS} versions`);
  const out = new Uint8Array(MAGIC_BYTES + 3 + versions.length);
  out.set(MAGIC);
  out[MAGIC_BYTES] = 0;
  out[MAGIC_BYTES + 1] = RESULT_CODES[code].byte;
  out[MAGIC_BYTES + 2] = versions.length;
  out.set(versions, MAGIC_BYTES + 3);
  return out;
}

/** The refusal in `frame`, or null when `frame` is not one. */
export function decodeRefusal(frame: Uint8Array): { code: ResultName | 'unknown'; byte: number; versions: number[] } | null {
  if (frame.length < MAGIC_BYTES + 3 || frame.length >= REPLY_MIN_BYTES || !hasMagic(frame) || frame[MAGIC_BYTES] !== 0) return null;
  const n = frame[MAGIC_BYTES + 2];
  if (frame.length !== MAGIC_BYTES + 3 + n) return null;
  const byte = frame[MAGIC_BYTES + 1];
  return { code: RESULT_BY_BYTE.get(byte) ?? 'unknown', byte, versions: Array.from(frame.subarray(MAGIC_BYTES + 3)) };
}

/**
 * Auth plaintext: method(1) || service_len(2, BE) || service(UTF-8) ||
 * proof_len(2, BE) || proof || args_len(4, BE) || argsC || [features(4, BE)]
 * || zeros up to a multiple of AUTH_PAD_BYTES (fewer than AUTH_PAD_BYTES of
 * them). The features field is sent only to a server that announced `batch`;
 * such a server reads a field of zeros, or padding shorter than 4 bytes, as no
 * features, so an older client's padding reads as none.
 */
function encodeAuthPayload(method: AuthMethod, service: Uint8Array, proof: Uint8Array, argsC: Uint8Array, features: number | undefined): Uint8Array {
  const n = 1 + 2 + service.length + 2 + proof.length + 4 + argsC.length + (features === undefined ? 0 : 4);
  const out = new Uint8Array(Math.ceil(n / AUTH_PAD_BYTES) * AUTH_PAD_BYTES);
  let o = 0;
  out[o++] = METHOD[method];
  putU16(out, o, service.length);
  out.set(service, (o += 2));
  o += service.length;
  putU16(out, o, proof.length);
  out.set(proof, (o += 2));
  o += proof.length;
  putU32(out, o, argsC.length);
  out.set(argsC, (o += 4));
  if (features !== undefined) putU32(out, o + argsC.length, features);
  return out;
}

function decodeAuthPayload(
  p: Uint8Array,
  readsFeatures: boolean,
): { method: AuthMethod; service: string; proof: Uint8Array; argsC: Uint8Array; features: number } {
  const bad = (why: string) => hsError('protocolError', 'server', 'auth', `malformed auth message: ${why}`);
  if (p.length === 0 || p.length % AUTH_PAD_BYTES !== 0) throw bad(`length ${p.length} is not a multiple of ${AUTH_PAD_BYTES}`);
  let o = 0;
  const methodByte = p[o++];
  const method = (Object.keys(METHOD) as AuthMethod[]).find((m) => METHOD[m] === methodByte);
  if (method === undefined) throw bad(`unknown method ${methodByte}`);
  const need = (k: number, what: string) => {
    if (p.length - o < k) throw bad(`${what} runs past the end`);
  };
  need(2, 'service length');
  const serviceLen = u16(p, o);
  o += 2;
  if (serviceLen === 0 || serviceLen > MAX_SERVICE_BYTES) throw bad(`service length ${serviceLen}`);
  need(serviceLen, 'service');
  let service: string;
  try {
    service = TEXT_DECODER.decode(p.subarray(o, o + serviceLen));
  } catch {
    throw bad('service is not UTF-8');
  }
  o += serviceLen;
  need(2, 'proof length');
  const proofLen = u16(p, o);
  o += 2;
  need(proofLen, 'proof');
  const proof = p.slice(o, o + proofLen);
  o += proofLen;
  need(4, 'args length');
  const argsLen = u32(p, o);
  o += 4;
  need(argsLen, 'argsC');
  const argsC = p.slice(o, o + argsLen);
  o += argsLen;
  let features = 0;
  if (readsFeatures && p.length - o >= 4) {
    features = u32(p, o);
    o += 4;
  }
  if (p.length - o >= AUTH_PAD_BYTES) throw bad('too much padding');
  for (let i = o; i < p.length; i++) if (p[i] !== 0) throw bad('non-zero padding');
  const proofOk = method === 'none' ? proofLen === 0 : method === 'key' ? proofLen === KEY_PROOF_BYTES : proofLen > 0 && proofLen <= MAX_PASSWORD_BYTES;
  if (!proofOk) throw bad(`proof of ${proofLen} bytes for method ${method}`);
  return { method, service, proof, argsC, features };
}

/** Result plaintext: result(1) || reason (UTF-8, possibly empty). */
function encodeResult(code: ResultName, reason: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + reason.length);
  out[0] = RESULT_CODES[code].byte;
  out.set(reason, 1);
  return out;
}

function resultError(result: AuthResult, side: Side, phase: HandshakePhase, extra: Record<string, unknown> = {}): ChanError {
  const code = RESULT_CODES[result.code].error ?? 'protocolError';
  const why = result.reason ? `: ${result.reason}` : '';
  return hsError(code, side, phase, `server refused the login with ${result.code}${why}`, { result: result.code, ...extra });
}

/** The message a key proof signs: KEY_PROOF_DOMAIN || h. */
function keyProofMessage(h: Uint8Array): Uint8Array {
  const m = new Uint8Array(KEY_PROOF_DOMAIN.length + h.length);
  m.set(KEY_PROOF_DOMAIN);
  m.set(h, KEY_PROOF_DOMAIN.length);
  return m;
}

/** Whether `signature` by `publicKey` signs this handshake's hash `h` (the one after the reply). */
export function verifyClientKeyProof(provider: CryptoProvider, h: Uint8Array, publicKey: Uint8Array, signature: Uint8Array): boolean {
  return provider.ed25519Verify(keyProofMessage(h), signature, publicKey);
}

/**
 * Compare a password proof with the conf's plaintext password without
 * leaking either length or content through timing: both are hashed first,
 * then compared in constant time.
 */
export function passwordMatches(provider: CryptoProvider, proof: Uint8Array, expected: string | Uint8Array): boolean {
  const want = typeof expected === 'string' ? TEXT_ENCODER.encode(expected) : expected;
  const a = provider.sha512(proof);
  const b = provider.sha512(want);
  const ok = constantTimeEqual(a, b);
  wipe(a, b);
  if (typeof expected === 'string') wipe(want);
  return ok;
}

function dh(provider: CryptoProvider, secretKey: Uint8Array, publicKey: Uint8Array, ss: SymmetricState): void {
  const shared = provider.x25519(secretKey, publicKey);
  ss.mixKey(shared);
  wipe(shared);
}

function prologue(version: number): Uint8Array {
  const p = new Uint8Array(MAGIC_BYTES + 1);
  p.set(MAGIC);
  p[MAGIC_BYTES] = version;
  return p;
}

/**
 * InitializeSymmetric(PROTOCOL_NAME) then MixHash(MAGIC || version): the
 * same public bytes for every handshake of a version, so hashed once per
 * version (SHA-512 is the same function whatever the provider).
 */
const afterPrologue = new Map<number, { h: Uint8Array; ck: Uint8Array }>();
function startState(provider: CryptoProvider, version: number): SymmetricState {
  let saved = afterPrologue.get(version);
  if (!saved) {
    const ss = new SymmetricState(provider);
    ss.mixHash(prologue(version));
    saved = ss.snapshot();
    afterPrologue.set(version, saved);
  }
  return new SymmetricState(provider, undefined, saved);
}

// ---- client steps ----

/** Message 1. Returns the hello to send and the state that awaits the reply. */
export function clientStart(deps: HandshakeDeps = {}): { state: ClientAwaitReply; out: Uint8Array } {
  const provider = deps.provider ?? tweetnaclProvider;
  const ss = startState(provider, SECURE_VERSION);
  const head = prologue(SECURE_VERSION);
  const e = provider.x25519Keypair(provider.randomBytes(X25519_KEY_BYTES));
  ss.mixHash(e.publicKey);
  ss.encryptAndHash(EMPTY); // Noise: message 1's (empty, unencrypted) payload
  const out = new Uint8Array(HELLO_BYTES);
  out.set(head);
  out.set(e.publicKey, head.length);
  return { state: { phase: 'clientAwaitReply', provider, ss, e, spent: false }, out };
}

/**
 * Optional, between message 1 and message 2: compute DH(e_c, pinnedKey) while
 * the server works on its reply, so that clientOnReply has one X25519 left
 * instead of two when the server presents that key. Nothing about the
 * pinned key is trusted here; clientOnReply still decrypts S and compares.
 * A key that is not a usable X25519 point is ignored (the reply decides).
 */
export function clientPrecomputeEs(state: ClientAwaitReply, pinnedKey: Uint8Array): void {
  if (state.spent || state.esGuess || pinnedKey.length !== X25519_KEY_BYTES) return;
  try {
    state.esGuess = { serverKey: pinnedKey.slice(), shared: state.provider.x25519(state.e.secretKey, pinnedKey) };
  } catch {
    // A low-order pinned key: no guess; the reply is then checked the long way.
  }
}

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
export function clientOnReply(
  state: ClientAwaitReply,
  frame: Uint8Array,
  check: ServerKeyCheck = {},
): { state: ClientReady; serverKey: Uint8Array; serverInfo: ServerInfo } {
  const side = 'client';
  const phase = 'reply';
  const r = step(state, 'clientAwaitReply', side, phase, (s) => {
    const refusal = decodeRefusal(frame);
    if (refusal) {
      if (refusal.code === 'unknown' || refusal.code === 'ack') {
        throw hsError('protocolError', side, phase, `refusal with invalid result byte ${refusal.byte}`);
      }
      const reason =
        refusal.code === 'versionUnsupported'
          ? `this client speaks version ${SECURE_VERSION}, the server speaks ${refusal.versions.join(', ') || 'none'}`
          : undefined;
      throw resultError(reason === undefined ? { code: refusal.code } : { code: refusal.code, reason }, side, phase, { versions: refusal.versions });
    }
    if (frame.length < REPLY_MIN_BYTES) {
      throw hsError('protocolError', side, phase, `reply of ${frame.length} bytes, need at least ${REPLY_MIN_BYTES}`, {
        actual: frame.length,
        limit: REPLY_MIN_BYTES,
      });
    }
    const { provider, ss, e } = s;
    const eS = frame.subarray(0, X25519_KEY_BYTES);
    ss.mixHash(eS);
    dh(provider, e.secretKey, eS, ss); // ee
    const boxS = frame.subarray(X25519_KEY_BYTES, 2 * X25519_KEY_BYTES + SECRETBOX_MAC_BYTES);
    const serverKey = ss.decryptAndHash(boxS);
    if (serverKey === null) throw hsError('badRecord', side, phase, 'server static key does not decrypt (tampered reply, or a reply to another hello)');
    const guess = s.esGuess;
    if (guess && bytesEqual(guess.serverKey, serverKey)) {
      ss.mixKey(guess.shared); // es, computed while the reply was on its way
    } else {
      dh(provider, e.secretKey, serverKey, ss); // es
    }
    wipe(e.secretKey, guess?.shared);
    const payload = ss.decryptAndHash(frame.subarray(2 * X25519_KEY_BYTES + SECRETBOX_MAC_BYTES));
    if (payload === null) throw hsError('badRecord', side, phase, 'reply payload does not decrypt: the server does not hold the key it presented');
    const serverInfo = decodeServerInfo(payload);
    if (check.pinnedKey !== undefined && !bytesEqual(check.pinnedKey, serverKey)) {
      const expected = fingerprint(check.pinnedKey, provider);
      const actual = fingerprint(serverKey, provider);
      throw hsError('serverKeyMismatch', side, phase, `server presented ${actual}, but the pinned key is ${expected}; nothing was sent`, {
        expectedFingerprint: expected,
        actualFingerprint: actual,
      });
    }
    return { serverKey, serverInfo };
  });
  const next: ClientReady = { phase: 'clientReady', provider: state.provider, ss: state.ss, serverKey: r.serverKey, serverInfo: r.serverInfo, spent: false };
  if (check.checkKey) {
    try {
      check.checkKey(r.serverKey);
    } catch (err) {
      destroyState(next);
      throw err;
    }
  }
  return { state: next, serverKey: r.serverKey, serverInfo: r.serverInfo };
}

/** Message 3: the login request, encrypted and bound to this handshake. */
export function clientAuth(state: ClientReady, req: ClientAuthRequest): { state: ClientAwaitResult; out: Uint8Array } {
  const side = 'client';
  const phase = 'auth';
  // Argument errors leave the state usable (they are the caller's to fix).
  const bad = (why: string) => new ChanError('badArgument', `clientAuth: ${why}`, { details: { phase, side } });
  if (typeof req.service !== 'string' || req.service === '') throw bad('service must be a non-empty string');
  const service = TEXT_ENCODER.encode(req.service);
  if (service.length > MAX_SERVICE_BYTES) throw bad(`service name longer than ${MAX_SERVICE_BYTES} bytes`);
  if (!(req.argsC instanceof Uint8Array)) throw bad('argsC must be a Uint8Array (encoded ETF)');
  if (!Object.hasOwn(METHOD, req.method)) throw bad(`unknown method ${String(req.method)}`);
  if (req.method === 'password') {
    if (req.password === undefined) throw bad('method password needs a password');
    const n = typeof req.password === 'string' ? TEXT_ENCODER.encode(req.password).length : req.password.length;
    if (n === 0 || n > MAX_PASSWORD_BYTES) throw bad(`password must be 1 to ${MAX_PASSWORD_BYTES} bytes`);
  }
  if (req.method === 'key' && (req.clientKey?.secretKey?.length !== ED25519_SECRET_KEY_BYTES || req.clientKey.publicKey?.length !== ED25519_PUBLIC_KEY_BYTES)) {
    throw bad('method key needs clientKey, an Ed25519 key pair');
  }
  return step(state, 'clientReady', side, phase, (s) => {
    let proof = EMPTY;
    let clientKey: Uint8Array | undefined;
    if (req.method === 'password') {
      proof = typeof req.password === 'string' ? TEXT_ENCODER.encode(req.password) : req.password!.slice();
    } else if (req.method === 'key') {
      const pair = req.clientKey!;
      const sig = s.provider.ed25519Sign(keyProofMessage(s.ss.handshakeHash()), pair.secretKey);
      proof = new Uint8Array(KEY_PROOF_BYTES);
      proof.set(pair.publicKey);
      proof.set(sig, ED25519_PUBLIC_KEY_BYTES);
      clientKey = pair.publicKey.slice();
    }
    const peerFeatures = s.serverInfo.features;
    const features = (peerFeatures & FEATURE.batch) !== 0 ? (req.features ?? READ_FEATURES) : undefined;
    const plain = encodeAuthPayload(req.method, service, proof, req.argsC, features);
    const out = s.ss.encryptAndHash(plain);
    wipe(plain, proof);
    return {
      state: { phase: 'clientAwaitResult' as const, provider: s.provider, ss: s.ss, serverKey: s.serverKey, clientKey, peerFeatures, spent: false },
      out,
    };
  });
}

/**
 * Message 4. On ack, `session` holds the record keys; otherwise `error` is
 * the ChanError to report (badService, authFail, limitExceeded, ...), whose
 * details.result names the server's code.
 */
export function clientOnResult(state: ClientAwaitResult, frame: Uint8Array): { result: AuthResult; session?: Session; error?: ChanError } {
  const side = 'client';
  const phase = 'result';
  return step(state, 'clientAwaitResult', side, phase, (s) => {
    const p = s.ss.decryptAndHash(frame);
    if (p === null) throw hsError('badRecord', side, phase, 'result does not decrypt (tampered)');
    const code = p.length > 0 ? RESULT_BY_BYTE.get(p[0]) : undefined;
    if (code === undefined || code === 'versionUnsupported') {
      throw hsError('protocolError', side, phase, `invalid result ${p.length > 0 ? p[0] : 'empty'}`);
    }
    let reason: string | undefined;
    if (p.length > 1) {
      try {
        reason = TEXT_DECODER.decode(p.subarray(1, 1 + MAX_REASON_BYTES));
      } catch {
        reason = '(reason not UTF-8)';
      }
    }
    const result: AuthResult = reason === undefined ? { code } : { code, reason };
    if (code !== 'ack') {
      s.ss.destroy();
      return { result, error: resultError(result, side, phase) };
    }
    const keys = s.ss.split();
    const session: Session = {
      side,
      version: SECURE_VERSION,
      sendKey: keys.clientToServer,
      receiveKey: keys.serverToClient,
      handshakeHash: keys.handshakeHash,
      serverKey: s.serverKey,
      ...(s.clientKey ? { clientKey: s.clientKey } : {}),
      peerFeatures: s.peerFeatures,
    };
    return { result, session };
  });
}

// ---- server steps ----

/**
 * Message 1 in, message 2 out. A hello of an unknown version yields
 * `refused` (protocolError, details.actual = the version) and a plaintext
 * refusal in `out`: send it, then close. Anything else malformed throws.
 */
export function serverOnHello(
  deps: ServerDeps,
  frame: Uint8Array,
): { state: ServerAwaitAuth; out: Uint8Array; refused?: undefined } | { state?: undefined; out: Uint8Array; refused: ChanError } {
  const side = 'server';
  const phase = 'hello';
  const provider = deps.provider ?? tweetnaclProvider;
  const { identity } = deps;
  if (identity?.publicKey?.length !== X25519_KEY_BYTES || identity.secretKey?.length !== X25519_KEY_BYTES) {
    throw new ChanError('badArgument', 'serverOnHello: identity must be an X25519 key pair', { details: { phase, side } });
  }
  if (frame.length <= MAGIC_BYTES || !hasMagic(frame)) {
    throw hsError('protocolError', side, phase, 'first frame is not a secure hello (no magic)', { actual: frame.length });
  }
  const version = frame[MAGIC_BYTES];
  if (!SUPPORTED_VERSIONS.includes(version)) {
    return {
      out: encodeRefusal('versionUnsupported'),
      refused: hsError('protocolError', side, phase, `client speaks version ${version}; this server speaks ${SUPPORTED_VERSIONS.join(', ')}`, {
        actual: version,
        versions: [...SUPPORTED_VERSIONS],
      }),
    };
  }
  if (frame.length !== HELLO_BYTES) {
    throw hsError('protocolError', side, phase, `hello of ${frame.length} bytes, want ${HELLO_BYTES}`, { actual: frame.length, limit: HELLO_BYTES });
  }
  // The version was checked above, and with the magic it is all the prologue holds.
  const ss = startState(provider, version);
  let e: KeyPair | undefined;
  try {
    const eC = frame.subarray(MAGIC_BYTES + 1);
    ss.mixHash(eC);
    ss.decryptAndHash(EMPTY); // Noise: message 1's empty payload
    e = deps.ephemeral ? deps.ephemeral() : provider.x25519Keypair(provider.randomBytes(X25519_KEY_BYTES));
    ss.mixHash(e.publicKey);
    dh(provider, e.secretKey, eC, ss); // ee
    wipe(e.secretKey);
    const boxS = ss.encryptAndHash(identity.publicKey);
    dh(provider, identity.secretKey, eC, ss); // es
    const features = deps.features ?? 0;
    const boxInfo = ss.encryptAndHash(encodeServerInfo(SUPPORTED_VERSIONS, features));
    const out = new Uint8Array(X25519_KEY_BYTES + boxS.length + boxInfo.length);
    out.set(e.publicKey);
    out.set(boxS, X25519_KEY_BYTES);
    out.set(boxInfo, X25519_KEY_BYTES + boxS.length);
    return { state: { phase: 'serverAwaitAuth', provider, ss, serverKey: identity.publicKey.slice(), features, spent: false }, out };
  } catch (err) {
    ss.destroy();
    wipe(e?.secretKey);
    throw asHandshakeError(err, side, phase);
  }
}

/**
 * Message 3 in: decrypts and parses the login request and, for method
 * 'key', verifies the signature over this handshake (signatureOk). Whether
 * the service exists, the password is right or the key is allowed is the
 * caller's decision, given to serverResult().
 */
export function serverOnAuth(state: ServerAwaitAuth, frame: Uint8Array): { state: ServerAwaitDecision; request: AuthRequest } {
  const side = 'server';
  const phase = 'auth';
  return step(state, 'serverAwaitAuth', side, phase, (s) => {
    const h = s.ss.handshakeHash();
    const plain = s.ss.decryptAndHash(frame);
    if (plain === null) throw hsError('badRecord', side, phase, 'auth message does not decrypt (tampered, or moved from another session)');
    let msg: ReturnType<typeof decodeAuthPayload>;
    try {
      msg = decodeAuthPayload(plain, (s.features & FEATURE.batch) !== 0);
    } finally {
      wipe(plain);
    }
    const request: AuthRequest = { service: msg.service, method: msg.method, argsC: msg.argsC };
    let clientKey: Uint8Array | undefined;
    let signatureOk: boolean | undefined;
    if (msg.method === 'password') {
      request.password = msg.proof;
    } else if (msg.method === 'key') {
      clientKey = msg.proof.slice(0, ED25519_PUBLIC_KEY_BYTES);
      signatureOk = verifyClientKeyProof(s.provider, h, clientKey, msg.proof.subarray(ED25519_PUBLIC_KEY_BYTES));
      request.clientPublicKey = clientKey;
      request.signatureOk = signatureOk;
    }
    const next: ServerAwaitDecision = {
      phase: 'serverAwaitDecision',
      provider: s.provider,
      ss: s.ss,
      serverKey: s.serverKey,
      method: msg.method,
      clientKey,
      signatureOk,
      peerFeatures: msg.features,
      spent: false,
    };
    return { state: next, request };
  });
}

/**
 * Message 4 out: the server's decision. `ack` also returns the session; any
 * other code ends the handshake (send `out`, then close). Acking a key login
 * whose signature failed is refused with badArgument, as a last guard.
 */
export function serverResult(state: ServerAwaitDecision, code: ResultName, reason?: string): { out: Uint8Array; session?: Session } {
  const side = 'server';
  const phase = 'result';
  if (!Object.hasOwn(RESULT_CODES, code) || code === 'versionUnsupported') {
    throw new ChanError('badArgument', `serverResult: ${String(code)} is not a result for this step`, { details: { phase, side } });
  }
  const reasonBytes = reason === undefined ? EMPTY : TEXT_ENCODER.encode(reason);
  if (reasonBytes.length > MAX_REASON_BYTES) {
    throw new ChanError('badArgument', `serverResult: reason longer than ${MAX_REASON_BYTES} bytes`, { details: { phase, side } });
  }
  if (code === 'ack' && state?.method === 'key' && state.signatureOk !== true) {
    throw new ChanError('badArgument', 'serverResult: cannot ack a key login whose signature did not verify', { details: { phase, side } });
  }
  return step(state, 'serverAwaitDecision', side, phase, (s) => {
    const out = s.ss.encryptAndHash(encodeResult(code, reasonBytes));
    if (code !== 'ack') {
      s.ss.destroy();
      return { out };
    }
    const keys = s.ss.split();
    const session: Session = {
      side,
      version: SECURE_VERSION,
      sendKey: keys.serverToClient,
      receiveKey: keys.clientToServer,
      handshakeHash: keys.handshakeHash,
      serverKey: s.serverKey,
      ...(s.clientKey ? { clientKey: s.clientKey } : {}),
      peerFeatures: s.peerFeatures,
    };
    return { out, session };
  });
}
