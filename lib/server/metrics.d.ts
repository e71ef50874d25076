import { Registry } from 'prom-client';
import type { CloseInfo, MiddleMan } from '../chan/middle-man.ts';
import type { LoginGuard } from './login-guard.ts';
import type { ServiceRegistry } from './services.ts';
/** What the sessions report (SessionContext.metrics). */
export interface SessionMetrics {
    /** A login ended: `result` as logged (ack, authFail, handshakeTimeout, ...); `limitKey` when a limit ended it. */
    handshake(result: string, method: string, limitKey?: unknown): void;
    /** A limit from LIMITS was crossed. */
    limitHit(key: string): void;
}
/** What the metrics read from their server at scrape time. */
export interface MetricsSource {
    readonly connectionCount: number;
    readonly services: ServiceRegistry;
    readonly guard: LoginGuard;
    openChannels(): Iterable<MiddleMan>;
}
/** Seconds; from 50 µs (a loopback echo) to 10 s. */
export declare const RPC_BUCKETS: number[];
export declare class ServerMetrics implements SessionMetrics {
    readonly registry: Registry<"text/plain; version=0.0.4; charset=utf-8">;
    private readonly source;
    /** Totals of the channels closed so far, per service. */
    private readonly closedTotals;
    private readonly rpcObservers;
    private readonly acceptedTotal;
    private readonly refusedTotal;
    private readonly handshakes;
    private readonly rpcSeconds;
    private readonly handlerCrashes;
    private readonly workerCrashes;
    private readonly limitHits;
    private server;
    constructor(source: MetricsSource);
    accepted(listener: string): void;
    refused(reason: string, listener: string): void;
    handshake(result: string, method: string, limitKey?: unknown): void;
    limitHit(key: string): void;
    workerCrashed(service: string, reason: string): void;
    /** The observer a channel of `service` reports its secure calls' latency to (MiddleMan.rpcObserver). */
    rpcObserver(service: string): (seconds: number) => void;
    /** A channel closed: keep its totals, count a crash or a limit. Call before it leaves openChannels(). */
    channelClosed(mm: MiddleMan, info: CloseInfo): void;
    /** Serve GET /metrics on `bind:port` (0 = an ephemeral port). */
    listen(port: number, bind: string, file?: string): Promise<void>;
    /** Port of the HTTP endpoint (0 when not listening). */
    get port(): number;
    get url(): string;
    close(): Promise<void>;
}
//# sourceMappingURL=metrics.d.ts.map