/**
 * The browser entry (bundled by `npm run build` into dist/lib_chan.browser.js):
 * the client over WebSocket with the same API and errors as the Node client,
 * tweetnacl for the crypto and crypto.getRandomValues for randomness.
 *
 *   const ch = await connect('wss://example.com/chan', 'nameServer', 'ABXy45', [], { serverKey });
 *
 * A page has no known-hosts file, so the secure protocol needs the server's
 * key pinned: `serverKey` (the `lcsk1:...` text `lib_chan start` prints), or
 * your own `checkServerKey`. Serve it from the page's own origin (a config
 * JSON next to the page, or embedded at build time), never from the
 * WebSocket server you are about to check; see examples/browser/.
 */
import { ChanError } from './errors.ts';
import { resolveLimits } from './limits.ts';
import type { Channel, RpcOptions } from './chan/channel.ts';
import type { Term } from './wire/etf/term.ts';
import { connectOver, type ConnectOptions } from './client/connect.ts';

export { cast, rpc, disconnect } from './client/connect.ts';
import { connectWebSocket, type WebSocketConstructor } from './transport/ws-client.ts';

export interface BrowserConnectOptions extends Omit<ConnectOptions, 'knownHosts' | 'clientKeyFile'> {
  /** The WebSocket class. @default globalThis.WebSocket */
  WebSocket?: WebSocketConstructor;
}

/**
 * Connect to `url` (ws:// or wss://) and log in to `service`. `password` is
 * null for a service without one (or when logging in with `options.clientKey`).
 */
export async function connect(url: string, service: string, password: string | null, argsC: Term = [], options: BrowserConnectOptions = {}): Promise<Channel> {
  const opts = options as ConnectOptions & BrowserConnectOptions;
  if (opts.knownHosts || opts.clientKeyFile !== undefined) {
    throw new ChanError('badArgument', 'knownHosts and clientKeyFile are files: a browser has none. Pass serverKey (and clientKey) instead');
  }
  if (options.protocol !== 'legacy' && options.serverKey === undefined && options.checkServerKey === undefined) {
    throw new ChanError(
      'badArgument',
      "the secure protocol in a browser needs the server key pinned: pass options.serverKey (the lcsk1:... text the server prints), served from the page's own origin, or options.checkServerKey",
    );
  }
  const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!WebSocketImpl) throw new ChanError('badArgument', 'no WebSocket class: pass options.WebSocket');
  const limits = resolveLimits(options.limits ?? {});
  const transport = await connectWebSocket(url, { WebSocket: WebSocketImpl, maxFrameBytes: limits.maxFrameBytes, timeoutMs: limits.connectTimeoutMs });
  return connectOver(transport, service, password, argsC, options);
}

export type { Channel, RpcOptions, WebSocketConstructor };
export type { CloseInfo } from './chan/middle-man.ts';
export { ChanError, isChanError, ERROR_CODES, type ErrorCode } from './errors.ts';
export { LIMITS, type Limits } from './limits.ts';
// The same term model as lib-chan/terms (and as the Node entry).
export * from './terms.ts';
export { encodePublicKey, decodePublicKey, fingerprint } from './auth/keys.ts';
