/**
 * The one error class of lib_chan, and the table of its stable codes.
 *
 * Codes reuse the original's atoms where they exist (`badService`,
 * `authFail`). Tests assert `.code` and `.details`, never the message text,
 * and a test checks that the README lists exactly the codes of this table.
 */

/** Every error code, with a one-line summary (rendered into the README). */
export const ERROR_CODES = {
  badService: { summary: 'The server does not offer the requested service.', closesConnection: true },
  authFail: { summary: 'The credentials were refused by the service.', closesConnection: true },
  timeout: { summary: 'An operation (connect, handshake, rpc) did not finish within its time limit.', closesConnection: false },
  closed: { summary: 'The channel was closed by this side; nothing more can be sent or received.', closesConnection: true },
  connectionLost: { summary: 'The peer closed the connection or the network dropped it.', closesConnection: true },
  connectionRefused: { summary: 'The TCP or WebSocket connection could not be opened.', closesConnection: true },
  frameTooLarge: { summary: 'A frame length prefix is larger than maxFrameBytes.', closesConnection: true },
  badFrame: { summary: 'The bytes on the wire do not form a valid frame.', closesConnection: true },
  badTerm: { summary: 'A frame does not hold a valid External Term Format term (or exceeds a decoding limit).', closesConnection: true },
  handshakeTimeout: { summary: 'The peer did not finish the handshake within handshakeTimeoutMs.', closesConnection: true },
  protocolError: { summary: 'The peer sent a message the protocol does not allow at this point.', closesConnection: true },
  legacyRefused: { summary: 'The legacy MD5 login is not allowed for this service or listener.', closesConnection: true },
  serverKeyMismatch: { summary: 'The server presented an identity key different from the pinned one.', closesConnection: true },
  unknownServerKey: {
    summary: "The server's key is neither pinned nor in known_hosts, and trust on first use is off (trustOnFirstUse: false, or onFirstUse refused it).",
    closesConnection: true,
  },
  badRecord: { summary: 'An encrypted frame failed authentication (tampered, replayed, reordered or dropped).', closesConnection: true },
  limitExceeded: { summary: 'A configured limit was crossed (connections, queue size, in-flight rpcs, ...).', closesConnection: true },
  handlerCrashed: { summary: 'The service handler threw or rejected; its channel was closed.', closesConnection: true },
  badConf: { summary: 'The configuration is invalid; the message names the file, line and problem.', closesConnection: false },
  remoteError: { summary: 'The service answered the rpc with an error ({error, Code, Message}); details.remoteCode holds Code.', closesConnection: false },
  serviceUnavailable: { summary: 'No gateway in the registry serves the service, or every one failed (details.attempts says how).', closesConnection: false },
  badArgument: { summary: 'An API function was called with an argument it cannot use.', closesConnection: false },
  connectTimeout: { summary: 'Remote start: no SSH session (TCP, handshake, authentication) within the connect timeout.', closesConnection: true },
  hostKeyMismatch: { summary: 'Remote start: the SSH host key differs from the one pinned in known_hosts (or is marked @revoked).', closesConnection: true },
  unknownHostKey: { summary: 'Remote start: known_hosts has no key for the SSH host (pin it, or use --accept-new).', closesConnection: true },
  commandNotFound: { summary: 'Remote start: the remote command is not on the remote PATH (details.remotePath).', closesConnection: false },
  permissionDenied: { summary: 'Remote start: the remote command is not executable, or a remote folder cannot be written.', closesConnection: false },
  uploadFailed: { summary: 'Remote start: the SFTP upload failed or timed out.', closesConnection: false },
  bootTimeout: { summary: 'Remote start: the remote command did not report its PID within the boot timeout.', closesConnection: false },
  initTimeout: { summary: 'Remote start: the gateway did not load its conf, handlers and identity within the init timeout.', closesConnection: false },
  startupTimeout: { summary: 'Remote start: the gateway did not bind its listeners within the startup timeout.', closesConnection: false },
  exitedEarly: { summary: 'Remote start: the gateway exited before it was ready (details.exitStatus).', closesConnection: false },
} as const satisfies Record<string, { summary: string; closesConnection: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Structured context; every field optional. Never holds a secret. */
export interface ErrorDetails {
  offset?: number;
  limit?: number;
  actual?: number;
  phase?: string;
  side?: 'client' | 'server';
  service?: string;
  peer?: string;
  file?: string;
  line?: number;
  column?: number;
  [key: string]: unknown;
}

export class ChanError extends Error {
  override readonly name = 'ChanError';
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, options: { details?: ErrorDetails; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }
}

export function isChanError(e: unknown, code?: ErrorCode): e is ChanError {
  return e instanceof ChanError && (code === undefined || e.code === code);
}
