import type { Limits } from '../limits.ts';
import { type ServerConfig, type ServiceConfig } from './schema.ts';
/** Largest conf file read, in bytes (1 MiB). */
export declare const MAX_CONF_BYTES: number;
/** `$HOME/.erlang_config/lib_chan.conf`, as in the book; HOME unset is a badConf. */
export declare function defaultConfPath(env?: Record<string, string | undefined>): string;
/** Read, parse and check a conf file, and resolve every service module. */
export declare function loadConfig(file?: string): Promise<ServerConfig>;
/** Parse and check conf text as if read from `file` (relative paths in it are relative to its directory). */
export declare function parseConfig(text: string, file: string): Promise<ServerConfig>;
interface Where {
    file: string;
    line: number;
    column: number;
    service?: string;
}
/**
 * Find `<dir>/<module><ext>` in `modulePaths` (in order; extensions as MODULE_EXTENSIONS), import it and
 * check that it exports a function `fn`. Returns the absolute path of the
 * file and the function. A missing module or function is a badConf naming
 * where it looked.
 */
export declare function resolveServiceModule(module: string, fn: string, modulePaths: readonly string[], where: Where): Promise<Pick<ServiceConfig, 'modulePath' | 'handler'>>;
/** A loggable summary of a config: auth kinds, never passwords, hashes or ArgsS. */
export interface RedactedConfig {
    file?: string;
    port: number;
    bind: string;
    legacy: ServerConfig['legacy'];
    identityFile?: string;
    modulePaths: string[];
    logLevel: string;
    limits: Limits;
    websocket?: ServerConfig['websocket'];
    metrics?: ServerConfig['metrics'];
    services: {
        name: string;
        passwordKind: 'none' | 'plain' | 'scrypt';
        auth: ServiceConfig['auth'];
        legacy: ServiceConfig['legacy'];
        clientKeys: string[];
        module: string;
        fn: string;
        modulePath: string;
        isolation: ServiceConfig['isolation'];
        restart?: ServiceConfig['restart'];
        onInvalid: ServiceConfig['onInvalid'];
        schemaFile?: string;
        /** Only the limits that differ from the server's. */
        limits: Partial<Limits>;
        line: number;
    }[];
}
export declare function redactConfig(config: ServerConfig): RedactedConfig;
export {};
//# sourceMappingURL=load.d.ts.map