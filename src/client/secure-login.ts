/**
 * The client side of the secure handshake, driven over a transport
 * (isomorphic). The server's key is checked (pin, or the caller's
 * checkServerKey such as a known-hosts file) before any credential is
 * encrypted, and a server that answers with the legacy protocol is refused:
 * a secure client never downgrades.
 */
import { ChanError } from '../errors.ts';
import type { Transport } from '../transport/transport.ts';
import { tweetnaclProvider, type CryptoProvider, type KeyPair } from '../auth/crypto.ts';
import {
  REPLY_MIN_BYTES,
  clientAuth,
  clientOnReply,
  clientOnResult,
  clientPrecomputeEs,
  clientStart,
  destroyState,
  type AuthMethod,
  type HandshakeState,
} from '../auth/secure/handshake.ts';
import { decodePublicKey } from '../auth/keys.ts';
import { ETF_VERSION } from '../auth/sniff.ts';
import { fromHex } from '../wire/bytes.ts';
import { encodeTerm } from '../wire/etf/encode.ts';
import type { DecodeOptions } from '../wire/etf/decode.ts';
import type { Term } from '../wire/etf/term.ts';
import { SecureCodec } from '../chan/secure-codec.ts';
import type { ChannelCodec } from '../chan/codec.ts';
import type { FrameWaiter } from './frame-waiter.ts';

export interface SecureClientOptions {
  /** The server's public key to pin: `lcsk1:...` text, 64 hex digits, or 32 bytes. */
  serverKey?: string | Uint8Array;
  /**
   * Node: known-hosts file for trust on first use; `false` to use none (then a
   * password or key login needs serverKey or checkServerKey).
   * @default ~/.lib_chan/known_hosts, or $LIB_CHAN_KNOWN_HOSTS
   */
  knownHosts?: string | false;
  /**
   * Node: a host that knownHosts does not list yet is pinned on this first
   * connection (`true`), announced through onFirstUse or, without one, a
   * process warning with code LIB_CHAN_TOFU; `false` refuses it
   * (unknownServerKey) until its key is pinned.
   * @default true
   */
  trustOnFirstUse?: boolean;
  /**
   * Node: called when a key is about to be pinned on first use, with the host,
   * key and fingerprint; throw to refuse it (nothing is written). Replaces the
   * default warning.
   */
  onFirstUse?: (info: { hostport: string; publicKey: Uint8Array; fingerprint: string; file: string }) => void;
  /**
   * Send a password or a key proof to a server whose identity is not checked
   * at all (no serverKey, no checkServerKey, knownHosts false): anyone on the
   * path can then pose as the server and collect the password. For tests
   * against throwaway servers only. @default false
   */
  dangerouslySkipServerAuth?: boolean;
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

export function parseServerKey(key: string | Uint8Array): Uint8Array {
  if (key instanceof Uint8Array) {
    if (key.length !== 32) throw new ChanError('badArgument', `serverKey must be 32 bytes, got ${key.length}`);
    return key;
  }
  if (/^[0-9a-fA-F]{64}$/.test(key.trim())) return fromHex(key.trim());
  return decodePublicKey('server', key);
}

export async function secureLogin(
  transport: Transport,
  waiter: FrameWaiter,
  service: string,
  password: string | null,
  argsC: Term,
  options: SecureClientOptions,
  decodeOptions: DecodeOptions,
): Promise<ChannelCodec> {
  const provider = options.crypto ?? tweetnaclProvider;
  const pinnedKey = options.serverKey === undefined ? undefined : parseServerKey(options.serverKey);
  const method: AuthMethod = options.clientKey ? 'key' : password !== null ? 'password' : 'none';
  if (method !== 'none' && pinnedKey === undefined && options.checkServerKey === undefined && options.dangerouslySkipServerAuth !== true) {
    throw new ChanError(
      'badArgument',
      `client: refusing to send a ${method === 'key' ? 'key proof' : 'password'} for ${service} to ${transport.peer} without checking who it is: pin its key (serverKey), use a known-hosts file (the default in Node), or, against a throwaway test server only, pass dangerouslySkipServerAuth: true`,
      {
        details: { side: 'client', phase: 'hello', service, peer: transport.peer },
      },
    );
  }
  const argsBytes = encodeTerm(argsC);
  const hello = options.preparedHello ?? clientStart({ provider });
  let state: HandshakeState | undefined = hello.state;
  try {
    transport.send(hello.out);
    // The server now works on its reply: meanwhile, one of our two DHs, with the key it should present.
    const expected = pinnedKey ?? options.serverKeyHint;
    if (expected) clientPrecomputeEs(hello.state, expected);
    const reply = await waiter.next();
    // A real reply starts with a random ephemeral key (byte 131 one time in 256), so only a
    // short frame that starts with 131 is taken for a legacy term.
    if (reply.length < REPLY_MIN_BYTES && reply[0] === ETF_VERSION) {
      throw new ChanError(
        'protocolError',
        `client: ${transport.peer} answered the secure hello with a legacy lib_chan term; it does not speak the secure protocol. Refusing to fall back (use protocol: 'legacy' only on a network you trust)`,
        {
          details: { phase: 'reply', side: 'client', peer: transport.peer },
        },
      );
    }
    const r = clientOnReply(hello.state, reply, { pinnedKey, checkKey: options.checkServerKey });
    state = r.state;
    waiter.authenticated();
    const a = clientAuth(r.state, { service, method, password: password ?? undefined, clientKey: options.clientKey, argsC: argsBytes });
    state = a.state;
    transport.send(a.out);
    const res = clientOnResult(a.state, await waiter.next());
    state = undefined;
    if (res.error) throw withService(res.error, service, transport.peer);
    return new SecureCodec(res.session!, provider, decodeOptions);
  } catch (e) {
    if (state && !state.spent) destroyState(state);
    throw e;
  }
}

function withService(err: ChanError, service: string, peer: string): ChanError {
  const what: Record<string, string> = {
    badService: `the server at ${peer} has no service named ${service}`,
    authFail: `service ${service} at ${peer} refused the login`,
  };
  return new ChanError(err.code, what[err.code] ? `${what[err.code]} (${err.message})` : err.message, {
    details: { ...err.details, service, peer },
    cause: err,
  });
}
