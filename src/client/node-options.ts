/** The Node client's connect options: the isomorphic ones plus what only Node has. */
import type { WebSocketConstructor } from '../transport/ws-client.ts';
import type { ConnectOptions } from './connect.ts';

export interface NodeConnectOptions extends ConnectOptions {
  /** ws:// and wss:// URLs: the WebSocket class to use (e.g. one extending ws's with TLS options). @default ws's, with maxPayload = maxFrameBytes */
  webSocket?: WebSocketConstructor;
  /**
   * After any read or write on this channel, keep this process's event loop polling, without
   * sleeping, for this many microseconds (0 to 10,000): a caller that waits on each reply gets it
   * without its own wake-up, for a core kept busy that long after each exchange (the server's
   * `{busy_poll, N}`, README "Latency"). @default 0 (off)
   */
  busyPollUs?: number;
}
