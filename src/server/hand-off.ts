/**
 * A decided login, and the message that carries one to the process that
 * owns its service. With `{processes, N}` (src/server/processes.ts) any
 * process may accept a connection and run its login; a service whose
 * channels share state (the default, `{state, shared}`) runs in the primary
 * only, so a login to it is handed over there before its ack: the socket,
 * the secure session's keys (no record has used them yet), the records held
 * behind the login and every byte read but not delivered.
 */
import type { Session as SecureSession } from '../auth/secure/handshake.ts';
import type { Term } from '../wire/etf/term.ts';
import type { Service } from './services.ts';

/** What Session.establish() needs to open a channel. */
export interface Login {
  service: Service;
  argsC: Term;
  /** The method as the log names it: legacy, secure, secure-password, secure-key. */
  method: string;
  /** The frame that answers the login (legacy `ack`, or the sealed secure result): sent as the channel opens. */
  ack: Uint8Array;
  /** Secure records that came behind the login, opened first. */
  held?: Uint8Array[];
  /** The secure session (record keys, the peer's features); none for a legacy login. */
  keys?: SecureSession;
}

/** A Login on its way to the primary (structured clone over the IPC channel, with the socket beside it). */
export interface HandOffMessage {
  kind: 'handOff';
  service: string;
  method: string;
  /** ArgsC as ETF: terms are class instances, which a structured clone would flatten. */
  argsC: Uint8Array;
  ack: Uint8Array;
  held: Uint8Array[];
  keys?: SecureSession;
  /** Bytes read from the peer and not delivered, in order: the primary reads them before the socket. */
  rest: Uint8Array[];
}
