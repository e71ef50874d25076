/** Shared fixtures of the auth tests: deterministic providers and a whole in-memory handshake. */
import { type CryptoProvider, type KeyPair, tweetnaclProvider } from '../../src/auth/crypto.ts';
import {
  type AuthRequest,
  type ClientAuthRequest,
  type ResultName,
  type ServerKeyCheck,
  type Session,
  clientAuth,
  clientOnReply,
  clientOnResult,
  clientStart,
  serverOnAuth,
  serverOnHello,
  serverResult,
} from '../../src/auth/secure/handshake.ts';
import { TEXT_ENCODER, fromHex, toHex } from '../../src/wire/bytes.ts';
import { recordLayer } from '../../src/auth/secure/record.ts';

/** A provider whose randomBytes hands out `values` in order (each must be asked for at its exact length). */
export function fixedRandom(base: CryptoProvider, values: Uint8Array[]): CryptoProvider {
  const queue = values.map((v) => v.slice());
  return {
    ...base,
    name: `${base.name}+fixed`,
    randomBytes(n: number): Uint8Array {
      const v = queue.shift();
      if (v === undefined) throw new Error(`fixedRandom: no value left for randomBytes(${n})`);
      if (v.length !== n) throw new Error(`fixedRandom: randomBytes(${n}) but the next value has ${v.length} bytes`);
      return v;
    },
  };
}

/** Bytes 0, 1, 2, ... (mod 256) plus `start`: readable fixed inputs. */
export function seq(n: number, start = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
}

export const SERVER_IDENTITY: KeyPair = tweetnaclProvider.x25519Keypair(seq(32, 0x40));
export const CLIENT_KEY: KeyPair = tweetnaclProvider.ed25519Keypair(seq(32, 0x80));
export const ARGS_C = TEXT_ENCODER.encode('\x83\x64\x00\x07notUsed'); // any opaque bytes

export interface Transcript {
  hello: Uint8Array;
  reply: Uint8Array;
  auth: Uint8Array;
  result: Uint8Array;
  request: AuthRequest;
  client?: Session;
  server?: Session;
  clientError?: Error;
}

/** Messages may be rewritten in flight: `tamper(index 1..4, bytes)` returns what the peer receives. */
export type Tamper = (index: 1 | 2 | 3 | 4, bytes: Uint8Array) => Uint8Array;

export interface RunOptions {
  clientProvider?: CryptoProvider;
  serverProvider?: CryptoProvider;
  identity?: KeyPair;
  auth?: Partial<ClientAuthRequest>;
  check?: ServerKeyCheck;
  /** The server's decision; default: ack. */
  decide?: (req: AuthRequest) => ResultName;
  tamper?: Tamper;
  /** Feature bits the server announces (ServerDeps.features); default 0, as the known-answer vectors have. */
  serverFeatures?: number;
  /** A client from before the features field: it sends none whatever the server announces. */
  clientWithoutFeatures?: boolean;
}

/** Run both sides in memory, as the drivers would. Throws what either side throws. */
export function runHandshake(opts: RunOptions = {}): Transcript {
  const t = opts.tamper ?? ((_i, b) => b);
  const cp = opts.clientProvider ?? tweetnaclProvider;
  const sp = opts.serverProvider ?? tweetnaclProvider;
  const c1 = clientStart({ provider: cp });
  const s1 = serverOnHello({ identity: opts.identity ?? SERVER_IDENTITY, provider: sp, features: opts.serverFeatures }, t(1, c1.out));
  const reply = t(2, s1.out);
  if (s1.refused) {
    clientOnReply(c1.state, reply, opts.check); // throws the refusal
    throw s1.refused;
  }
  const c2 = clientOnReply(c1.state, reply, opts.check);
  const auth: ClientAuthRequest = { service: 'nameServer', method: 'password', password: 'ABXy45', argsC: ARGS_C, ...opts.auth };
  const ready = opts.clientWithoutFeatures ? { ...c2.state, serverInfo: { ...c2.state.serverInfo, features: 0 } } : c2.state;
  const c3 = clientAuth(ready, auth);
  const s2 = serverOnAuth(s1.state, t(3, c3.out));
  const code = opts.decide ? opts.decide(s2.request) : 'ack';
  const s3 = serverResult(s2.state, code);
  const c4 = clientOnResult(c3.state, t(4, s3.out));
  return {
    hello: c1.out,
    reply: s1.out,
    auth: c3.out,
    result: s3.out,
    request: s2.request,
    client: c4.session,
    server: s3.session,
    clientError: c4.error,
  };
}

// ---- known-answer vectors (docs/protocol.md ```kat blocks) ----

/** Inputs of a secure handshake vector, as written in the spec. */
export interface SecureKatInput {
  server_static_secret: string;
  client_ephemeral_secret: string;
  server_ephemeral_secret: string;
  service: string;
  method: 'none' | 'password' | 'key';
  password?: string;
  client_key_seed?: string;
  args_c: string;
  result: ResultName;
  /** Only for result = ack: one record each way after the handshake. */
  record_c2s_plain?: string;
  record_s2c_plain?: string;
}

/** The outputs a secure handshake vector lists, recomputed from its inputs with `provider`. */
export function computeSecureKat(input: SecureKatInput, provider: CryptoProvider): Record<string, string> {
  const identity = provider.x25519Keypair(fromHex(input.server_static_secret));
  const cp = fixedRandom(provider, [fromHex(input.client_ephemeral_secret)]);
  const sp = fixedRandom(provider, [fromHex(input.server_ephemeral_secret)]);
  const t = runHandshake({
    clientProvider: cp,
    serverProvider: sp,
    identity,
    check: { pinnedKey: identity.publicKey },
    auth: {
      service: input.service,
      method: input.method,
      password: input.password,
      clientKey: input.client_key_seed ? provider.ed25519Keypair(fromHex(input.client_key_seed)) : undefined,
      argsC: fromHex(input.args_c),
    },
    decide: () => input.result,
  });
  const out: Record<string, string> = {
    server_static_public: toHex(identity.publicKey),
    hello: toHex(t.hello),
    reply: toHex(t.reply),
    auth: toHex(t.auth),
    result_message: toHex(t.result),
  };
  if (t.client && t.server) {
    out.h = toHex(t.client.handshakeHash);
    out.key_c2s = toHex(t.client.sendKey);
    out.key_s2c = toHex(t.client.receiveKey);
    const c = recordLayer(t.client, provider);
    const s = recordLayer(t.server, provider);
    if (input.record_c2s_plain !== undefined) out.record_c2s_0 = toHex(c.sealer.seal(fromHex(input.record_c2s_plain)));
    if (input.record_s2c_plain !== undefined) out.record_s2c_0 = toHex(s.sealer.seal(fromHex(input.record_s2c_plain)));
  }
  return out;
}
