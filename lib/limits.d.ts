export declare const LIMITS: {
    readonly maxFrameBytes: {
        readonly default: number;
        readonly unit: "bytes";
        readonly min: 64;
        readonly max: number;
        readonly doc: "Largest frame accepted, checked from the 4-byte length prefix before any buffering.";
    };
    readonly maxDecompressedBytes: {
        readonly default: number;
        readonly unit: "bytes";
        readonly min: 0;
        readonly max: number;
        readonly doc: "Largest uncompressed size of a compressed term (tag 80); 0 refuses compressed terms.";
    };
    readonly maxTermDepth: {
        readonly default: 64;
        readonly unit: "count";
        readonly min: 1;
        readonly max: 10000;
        readonly doc: "Deepest nesting of tuples, lists and maps a decoded term may have.";
    };
    readonly maxAtomsPerTerm: {
        readonly default: 1000000;
        readonly unit: "count";
        readonly min: 1;
        readonly max: 100000000;
        readonly doc: "Most atoms one decoded term may hold (atoms are never interned globally).";
    };
    readonly handshakeTimeoutMs: {
        readonly default: 5000;
        readonly unit: "ms";
        readonly min: 10;
        readonly max: 600000;
        readonly doc: "Time a peer has from connecting to finishing the login; then it is closed.";
    };
    readonly idleTimeoutMs: {
        readonly default: 0;
        readonly unit: "ms";
        readonly min: 0;
        readonly max: 86400000;
        readonly doc: "Close a channel after this long with no frame in either direction; 0 disables.";
    };
    readonly connectTimeoutMs: {
        readonly default: 10000;
        readonly unit: "ms";
        readonly min: 10;
        readonly max: 600000;
        readonly doc: "Client: time allowed for the TCP/WebSocket connect plus the handshake.";
    };
    readonly rpcTimeoutMs: {
        readonly default: 30000;
        readonly unit: "ms";
        readonly min: 1;
        readonly max: 86400000;
        readonly doc: "Client: default time an rpc waits for its reply.";
    };
    readonly maxConnections: {
        readonly default: 1024;
        readonly unit: "count";
        readonly min: 1;
        readonly max: 1000000;
        readonly doc: "Concurrent connections per server; one more is closed at once with a logged reason.";
    };
    readonly maxConnectionsPerAddress: {
        readonly default: 256;
        readonly unit: "count";
        readonly min: 1;
        readonly max: 1000000;
        readonly doc: "Concurrent connections from one remote address.";
    };
    readonly maxInflightRpcs: {
        readonly default: 1024;
        readonly unit: "count";
        readonly min: 1;
        readonly max: 1000000;
        readonly doc: "Calls awaiting a reply on one channel; one more closes the channel (server) or fails the call (client).";
    };
    readonly maxQueuedBytes: {
        readonly default: number;
        readonly unit: "bytes";
        readonly min: 1024;
        readonly max: number;
        readonly doc: "Bytes queued for a peer that reads slowly; past this the channel is closed.";
    };
    readonly maxMailboxMessages: {
        readonly default: 10000;
        readonly unit: "count";
        readonly min: 1;
        readonly max: 10000000;
        readonly doc: "Messages queued for a handler that has not taken them yet; past this the channel is closed.";
    };
    readonly maxLoginFailures: {
        readonly default: 5;
        readonly unit: "count";
        readonly min: 1;
        readonly max: 1000000;
        readonly doc: "Failed logins from one address to one service before that pair is locked out for loginLockoutMs.";
    };
    readonly maxServiceLoginFailures: {
        readonly default: 100;
        readonly unit: "count";
        readonly min: 1;
        readonly max: 10000000;
        readonly doc: "Failed logins to one service from all addresses within loginLockoutMs before new attempts are slowed.";
    };
    readonly loginLockoutMs: {
        readonly default: 60000;
        readonly unit: "ms";
        readonly min: 0;
        readonly max: 86400000;
        readonly doc: "Lock-out window after too many failed logins (and the window failures are counted in).";
    };
    readonly closeGraceMs: {
        readonly default: 5000;
        readonly unit: "ms";
        readonly min: 0;
        readonly max: 600000;
        readonly doc: "On shutdown, time handlers get to finish after their channel is told to close.";
    };
    readonly watchdogMs: {
        readonly default: 5000;
        readonly unit: "ms";
        readonly min: 20;
        readonly max: 600000;
        readonly doc: "Worker isolation: a service worker that leaves the watchdog's ping unanswered this long (its event loop is blocked) is terminated; its channels close with handlerCrashed.";
    };
    readonly workerMaxHeapMb: {
        readonly default: 256;
        readonly unit: "MiB";
        readonly min: 8;
        readonly max: 65536;
        readonly doc: "Worker isolation: old-generation heap of one service worker; a worker that needs more is terminated (handlerCrashed).";
    };
    readonly workerStartTimeoutMs: {
        readonly default: 30000;
        readonly unit: "ms";
        readonly min: 100;
        readonly max: 600000;
        readonly doc: "Worker isolation: time a new service worker has to load its module and report ready; then it is terminated (a crash).";
    };
    readonly maxServiceWorkers: {
        readonly default: 4;
        readonly unit: "count";
        readonly min: 1;
        readonly max: 64;
        readonly doc: "Worker isolation: most worker threads of one service at once (a fresh one takes new channels while the current one is unresponsive).";
    };
};
export type LimitName = keyof typeof LIMITS;
/**
 * The limits a service may set in its own options (`{limits, [...]}`): the ones
 * that apply once the login has chosen the service. The rest act before that
 * (frames, handshake, connections, logins, shutdown) and are server-wide; the
 * conf refuses them in service options rather than ignore them.
 */
export declare const SERVICE_LIMITS: readonly ["idleTimeoutMs", "maxInflightRpcs", "maxQueuedBytes", "maxMailboxMessages", "maxTermDepth", "maxDecompressedBytes", "maxAtomsPerTerm", "watchdogMs", "workerMaxHeapMb", "workerStartTimeoutMs", "maxServiceWorkers"];
export type Limits = {
    [K in LimitName]: number;
};
export declare const DEFAULT_LIMITS: Readonly<Limits>;
/** Fill defaults and check ranges; a bad key or value is a badConf naming it. */
export declare function resolveLimits(partial?: Partial<Record<string, unknown>>, base?: Readonly<Limits>): Limits;
/** The README limits table, rendered from LIMITS (a test keeps the README in step). */
export declare function renderLimitsTable(): string;
//# sourceMappingURL=limits.d.ts.map