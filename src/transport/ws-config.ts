/**
 * The WebSocket listener's settings (the conf's `{websocket, [...]}` term,
 * checked by conf/schema.ts), apart from the listener so that reading them
 * needs neither `ws` nor its types.
 */
export interface WebSocketConfig {
  port: number;
  /** URL path clients connect to. @default "/" */
  path: string;
  /** @default the server's bind address */
  bind: string;
  /** Absolute paths of the PEM certificate and key; absent = plain ws://. */
  tls?: { certFile: string; keyFile: string };
  /** Allowed `Origin` headers; absent = only the listener's own origin (a browser page from another site is refused). */
  origins?: string[];
  /** `{permessage_deflate, true}`: accept compressed messages (bounded; see ws-server.ts). @default false */
  permessageDeflate?: boolean;
}
