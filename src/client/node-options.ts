/** The Node client's connect options: the isomorphic ones plus what only Node has. */
import type { WebSocketConstructor } from '../transport/ws-client.ts';
import type { ConnectOptions } from './connect.ts';

export interface NodeConnectOptions extends ConnectOptions {
  /** ws:// and wss:// URLs: the WebSocket class to use (e.g. one extending ws's with TLS options). @default ws's, with maxPayload = maxFrameBytes */
  webSocket?: WebSocketConstructor;
}
