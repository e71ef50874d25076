/**
 * The Node client: `connect(host, port, service, password, argsC, options)`
 * over TCP, as the book's lib_chan:connect/5, plus the free functions
 * cast/rpc/disconnect that mirror lib_chan's.
 */
import { resolveLimits } from '../limits.ts';
import type { Channel, RpcOptions } from '../chan/channel.ts';
import type { Term } from '../wire/etf/term.ts';
import { connectTcp } from '../transport/tcp.ts';
import { connectOver, type ConnectOptions } from './connect.ts';
import { nodeClientDefaults } from './secure-node.ts';

export type { ConnectOptions };

/**
 * Connect and log in. `password` is the service's password, or null for a
 * service without one (or when logging in with `options.clientKey`).
 */
export async function connect(host: string, port: number, service: string, password: string | null, argsC: Term = [], options: ConnectOptions = {}): Promise<Channel> {
  const limits = resolveLimits(options.limits ?? {});
  const transport = await connectTcp(host, port, { maxFrameBytes: limits.maxFrameBytes, timeoutMs: limits.connectTimeoutMs });
  return connectOver(transport, service, password, argsC, nodeClientDefaults(options, `${host}:${port}`));
}

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
