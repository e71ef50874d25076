/**
 * The services a server offers: each conf entry with its handler function,
 * which the conf loader imported and checked (a missing module or function is
 * a start-up error, not a surprise at the first connect), and its message
 * schema compiled.
 */
import { readFile } from 'node:fs/promises';
import { ChanError } from '../errors.ts';
import type { ServerConfig, ServiceConfig } from '../conf/schema.ts';
import type { MiddleMan } from '../chan/middle-man.ts';
import type { Term } from '../wire/etf/term.ts';
import { compileMessageSchema } from './message-schema.ts';
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
  /** Why new logins are refused besides a down supervisor (a singleton this gateway does not lead), or undefined. */
  gate?: () => string | undefined;
}

/** Why `service` refuses new logins now (its worker service gave up, or the registry gates it), or undefined. */
export function serviceUnavailable(service: Service): string | undefined {
  return service.supervisor?.unavailable() ?? service.gate?.();
}

export type ServiceRegistry = ReadonlyMap<string, Service>;

export async function loadServices(config: ServerConfig): Promise<ServiceRegistry> {
  const out = new Map<string, Service>();
  for (const svc of config.services.values()) {
    let validate: Service['validate'];
    if (svc.schemaFile) {
      let schema: unknown;
      try {
        schema = JSON.parse(await readFile(svc.schemaFile, 'utf8'));
      } catch (e) {
        throw new ChanError(
          'badConf',
          `${config.file ?? 'conf'}:${svc.line}: service ${svc.name}: cannot read message schema ${svc.schemaFile}: ${(e as Error).message}`,
          {
            cause: e,
            details: { file: config.file, line: svc.line, service: svc.name },
          },
        );
      }
      validate = await compileMessageSchema(schema, `${config.file ?? 'conf'}:${svc.line}`);
    }
    out.set(svc.name, { config: svc, handler: svc.handler as HandlerFn, validate });
  }
  return out;
}
