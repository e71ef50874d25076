/**
 * The client's login over any transport (isomorphic: the browser build uses
 * it too). Legacy: the original's startService / challenge / response.
 * Secure: the handshake of docs/protocol.md, which never falls back to legacy.
 */
import { ChanError } from '../errors.ts';
import { resolveLimits, type Limits } from '../limits.ts';
import type { Transport } from '../transport/transport.ts';
import { Channel, type RpcOptions } from '../chan/channel.ts';
import { LegacyCodec } from '../chan/codec.ts';
import { atom, isAtom, isTuple, tuple, type Term } from '../wire/etf/term.ts';
import { encodeTerm } from '../wire/etf/encode.ts';
import { decodeTerm, type DecodeOptions } from '../wire/etf/decode.ts';
import { legacyResponse } from '../auth/legacy.ts';
import { secureLogin, type SecureClientOptions } from './secure-login.ts';
import { FrameWaiter, withDeadline } from './frame-waiter.ts';

export interface ConnectOptions extends SecureClientOptions {
  /**
   * `secure` (default): the encrypted, authenticated handshake; it never
   * downgrades. `legacy`: the original MD5 challenge in plaintext, for Erlang
   * lib_chan servers.
   */
  protocol?: 'secure' | 'legacy';
  /** Limits for this channel (maxFrameBytes, rpcTimeoutMs, connectTimeoutMs, ...). */
  limits?: Partial<Limits>;
}

/**
 * Log in to `service` over an open transport and return the channel.
 * `password` null means the service has none (or a client key is used).
 */
export async function connectOver(
  transport: Transport,
  service: string,
  password: string | null,
  argsC: Term = [],
  options: ConnectOptions = {},
): Promise<Channel> {
  const limits = resolveLimits(options.limits ?? {});
  const protocol = options.protocol ?? 'secure';
  // Secure: one frame may wait until the server has proved its key (secureLogin lifts it); legacy servers never do.
  const waiter = new FrameWaiter(transport, 'client', limits.maxQueuedBytes, protocol === 'legacy' ? Infinity : 1);
  // Frozen: the decoder checks frozen options once (see channelDecodeOptions).
  const decodeOptions: DecodeOptions = Object.freeze({
    maxDepth: limits.maxTermDepth,
    maxDecompressedBytes: limits.maxDecompressedBytes,
    maxAtoms: limits.maxAtomsPerTerm,
    maxIntegerBytes: limits.maxIntegerBytes,
  });
  if (protocol === 'legacy') {
    await withDeadline(transport, limits.connectTimeoutMs, `legacy login to ${service}`, () =>
      legacyLogin(transport, waiter, service, password, argsC, decodeOptions),
    );
    return new Channel({ transport, codec: new LegacyCodec(decodeOptions), limits, service, pending: waiter.drain() });
  }
  const codec = await withDeadline(transport, limits.connectTimeoutMs, `secure login to ${service}`, () =>
    secureLogin(transport, waiter, service, password, argsC, options, decodeOptions),
  );
  return new Channel({ transport, codec, limits, service, pending: waiter.drain() });
}

async function legacyLogin(
  transport: Transport,
  waiter: FrameWaiter,
  service: string,
  password: string | null,
  argsC: Term,
  decodeOptions: DecodeOptions,
): Promise<void> {
  const send = (t: Term): void => transport.send(encodeTerm(t));
  const recv = async (): Promise<Term> => decodeTerm(await waiter.next(), decodeOptions);
  send(tuple(atom('startService'), atom(service), argsC));
  let reply = await recv();
  if (isTuple(reply, 2, 'challenge')) {
    const challenge = reply.elements[1];
    if (typeof challenge !== 'string') throw protocol('the challenge is not a string');
    if (password === null) {
      throw new ChanError('authFail', `service ${service} at ${transport.peer} asks for a password and none was given`, {
        details: { service, peer: transport.peer, phase: 'challenge', side: 'client' },
      });
    }
    send(tuple(atom('response'), legacyResponse(challenge, password)));
    reply = await recv();
  }
  if (isAtom(reply, 'ack')) return;
  if (isAtom(reply, 'badService')) {
    throw new ChanError('badService', `the server at ${transport.peer} has no service named ${service}`, {
      details: { service, peer: transport.peer, side: 'client' },
    });
  }
  if (isAtom(reply, 'authFail')) {
    throw new ChanError('authFail', `service ${service} at ${transport.peer} refused the password`, {
      details: { service, peer: transport.peer, side: 'client' },
    });
  }
  if (isTuple(reply, 2, 'legacyRefused')) {
    const why = reply.elements[1];
    throw new ChanError('legacyRefused', typeof why === 'string' ? why : `service ${service} refuses the legacy login`, {
      details: { service, peer: transport.peer, side: 'client' },
    });
  }
  throw protocol('unexpected answer to the login');

  function protocol(what: string): ChanError {
    return new ChanError('protocolError', `client: ${what} from ${transport.peer}`, { details: { phase: 'login', side: 'client', peer: transport.peer } });
  }
}

// The book's free functions, for both the Node and the browser client.

/** lib_chan:cast/2 */
export function cast(ch: Channel, msg: Term): void {
  ch.cast(msg);
}

/** lib_chan:rpc/2, with a timeout */
export function rpc(ch: Channel, msg: Term, options?: RpcOptions): Promise<Term> {
  return ch.rpc(msg, options);
}

/** lib_chan:disconnect/1 */
export function disconnect(ch: Channel): void {
  ch.close();
}
