import type { Channel } from '../chan/channel.ts';
import type { Term } from '../wire/etf/term.ts';
import { type WebSocketConstructor } from '../transport/ws-client.ts';
import { type ConnectOptions } from './connect.ts';
export { cast, rpc, disconnect } from './connect.ts';
export interface NodeConnectOptions extends ConnectOptions {
    /** ws:// and wss:// URLs: the WebSocket class to use (e.g. one extending ws's with TLS options). @default ws's, with maxPayload = maxFrameBytes */
    webSocket?: WebSocketConstructor;
}
export type { ConnectOptions };
type UrlArgs = [service: string, password: string | null, argsC?: Term, options?: NodeConnectOptions];
type HostArgs = [port: number, ...UrlArgs];
/**
 * Connect and log in. `password` is the service's password, or null for a
 * service without one (or when logging in with `options.clientKey`).
 * `connect(host, port, ...)` is TCP; `connect(url, ...)` takes
 * `ws://host:port/path`, `wss://...` or `tcp://host:port`. The API and the
 * errors are the same whichever way the bytes go.
 */
export declare function connect(url: string, ...rest: UrlArgs): Promise<Channel>;
export declare function connect(host: string, ...rest: HostArgs): Promise<Channel>;
//# sourceMappingURL=node.d.ts.map