import type { Channel, RpcOptions } from './chan/channel.ts';
import type { Term } from './wire/etf/term.ts';
import { type ConnectOptions } from './client/connect.ts';
export { cast, rpc, disconnect } from './client/connect.ts';
import { type WebSocketConstructor } from './transport/ws-client.ts';
export interface BrowserConnectOptions extends Omit<ConnectOptions, 'knownHosts' | 'clientKeyFile'> {
    /** The WebSocket class. @default globalThis.WebSocket */
    WebSocket?: WebSocketConstructor;
}
/**
 * Connect to `url` (ws:// or wss://) and log in to `service`. `password` is
 * null for a service without one (or when logging in with `options.clientKey`).
 */
export declare function connect(url: string, service: string, password: string | null, argsC?: Term, options?: BrowserConnectOptions): Promise<Channel>;
export type { Channel, RpcOptions, Term, WebSocketConstructor };
export type { CloseInfo } from './chan/middle-man.ts';
export { ChanError, isChanError, ERROR_CODES, type ErrorCode } from './errors.ts';
export { LIMITS, type Limits } from './limits.ts';
export { Atom, Tuple, ImproperList, ErlFloat, BitBinary, Opaque, atom, tuple, float, improperList, binary, isAtom, isTuple, isRecord, termEqual, mapEntries, } from './wire/etf/term.ts';
export { formatTerm, toJson } from './wire/etf/format.ts';
export { encodeTerm } from './wire/etf/encode.ts';
export { decodeTerm } from './wire/etf/decode.ts';
export { encodePublicKey, decodePublicKey, fingerprint } from './auth/keys.ts';
//# sourceMappingURL=browser.d.ts.map