/**
 * The one error class of lib_chan, and the table of its stable codes.
 *
 * Codes reuse the original's atoms where they exist (`badService`,
 * `authFail`). Tests assert `.code` and `.details`, never the message text,
 * and a test checks that the README lists exactly the codes of this table.
 */
/** Every error code, with a one-line summary (rendered into the README). */
export declare const ERROR_CODES: {
    readonly badService: {
        readonly summary: "The server does not offer the requested service.";
        readonly closesConnection: true;
    };
    readonly authFail: {
        readonly summary: "The credentials were refused by the service.";
        readonly closesConnection: true;
    };
    readonly timeout: {
        readonly summary: "An operation (connect, handshake, rpc) did not finish within its time limit.";
        readonly closesConnection: false;
    };
    readonly closed: {
        readonly summary: "The channel was closed by this side; nothing more can be sent or received.";
        readonly closesConnection: true;
    };
    readonly connectionLost: {
        readonly summary: "The peer closed the connection or the network dropped it.";
        readonly closesConnection: true;
    };
    readonly connectionRefused: {
        readonly summary: "The TCP or WebSocket connection could not be opened.";
        readonly closesConnection: true;
    };
    readonly frameTooLarge: {
        readonly summary: "A frame length prefix is larger than maxFrameBytes.";
        readonly closesConnection: true;
    };
    readonly badFrame: {
        readonly summary: "The bytes on the wire do not form a valid frame.";
        readonly closesConnection: true;
    };
    readonly badTerm: {
        readonly summary: "A frame does not hold a valid External Term Format term (or exceeds a decoding limit).";
        readonly closesConnection: true;
    };
    readonly handshakeTimeout: {
        readonly summary: "The peer did not finish the handshake within handshakeTimeoutMs.";
        readonly closesConnection: true;
    };
    readonly protocolError: {
        readonly summary: "The peer sent a message the protocol does not allow at this point.";
        readonly closesConnection: true;
    };
    readonly legacyRefused: {
        readonly summary: "The legacy MD5 login is not allowed for this service or listener.";
        readonly closesConnection: true;
    };
    readonly serverKeyMismatch: {
        readonly summary: "The server presented an identity key different from the pinned one.";
        readonly closesConnection: true;
    };
    readonly badRecord: {
        readonly summary: "An encrypted frame failed authentication (tampered, replayed, reordered or dropped).";
        readonly closesConnection: true;
    };
    readonly limitExceeded: {
        readonly summary: "A configured limit was crossed (connections, queue size, in-flight rpcs, ...).";
        readonly closesConnection: true;
    };
    readonly handlerCrashed: {
        readonly summary: "The service handler threw or rejected; its channel was closed.";
        readonly closesConnection: true;
    };
    readonly badConf: {
        readonly summary: "The configuration is invalid; the message names the file, line and problem.";
        readonly closesConnection: false;
    };
    readonly remoteError: {
        readonly summary: "The service answered the rpc with an error ({error, Code, Message}); details.remoteCode holds Code.";
        readonly closesConnection: false;
    };
    readonly badArgument: {
        readonly summary: "An API function was called with an argument it cannot use.";
        readonly closesConnection: false;
    };
};
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
export declare class ChanError extends Error {
    readonly name = "ChanError";
    readonly code: ErrorCode;
    readonly details: ErrorDetails;
    constructor(code: ErrorCode, message: string, options?: {
        details?: ErrorDetails;
        cause?: unknown;
    });
}
export declare function isChanError(e: unknown, code?: ErrorCode): e is ChanError;
//# sourceMappingURL=errors.d.ts.map