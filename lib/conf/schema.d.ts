import { type Limits } from '../limits.ts';
import { type Term } from '../wire/etf/term.ts';
import { type Position } from './term-lexer.ts';
import type { ParsedTerm } from './term-parser.ts';
export declare const LEGACY_POLICIES: readonly ["allow", "loopback", "deny"];
/** Where the legacy MD5 login is allowed: anywhere, from loopback peers only, or nowhere. */
export type LegacyPolicy = (typeof LEGACY_POLICIES)[number];
export declare const AUTH_METHODS: readonly ["password", "key", "legacy"];
export type AuthMethod = (typeof AUTH_METHODS)[number];
export declare const ISOLATION_MODES: readonly ["inline", "worker"];
export declare const ON_INVALID: readonly ["close", "drop"];
export declare const LOG_LEVELS: readonly ["fatal", "error", "warn", "info", "debug", "trace", "silent"];
/** Defaults of the conf file (the original listens on all interfaces). */
export declare const DEFAULT_BIND = "0.0.0.0";
export declare const DEFAULT_LEGACY: LegacyPolicy;
export declare const DEFAULT_AUTH: readonly AuthMethod[];
export declare const DEFAULT_LOG_LEVEL = "info";
export declare const DEFAULT_WEBSOCKET_PATH = "/";
export declare const DEFAULT_METRICS_BIND = "127.0.0.1";
/**
 * Restart strategy of a worker-isolated service, as an Erlang supervisor's:
 * more than `intensity` worker crashes within `periodMs` and the service is
 * taken down (new logins refused) until the conf is reloaded.
 */
export declare const DEFAULT_RESTART: Readonly<RestartStrategy>;
/**
 * A service's password. `secret` (plain) and `hash` (scrypt) are
 * non-enumerable: readable, but left out of JSON, `util.inspect` and logs.
 */
export type PasswordSpec = {
    kind: 'none';
} | {
    kind: 'plain';
    secret: string;
} | {
    kind: 'scrypt';
    hash: string;
};
export interface ServiceConfig {
    name: string;
    password: PasswordSpec;
    /** Module name as written (`Mod`); `modulePath` is the file it resolved to. */
    module: string;
    /** Exported function name (`Fun`). */
    fn: string;
    /** Server-side arguments (`ArgsS`), passed to the handler as-is. Never logged. */
    argsS: Term;
    /** Login methods the service accepts; `legacy` is further restricted by `legacy`. */
    auth: AuthMethod[];
    /** Where the legacy MD5 login is allowed for this service (the listener's policy unless overridden). */
    legacy: LegacyPolicy;
    /** Ed25519 public keys (32 bytes each) accepted by the `key` method. */
    clientKeys: Uint8Array[];
    isolation: 'inline' | 'worker';
    /** Worker isolation: when a crashed worker is restarted, and when the service gives up. */
    restart: RestartStrategy;
    /** Absolute path of a JSON Schema for the service's messages. */
    schemaFile?: string;
    /** What to do with a message that fails the schema: close the channel, or drop the message. */
    onInvalid: 'close' | 'drop';
    /** The server's limits with this service's overrides applied. */
    limits: Limits;
    /** Absolute path of the resolved module file. */
    modulePath: string;
    /**
     * The module's function `fn`, as load.ts imported it to check it: services.ts serves with this
     * one rather than importing the module again. Worker services import it anew in their worker.
     */
    handler: (...args: never[]) => unknown;
    /** Line of the service term in the conf file. */
    line: number;
}
export interface RestartStrategy {
    /** Most worker crashes tolerated within `periodMs`; one more takes the service down. 0: the first crash does. */
    intensity: number;
    /** Window the crashes are counted in, in ms. */
    periodMs: number;
}
export interface WebSocketConfig {
    port: number;
    /** URL path clients connect to. @default "/" */
    path: string;
    /** @default the server's bind address */
    bind: string;
    /** Absolute paths of the PEM certificate and key; absent = plain ws://. */
    tls?: {
        certFile: string;
        keyFile: string;
    };
    /** Allowed `Origin` headers; absent = not checked. */
    origins?: string[];
    /** `{permessage_deflate, true}`: accept compressed messages (bounded; see ws-server.ts). @default false */
    permessageDeflate?: boolean;
}
export interface MetricsConfig {
    port: number;
    /** @default "127.0.0.1" */
    bind: string;
}
export interface ServerConfig {
    /** Absolute path of the conf file, when read from one. */
    file?: string;
    port: number;
    bind: string;
    legacy: LegacyPolicy;
    /** Absolute path of the secure-channel identity key file (not checked to exist here). */
    identityFile?: string;
    /** Directories searched for service modules, in order; the conf file's own directory is last. */
    modulePaths: string[];
    limits: Limits;
    logLevel: string;
    services: Map<string, ServiceConfig>;
    websocket?: WebSocketConfig;
    metrics?: MetricsConfig;
}
/** A service before its module is resolved (load.ts adds `modulePath` and `handler`). */
export type ServiceDraft = Omit<ServiceConfig, 'modulePath' | 'handler'> & {
    column: number;
};
export interface ConfDraft extends Omit<ServerConfig, 'services'> {
    services: ServiceDraft[];
    /** Where each top-level term was (for errors found later, e.g. a missing TLS file). */
    termAt: Partial<Record<string, Position>>;
}
/** Annotations our schema nodes carry besides `title`. */
interface Notes {
    title?: string;
    /** What a value must be, completing "<title> must be ...". */
    expect?: string;
    /** Full sentence used when the kind is right but the value is not (pattern, range, ...). */
    problem?: string;
    /** Never show the value found. */
    secret?: boolean;
    /** Names one entry of a proplist object ("limit", "service option"). */
    entryNoun?: string;
}
type SchemaNode = Notes & Record<string, unknown>;
/** Value schema of each top-level term kind (`{Kind, Value}`; the service term is its own shape). */
export declare const CONF_SCHEMAS: {
    readonly port: SchemaNode;
    readonly bind: SchemaNode;
    readonly legacy: SchemaNode;
    readonly identity: SchemaNode;
    readonly module_path: {
        readonly title: "module_path";
        readonly expect: "a directory path in double quotes, or a list of them";
        readonly anyOf: readonly [SchemaNode, {
            readonly type: "array";
            readonly items: SchemaNode;
        }];
    };
    readonly limits: SchemaNode;
    readonly log_level: SchemaNode;
    readonly websocket: SchemaNode;
    readonly metrics: SchemaNode;
    readonly service: SchemaNode;
};
interface Ctx {
    file: string;
    confDir: string;
    positions: WeakMap<object, Position>;
}
/** Erlang-like text of a term for an error message: bounded, and with strings hidden when `redact`. */
export declare function formatTerm(t: Term, options?: {
    redact?: boolean;
    max?: number;
}): string;
/** A password object whose secret part is readable but not enumerable (so it is never serialized). */
export declare function makePassword(spec: PasswordSpec): PasswordSpec;
/**
 * Check every term and build the configuration, except module lookup.
 * `end` is the end of the text (where a missing term is reported).
 */
export declare function checkConf(terms: ParsedTerm[], ctx: Ctx & {
    end: Position;
}): ConfDraft;
export {};
//# sourceMappingURL=schema.d.ts.map