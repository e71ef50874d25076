import type { ServerConfig } from '../conf/schema.ts';
import type { MiddleMan } from '../chan/middle-man.ts';
import type { Transport } from '../transport/transport.ts';
import { type Logger } from './log.ts';
import { type ServiceRegistry } from './services.ts';
import { Session } from './session.ts';
import { LoginGuard } from './login-guard.ts';
import { ServerMetrics, type MetricsSource } from './metrics.ts';
export interface StartOptions {
    /** Path of lib_chan.conf. @default $HOME/.erlang_config/lib_chan.conf */
    conf?: string;
    /** An already loaded config (instead of `conf`). */
    config?: ServerConfig;
    /** Override the conf's port (0 = an ephemeral port, for tests). */
    port?: number;
    /** Override the conf's bind address. */
    bind?: string;
    logger?: Logger;
}
export interface ServerStats {
    connections: number;
    channels: number;
    accepted: number;
    refusedAtAccept: number;
}
export declare class Server implements MetricsSource {
    config: ServerConfig;
    services: ServiceRegistry;
    readonly log: Logger;
    readonly guard: LoginGuard;
    readonly stats: ServerStats;
    private readonly listener;
    private readonly sessions;
    private readonly channels;
    private readonly perAddress;
    /** Accepted TCP connections until their sockets close: close() flushes, then cuts them. */
    private readonly sockets;
    private readonly forgetSocket;
    /** What every session sees of this server: one object for all connections, rebuilt on reload. */
    private sessionContext;
    private secure;
    private stopping;
    private ws;
    /** The metrics endpoint's counters, when the conf has `{metrics, [...]}` (the endpoint is not reloaded). */
    readonly metrics: ServerMetrics | undefined;
    /** Services replaced by a reload whose workers may still serve old channels. */
    private readonly retiredServices;
    private readonly workerHooks;
    private constructor();
    static start(opts?: StartOptions): Promise<Server>;
    get port(): number;
    /** Port of the WebSocket listener (0 when the conf has none). */
    get wsPort(): number;
    get address(): string;
    /** Port of the metrics endpoint (0 when the conf has none). */
    get metricsPort(): number;
    /** The open channels (for the metrics). */
    openChannels(): Iterable<MiddleMan>;
    /** The server's public identity key, when it has one (what clients pin). */
    get publicKey(): Uint8Array | undefined;
    private listen;
    private onConnection;
    /**
     * Admission control shared by every listener (TCP accept, WebSocket
     * upgrade): the reason to refuse a connection from `addr`, logged and
     * counted, or undefined to let it in. attach() then counts it.
     */
    admit(addr: string, peer: string, listener: 'tcp' | 'ws'): string | undefined;
    /** Run the lib_chan protocol over a transport (TCP here; the WebSocket listener calls this too). */
    attach(transport: Transport): Session;
    /**
     * The context sessions run in: built once per configuration, not per
     * connection (an idle connection should hold as little as possible).
     */
    private contextForSessions;
    get connectionCount(): number;
    get channelCount(): number;
    /** Reload the conf: new and changed services serve new connections; open channels are kept. */
    reload(): Promise<void>;
    /**
     * Stop: no new connections, handlers are told to close (their iteration
     * ends), what is queued is flushed; after `graceMs` the rest is cut.
     */
    close(graceMs?: number): Promise<void>;
}
export declare function startServer(opts?: StartOptions): Promise<Server>;
//# sourceMappingURL=server.d.ts.map