/**
 * `lib-chan`, the Node entry: the client, the term model, the errors and the
 * limits. The server is here too, loaded on first use (startServer and
 * loadConfig import `lib-chan/server` when called), so a client-only program
 * never loads the server's logger, schema compiler or metrics.
 *
 *   import { connect, atom, tuple, formatTerm } from 'lib-chan';
 *   const ch = await connect('127.0.0.1', 1234, 'nameServer', 'ABXy45');
 *   console.log(formatTerm(await ch.rpc(tuple(atom('lookup'), atom('joe')))));
 *   ch.close();
 */
import type { Server, StartOptions } from './server/server.ts';
import type { ServerConfig } from './conf/schema.ts';

export {
  connect,
  cast,
  rpc,
  disconnect,
  ReconnectingChannel,
  type NodeConnectOptions,
  type ConnectOptions,
  type ServiceTarget,
  type ByNameOptions,
  type StatusEvent,
} from './client/node.ts';
export { openRegistry } from './registry/open.ts';
export { parseRegistryUrl, HEALTH, type Registry, type GatewayRecord, type Instance, type Health, type ServiceEntry } from './registry/registry.ts';
export type { Channel, RpcOptions } from './chan/channel.ts';
export type { CloseInfo } from './chan/middle-man.ts';
export { ChanError, isChanError, ERROR_CODES, type ErrorCode, type ErrorDetails } from './errors.ts';
export { LIMITS, resolveLimits, type Limits } from './limits.ts';
export { encodePublicKey, decodePublicKey, fingerprint } from './auth/keys.ts';
export * from './terms.ts';

export type { Server, StartOptions, ServerStats } from './server/server.ts';
export type { MiddleMan, Request, MessageCallback } from './chan/middle-man.ts';
export type { HandlerFn } from './server/services.ts';
export type { ServerConfig, ServiceConfig } from './conf/schema.ts';

/** Start a server (see `lib-chan/server`, which this loads on first call). */
export async function startServer(opts: StartOptions = {}): Promise<Server> {
  return (await import('./server-api.ts')).startServer(opts);
}

/** Read and check a lib_chan.conf (see `lib-chan/server`, which this loads on first call). */
export async function loadConfig(file?: string): Promise<ServerConfig> {
  return (await import('./server-api.ts')).loadConfig(file);
}
