import type { ServerConfig, ServiceConfig } from '../conf/schema.ts';
import type { MiddleMan } from '../chan/middle-man.ts';
import type { Term } from '../wire/etf/term.ts';
import type { WorkerSupervisor } from './worker-pool.ts';
/** A service handler: the original's `Mod:Fun(MM, ArgsC, ArgsS)`. */
export type HandlerFn = (mm: MiddleMan, argsC: Term, argsS: Term) => unknown;
export interface Service {
    readonly config: ServiceConfig;
    readonly handler: HandlerFn;
    /** Compiled message schema, when the service names one. */
    readonly validate?: (term: Term) => string | undefined;
    /** `{isolation, worker}`: runs the handlers in a worker thread (set by the server when it starts them). */
    supervisor?: WorkerSupervisor;
}
export type ServiceRegistry = ReadonlyMap<string, Service>;
export declare function loadServices(config: ServerConfig): Promise<ServiceRegistry>;
//# sourceMappingURL=services.d.ts.map