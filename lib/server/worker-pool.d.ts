import { type MiddleMan } from '../chan/middle-man.ts';
import type { Term } from '../wire/etf/term.ts';
import type { ServiceConfig } from '../conf/schema.ts';
import type { Logger } from './log.ts';
import type { ServiceRegistry } from './services.ts';
/** Why a worker thread ended other than by our asking. */
export type WorkerDeath = 'watchdog' | 'outOfMemory' | 'uncaught' | 'exited' | 'startFailed' | 'startTimeout';
export interface SupervisorHooks {
    /** A worker died (metrics). */
    workerCrashed?(service: string, reason: WorkerDeath): void;
}
export declare class WorkerSupervisor {
    readonly service: string;
    private readonly cfg;
    private readonly log;
    private readonly hooks;
    private readonly workers;
    private current;
    private crashes;
    private down;
    private started;
    private stopped;
    private nextCid;
    constructor(cfg: ServiceConfig, log: Logger, hooks?: SupervisorHooks);
    /** Start the service's worker; rejects with badConf when it cannot load the module. */
    start(): Promise<void>;
    /** Why the service refuses new logins (its restart intensity was exceeded), or undefined. */
    unavailable(): string | undefined;
    /** Worker threads alive now (current, starting and retiring). */
    get workerCount(): number;
    /** Thread id of the worker that takes new channels (tests, status). */
    get currentThreadId(): number | undefined;
    /** Run the handler for a new channel in the service's worker. */
    attach(mm: MiddleMan, argsC: Term): void;
    /** Reload: no new channels; each worker ends when its last channel closes. */
    retire(): void;
    /** Shutdown: terminate every worker now (the server has drained the channels first). */
    stop(): void;
    private pick;
    private forward;
    private post;
    private spawn;
    private onMessage;
    private onReady;
    /** One watchdog step: ping, or judge the ping that is out. */
    private tick;
    private kill;
    /** Terminate on purpose (retired or stopped): not a crash. */
    private end;
    private onExit;
    /** The supervisor's decision: restart for new channels, or give up until a reload. */
    private restartAfterCrash;
}
/** Start a supervisor (and its worker) for every `{isolation, worker}` service; all ready, or none left running. */
export declare function startWorkers(services: ServiceRegistry, log: Logger, hooks?: SupervisorHooks): Promise<void>;
/** Reload: the old services' workers take no new channels and end with their last channel. */
export declare function retireWorkers(services: ServiceRegistry): void;
/** Shutdown: terminate every service worker. */
export declare function stopWorkers(services: ServiceRegistry): void;
//# sourceMappingURL=worker-pool.d.ts.map