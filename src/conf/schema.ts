/**
 * The conf file's terms -> a typed, validated configuration.
 *
 * Each parsed term becomes a JSON *view* (atoms as JSON strings, Erlang
 * strings as `{"$str": ...}`, proplists as objects, anything else as
 * `{"$term": text}`), checked against the JSON Schema of its kind
 * (conf-schemas.ts) by the validator ajv compiled from it ahead of time
 * (conf-validators.js).
 * Schema nodes carry annotations (`title`, `expect`, `problem`, `secret`,
 * `entryNoun`) from which ajv's errors are turned back into
 * `file:line:column: problem` sentences; the line is that of the nearest
 * term object at the failing path. Structural problems (wrong tuple shape,
 * a proplist entry that is not `{Name, Value}`) and cross-term rules (one
 * port, unique service names, auth methods that can actually work) are
 * checked in code.
 *
 * Secrets: no password or hash ever appears in a message (terms shown in a
 * message have their strings replaced by "..."); the `secret` and
 * `hash` fields of a parsed password are non-enumerable, so JSON and
 * `util.inspect` of a config leave them out even if someone logs it.
 *
 * Module lookup (which needs the file system and `import()`) is in load.ts.
 */
import path from 'node:path';
import { availableParallelism } from 'node:os';
import { Buffer } from 'node:buffer';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { ChanError } from '../errors.ts';
import { resolveLimits, DEFAULT_LIMITS, type Limits } from '../limits.ts';
import { Atom, BitBinary, ErlFloat, ImproperList, Opaque, Tuple, type Term } from '../wire/etf/term.ts';
import { formatAtom } from '../wire/etf/format.ts';
import type { Position } from './term-lexer.ts';
import type { ParsedTerm } from './term-parser.ts';
import type { WebSocketConfig } from '../transport/ws-config.ts';
import { MAX_PROCESSES, type AuthMethod, type LegacyPolicy, type SchemaNode, type ServiceState, type TermKind } from './conf-schemas.ts';
import * as COMPILED from './conf-validators.js';

export { LEGACY_POLICIES, AUTH_METHODS, ISOLATION_MODES, SERVICE_STATES, ON_INVALID, LOG_LEVELS, MAX_PROCESSES } from './conf-schemas.ts';
export type { LegacyPolicy, AuthMethod, ServiceState } from './conf-schemas.ts';

// ---------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------

/** Defaults of the conf file (the original listens on all interfaces). */
export const DEFAULT_BIND = '0.0.0.0';
export const DEFAULT_LEGACY: LegacyPolicy = 'loopback';
export const DEFAULT_AUTH: readonly AuthMethod[] = ['password', 'key', 'legacy'];
export const DEFAULT_LOG_LEVEL = 'info';
export const DEFAULT_WEBSOCKET_PATH = '/';
export const DEFAULT_METRICS_BIND = '127.0.0.1';
/** `{processes, N}`: one process, as the original. */
export const DEFAULT_PROCESSES = 1;
/** `{busy_poll, Microseconds}`: off; the event loop sleeps whenever it has nothing to do (src/transport/busy-poll.ts). */
export const DEFAULT_BUSY_POLL_US = 0;
/** `{state, ...}`: every channel of a service in the primary process, so its state is one copy. */
export const DEFAULT_SERVICE_STATE: ServiceState = 'shared';
/**
 * Restart strategy of a worker-isolated service, as an Erlang supervisor's:
 * more than `intensity` worker crashes within `periodMs` and the service is
 * taken down (new logins refused) until the conf is reloaded.
 */
export const DEFAULT_RESTART: Readonly<RestartStrategy> = Object.freeze({ intensity: 5, periodMs: 10_000 });

/**
 * A service's password. `secret` (plain) and `hash` (scrypt) are
 * non-enumerable: readable, but left out of JSON, `util.inspect` and logs.
 */
export type PasswordSpec = { kind: 'none' } | { kind: 'plain'; secret: string } | { kind: 'scrypt'; hash: string };

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
  /**
   * `{legacy_password, "..."}`: the secret the legacy MD5 login checks, kept apart from the
   * secure login's password (required when legacy is allowed beyond loopback); `secret` is non-enumerable.
   */
  legacyPassword?: { kind: 'plain'; secret: string };
  /** Ed25519 public keys (32 bytes each) accepted by the `key` method. */
  clientKeys: Uint8Array[];
  isolation: 'inline' | 'worker';
  /**
   * `{state, per_process}`: the service keeps no state its connections must share, so with
   * `{processes, N}` its channels run in whichever process accepted them; `shared` keeps them all
   * in the primary process. @default "shared"
   */
  state: ServiceState;
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
  /** `{singleton, true}`: served by one gateway of the registry at a time, chosen by election. @default false */
  singleton: boolean;
  /** Line of the service term in the conf file. */
  line: number;
}

export interface RestartStrategy {
  /** Most worker crashes tolerated within `periodMs`; one more takes the service down. 0: the first crash does. */
  intensity: number;
  /** Window the crashes are counted in, in ms. */
  periodMs: number;
}

/** The `{websocket, [...]}` term, as the WebSocket listener takes it (its settings are that listener's concept). */
export type { WebSocketConfig };

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
  /**
   * `{trusted_proxies, ["127.0.0.1"]}`: addresses of same-host proxies. A connection from one is
   * never loopback for `{legacy, loopback}`; over WebSocket its X-Forwarded-For names the client.
   */
  trustedProxies?: string[];
  /** Problems worth a warning that do not stop the server (logged at start, printed by lib_chan check). */
  warnings?: { event: string; message: string; [field: string]: unknown }[];
  /** Directories searched for service modules, in order; the conf file's own directory is last. */
  modulePaths: string[];
  limits: Limits;
  logLevel: string;
  /**
   * `{processes, N}`: processes sharing the listening port (the first, the primary, serves every
   * service; the others log in and serve `{state, per_process}` services), or `auto`: see
   * resolveProcesses. Not changed by a reload. @default 1
   */
  processes: number | 'auto';
  /**
   * `{busy_poll, Microseconds}`: after any read or write the event loop keeps polling, without
   * sleeping, for this long (0 = off): lower latency for a caller that waits on each reply, for a
   * core kept busy (src/transport/busy-poll.ts). @default 0
   */
  busyPollUs: number;
  services: Map<string, ServiceConfig>;
  websocket?: WebSocketConfig;
  metrics?: MetricsConfig;
  /** `{registry, "URL"}`: where this gateway registers (local:, etcd://...). */
  registry?: string;
}

/** A service before its module is resolved (load.ts adds `modulePath` and `handler`). */
export type ServiceDraft = Omit<ServiceConfig, 'modulePath' | 'handler'> & { column: number };
export interface ConfDraft extends Omit<ServerConfig, 'services'> {
  services: ServiceDraft[];
  /** Where each top-level term was (for errors found later, e.g. a missing TLS file). */
  termAt: Partial<Record<string, Position>>;
}

type TopKind = Exclude<TermKind, 'service'>;

/** One validator per term kind, compiled ahead of time from CONF_SCHEMAS (scripts/gen-conf-validators.ts). */
const VALIDATORS: Record<TermKind, ValidateFunction> = COMPILED;

// ---------------------------------------------------------------------------
// Terms -> JSON views
// ---------------------------------------------------------------------------

type View = string | number | View[] | { [key: string]: View };

interface Ctx {
  file: string;
  confDir: string;
  positions: WeakMap<object, Position>;
}

/** Where each JSON pointer of the current view came from. */
class Lines {
  private readonly byPointer = new Map<string, Position>();
  constructor(
    private readonly ctx: Ctx,
    private readonly base: Position,
  ) {}

  mark(t: Term, pointer: string): void {
    if (typeof t === 'object' && t !== null) {
      const pos = this.ctx.positions.get(t);
      if (pos !== undefined) this.byPointer.set(pointer, pos);
    }
  }

  /** Position of the nearest marked ancestor of a pointer (or the term itself). */
  at(pointer: string): Position {
    for (let p = pointer; ; p = p.slice(0, p.lastIndexOf('/'))) {
      const pos = this.byPointer.get(p);
      if (pos !== undefined) return pos;
      if (p === '') return this.base;
    }
  }
}

function pointerKey(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function confError(ctx: { file: string }, pos: Position, problem: string, extra: Record<string, unknown> = {}): ChanError {
  return new ChanError('badConf', `${ctx.file}:${pos.line}:${pos.column}: ${problem}`, {
    details: { file: ctx.file, line: pos.line, column: pos.column, ...extra },
  });
}

function toView(t: Term, pointer: string, lines: Lines): View {
  lines.mark(t, pointer);
  if (typeof t === 'number') return Number.isInteger(t) && !Object.is(t, -0) ? t : { $term: formatTerm(t) };
  if (typeof t === 'string') return { $str: t };
  if (typeof t === 'boolean' || t === undefined) return String(t);
  if (t instanceof Atom) return t.name;
  if (Array.isArray(t)) return t.map((e, i) => toView(e, `${pointer}/${i}`, lines));
  return { $term: formatTerm(t) };
}

/**
 * A list of `{Name, Value}` tuples -> an object; `nested` names keys whose
 * values are proplists too. Anything but a list is left for ajv to refuse.
 */
function proplistView(t: Term, pointer: string, lines: Lines, ctx: Ctx, label: string, nested: Record<string, string> = {}): View {
  if (!Array.isArray(t)) return toView(t, pointer, lines);
  lines.mark(t, pointer);
  const out: Record<string, View> = Object.create(null);
  for (const entry of t) {
    if (!(entry instanceof Tuple) || entry.length !== 2 || !(entry.at(0) instanceof Atom)) {
      const pos = (typeof entry === 'object' && entry !== null && ctx.positions.get(entry)) || lines.at(pointer);
      throw confError(ctx, pos, `${label}: each entry must be a {Name, Value} tuple, found ${formatTerm(entry, { redact: true })}`);
    }
    const key = (entry.at(0) as Atom).name;
    const keyPointer = `${pointer}/${pointerKey(key)}`;
    lines.mark(entry, keyPointer);
    if (Object.hasOwn(out, key)) throw confError(ctx, lines.at(keyPointer), `${label}: ${key} is given twice`);
    const value = entry.at(1);
    out[key] = Object.hasOwn(nested, key) ? proplistView(value, keyPointer, lines, ctx, nested[key]) : toView(value, keyPointer, lines);
  }
  return out;
}

// ---------------------------------------------------------------------------
// ajv errors -> sentences
// ---------------------------------------------------------------------------

/** Keywords that say "wrong kind of value" rather than "right kind, bad value". */
const KIND_KEYWORDS = new Set(['type', 'const', 'enum', 'required', 'additionalProperties', 'anyOf']);

/**
 * Pick the error to report. Inside an anyOf, prefer the branch whose kind
 * matched: one failing on a value check (pattern, range), else one that got
 * inside the value (a bad list element); else the anyOf itself.
 */
function pickError(errors: ErrorObject[]): ErrorObject {
  const any = errors.find((e) => e.keyword === 'anyOf');
  if (any === undefined) return errors[0];
  const branches = errors.filter((e) => e.schemaPath.startsWith(`${any.schemaPath}/`));
  return (
    branches.find((e) => !KIND_KEYWORDS.has(e.keyword)) ??
    branches.find((e) => e.instancePath.length > any.instancePath.length && !e.instancePath.endsWith('/$str')) ??
    any
  );
}

function quoteString(s: string, max = 40): string {
  const cut = s.length > max ? `${s.slice(0, max)}...` : s;
  return `"${cut
    .replace(/[\\"]/g, '\\$&')
    .replace(/\n/g, '\\n')
    // Control characters are what this escapes, on purpose.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x{${c.charCodeAt(0).toString(16)}}`)}"`;
}

function renderView(v: View): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return `'${v.replace(/[\\']/g, '\\$&')}'`;
  if (Array.isArray(v)) return `[${v.slice(0, 8).map(renderView).join(', ')}${v.length > 8 ? ', ...' : ''}]`;
  if (typeof v.$str === 'string' && Object.keys(v).length === 1) return quoteString(v.$str);
  if (typeof v.$term === 'string' && Object.keys(v).length === 1) return v.$term;
  return `[${Object.entries(v)
    .map(([k, x]) => `{${formatAtom(k)}, ${renderView(x)}}`)
    .join(', ')}]`;
}

function explain(err: ErrorObject): { message: string; key?: string } {
  const ps = (err.parentSchema ?? {}) as SchemaNode;
  const title = ps.title ?? 'value';
  if (err.keyword === 'additionalProperties' && ps.entryNoun) {
    const key = String((err.params as { additionalProperty: string }).additionalProperty);
    const known = Object.keys((ps.properties as object | undefined) ?? {}).join(', ');
    return { key, message: `unknown ${ps.entryNoun} ${formatAtom(key)} in ${title} (known: ${known})` };
  }
  if (err.keyword === 'required' && ps.entryNoun) {
    const missing = String((err.params as { missingProperty: string }).missingProperty);
    return { message: `${title} needs a {${missing}, ...} entry` };
  }
  if (!KIND_KEYWORDS.has(err.keyword) && ps.problem) return { message: ps.problem };
  // Inside a {"$str": ...} view the data is the bare text of an Erlang string.
  const data = err.instancePath.endsWith('/$str') && typeof err.data === 'string' ? { $str: err.data } : (err.data as View);
  const found = ps.secret ? '' : `, found ${renderView(data)}`;
  return { message: `${title} must be ${ps.expect ?? 'valid'}${found}` };
}

function validate(kind: TermKind, value: View, lines: Lines, ctx: Ctx, prefix = '', extra: Record<string, unknown> = {}): void {
  const check = VALIDATORS[kind];
  if (check(value)) return;
  const err = pickError(check.errors ?? []);
  const { message, key } = explain(err);
  const pointer = key === undefined ? err.instancePath : `${err.instancePath}/${pointerKey(key)}`;
  throw confError(ctx, lines.at(pointer), `${prefix}${message}`, extra);
}

// ---------------------------------------------------------------------------
// Formatting terms for messages
// ---------------------------------------------------------------------------

/** Erlang-like text of a term for an error message: bounded, and with strings hidden when `redact`. */
export function formatTerm(t: Term, options: { redact?: boolean; max?: number } = {}): string {
  const max = options.max ?? 120;
  const text = fmt(t, options.redact ?? false, 0);
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

function fmt(t: Term, redact: boolean, depth: number): string {
  if (depth > 6) return '...';
  const list = (xs: Term[]) =>
    xs
      .slice(0, 12)
      .map((x) => fmt(x, redact, depth + 1))
      .join(', ') + (xs.length > 12 ? ', ...' : '');
  if (typeof t === 'string') return redact ? '"..."' : quoteString(t);
  if (typeof t === 'number') return Number.isInteger(t) && !Object.is(t, -0) ? String(t) : Object.is(t, -0) ? '-0.0' : String(t);
  if (typeof t === 'bigint' || typeof t === 'boolean') return String(t);
  if (t === undefined) return 'undefined';
  if (t instanceof Atom) return formatAtom(t.name);
  if (t instanceof ErlFloat) return `${t.value}.0`;
  if (t instanceof Tuple) return `{${list(t.elements)}}`;
  if (Array.isArray(t)) return `[${list(t)}]`;
  if (t instanceof ImproperList) return `[${list(t.elements)} | ${fmt(t.tail, redact, depth + 1)}]`;
  if (t instanceof Uint8Array) return redact ? '<<...>>' : `<<${[...t.subarray(0, 16)].join(',')}${t.length > 16 ? ',...' : ''}>>`;
  if (t instanceof BitBinary) return '<<...>>';
  if (t instanceof Opaque) return '#Opaque<>';
  if (t instanceof Map)
    return `#{${[...t]
      .slice(0, 12)
      .map(([k, v]) => `${fmt(k, redact, depth + 1)} => ${fmt(v, redact, depth + 1)}`)
      .join(', ')}}`;
  return `#{${Object.keys(t)
    .slice(0, 12)
    .map((k) => `${formatAtom(k)} => ${fmt(t[k], redact, depth + 1)}`)
    .join(', ')}}`;
}

// ---------------------------------------------------------------------------
// Checking the whole conf
// ---------------------------------------------------------------------------

const TOP_KINDS: readonly TopKind[] = [
  'port',
  'bind',
  'legacy',
  'identity',
  'trusted_proxies',
  'module_path',
  'limits',
  'log_level',
  'processes',
  'busy_poll',
  'websocket',
  'metrics',
  'registry',
];
const TOP_NESTED: Partial<Record<TopKind, Record<string, string>>> = { websocket: { tls: 'websocket tls' } };
const TOP_FORMS =
  '{port, Port}, {service, Name, password, Pwd, mfa, Mod, Fun, ArgsS[, Options]}, ' +
  TOP_KINDS.filter((k) => k !== 'port')
    .map((k) => `{${k}, ...}`)
    .join(', ');

interface Located<T> {
  value: T;
  pos: Position;
  lines: Lines;
}

interface ServiceView {
  name: string;
  password: View;
  module: string;
  fn: string;
  options: Record<string, View>;
  /** Not validated: any term, handed to the handler. */
  argsS: Term;
}

function isStr(v: View | undefined): v is { $str: string } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof v.$str === 'string';
}

function str(v: View): string {
  return (v as { $str: string }).$str;
}

/** A password object whose secret part is readable but not enumerable (so it is never serialized). */
export function makePassword(spec: PasswordSpec): PasswordSpec {
  if (spec.kind === 'none') return { kind: 'none' };
  const out = { kind: spec.kind } as PasswordSpec;
  const field = spec.kind === 'plain' ? 'secret' : 'hash';
  Object.defineProperty(out, field, { value: spec.kind === 'plain' ? spec.secret : spec.hash, enumerable: false });
  return out;
}

function passwordFrom(v: View): PasswordSpec {
  if (v === 'none') return makePassword({ kind: 'none' });
  if (isStr(v)) return makePassword({ kind: 'plain', secret: v.$str });
  return makePassword({ kind: 'scrypt', hash: str((v as { scrypt: View }).scrypt) });
}

function decodeKey(text: string): Uint8Array {
  // `lcck1:<base64url>` is what `lib_chan keygen --client` prints.
  if (text.startsWith('lcck1:')) text = text.slice('lcck1:'.length);
  return /^[0-9A-Fa-f]{64}$/.test(text) ? new Uint8Array(Buffer.from(text, 'hex')) : new Uint8Array(Buffer.from(text, 'base64'));
}

function limitsFrom(value: View, base: Readonly<Limits>, ctx: Ctx, lines: Lines, pointer: string): Limits {
  try {
    return resolveLimits(value as Record<string, unknown>, base);
  } catch (e) {
    // ajv has checked names and ranges already; this only keeps resolveLimits' word final.
    if (e instanceof ChanError) {
      const key = typeof e.details.key === 'string' ? e.details.key : '';
      throw confError(ctx, lines.at(`${pointer}/${pointerKey(key)}`), e.message, { key });
    }
    throw e;
  }
}

/**
 * Check every term and build the configuration, except module lookup.
 * `end` is the end of the text (where a missing term is reported).
 */
export function checkConf(terms: ParsedTerm[], ctx: Ctx & { end: Position }): ConfDraft {
  const singles = new Map<TopKind, Located<View>>();
  const services: Located<ServiceView>[] = [];

  for (const { term, line, column } of terms) {
    const pos = { line, column };
    const lines = new Lines(ctx, pos);
    if (!(term instanceof Tuple) || term.length === 0 || !(term.at(0) instanceof Atom)) {
      throw confError(ctx, pos, `unknown term ${formatTerm(term, { redact: true })}: a conf holds ${TOP_FORMS}`);
    }
    const tag = (term.at(0) as Atom).name;
    if (tag === 'service') {
      services.push({ value: serviceView(term, pos, lines, ctx), pos, lines });
      continue;
    }
    if (!(TOP_KINDS as readonly string[]).includes(tag)) {
      throw confError(ctx, pos, `unknown term ${formatTerm(term, { redact: true })}: a conf holds ${TOP_FORMS}`);
    }
    const kind = tag as TopKind;
    if (term.length !== 2) {
      throw confError(ctx, pos, `${kind} must be written {${kind}, Value}, found ${formatTerm(term, { redact: true })}`);
    }
    const earlier = singles.get(kind);
    if (earlier !== undefined) {
      throw confError(ctx, pos, `{${kind}, ...} is given twice (first at line ${earlier.pos.line}); give it once`, { firstLine: earlier.pos.line });
    }
    const raw = term.at(1);
    const value =
      kind === 'limits' || kind === 'websocket' || kind === 'metrics' ? proplistView(raw, '', lines, ctx, kind, TOP_NESTED[kind]) : toView(raw, '', lines);
    validate(kind, value, lines, ctx);
    singles.set(kind, { value, pos, lines });
  }

  const port = singles.get('port');
  if (port === undefined) {
    throw confError(ctx, ctx.end, 'no {port, Port} term: the conf must give the port to listen on exactly once, e.g. {port, 1234}.');
  }
  const get = (k: TopKind) => singles.get(k);
  const resolvePath = (p: string) => path.resolve(ctx.confDir, p);

  const limitsAt = get('limits');
  const limits = limitsAt ? limitsFrom(limitsAt.value, DEFAULT_LIMITS, ctx, limitsAt.lines, '') : { ...DEFAULT_LIMITS };
  const bind = get('bind') ? str(get('bind')!.value) : DEFAULT_BIND;
  const legacy = (get('legacy')?.value as LegacyPolicy | undefined) ?? DEFAULT_LEGACY;
  const mp = get('module_path')?.value;
  const dirs = mp === undefined ? [] : Array.isArray(mp) ? mp.map(str) : [str(mp)];
  // The conf file's own directory is always searched, and last.
  const modulePaths = [...new Set(dirs.map(resolvePath))].filter((d) => d !== ctx.confDir).concat(ctx.confDir);

  const config: ConfDraft = {
    port: port.value as number,
    bind,
    legacy,
    modulePaths,
    limits,
    logLevel: (get('log_level')?.value as string | undefined) ?? DEFAULT_LOG_LEVEL,
    processes: (get('processes')?.value as number | 'auto' | undefined) ?? DEFAULT_PROCESSES,
    busyPollUs: (get('busy_poll')?.value as number | undefined) ?? DEFAULT_BUSY_POLL_US,
    services: [],
    termAt: Object.fromEntries([...singles].map(([k, v]) => [k, v.pos])),
  };
  const identity = get('identity');
  if (identity) config.identityFile = resolvePath(str(identity.value));
  const proxies = get('trusted_proxies');
  if (proxies) config.trustedProxies = (proxies.value as View[]).map(str);

  const ws = get('websocket');
  if (ws) {
    const v = ws.value as Record<string, View>;
    const w: WebSocketConfig = {
      port: v.port as number,
      path: v.path === undefined ? DEFAULT_WEBSOCKET_PATH : str(v.path),
      bind: v.bind === undefined ? bind : str(v.bind),
    };
    if (v.permessage_deflate !== undefined) w.permessageDeflate = v.permessage_deflate === 'true';
    if (v.tls !== undefined) {
      const tls = v.tls as Record<string, View>;
      w.tls = { certFile: resolvePath(str(tls.cert)), keyFile: resolvePath(str(tls.key)) };
    }
    if (v.origins !== undefined) w.origins = (v.origins as View[]).map(str);
    config.websocket = w;
  }
  const registry = get('registry');
  if (registry) config.registry = str(registry.value);
  const metrics = get('metrics');
  if (metrics) {
    const v = metrics.value as Record<string, View>;
    config.metrics = { port: v.port as number, bind: v.bind === undefined ? DEFAULT_METRICS_BIND : str(v.bind) };
  }

  const seen = new Map<string, number>();
  for (const { value: sv, pos, lines } of services) {
    const first = seen.get(sv.name);
    if (first !== undefined) {
      throw confError(ctx, pos, `service ${formatAtom(sv.name)} is defined twice (first at line ${first}); each service name must be unique`, {
        service: sv.name,
        firstLine: first,
      });
    }
    seen.set(sv.name, pos.line);
    config.services.push(buildService(sv, pos, lines, ctx, config));
  }
  const single = config.services.find((s) => s.singleton);
  if (single && config.registry === undefined) {
    throw confError(
      ctx,
      { line: single.line, column: single.column },
      `service ${formatAtom(single.name)}: {singleton, true} needs a registry to hold the election; add {registry, "local:"} or {registry, "etcd://host:port/prefix"}`,
      { service: single.name },
    );
  }
  return config;
}

/** Shape-check a `service` tuple and build its view, then validate it. */
function serviceView(term: Tuple, pos: Position, lines: Lines, ctx: Ctx): ServiceView {
  const el = term.elements;
  const shown = formatTerm(term, { redact: true });
  if (el.length === 6 && el[2] instanceof Atom && el[2].name === 'mfa') {
    throw confError(
      ctx,
      pos,
      `service term has no password: write {service, Name, password, none, mfa, Mod, Fun, ArgsS} for a service without one (found ${shown})`,
    );
  }
  const shapeOk = (el.length === 8 || el.length === 9) && el[2] instanceof Atom && el[2].name === 'password' && el[4] instanceof Atom && el[4].name === 'mfa';
  if (!shapeOk) {
    throw confError(
      ctx,
      pos,
      `malformed service term: expected {service, Name, password, Pwd, mfa, Mod, Fun, ArgsS} or the same with an options list at the end, found ${shown}`,
    );
  }
  const pwTerm = el[3];
  lines.mark(term, '');
  let password: View;
  if (pwTerm instanceof Tuple && pwTerm.length === 2 && pwTerm.at(0) instanceof Atom && (pwTerm.at(0) as Atom).name === 'scrypt') {
    lines.mark(pwTerm, '/password');
    password = { scrypt: toView(pwTerm.at(1), '/password/scrypt', lines) };
  } else {
    password = toView(pwTerm, '/password', lines);
  }
  const value = {
    name: toView(el[1], '/name', lines),
    password,
    module: toView(el[5], '/module', lines),
    fn: toView(el[6], '/fn', lines),
    options: el.length === 9 ? proplistView(el[8], '/options', lines, ctx, 'service options', { limits: 'service limits', restart: 'service restart' }) : {},
  };
  const named = typeof value.name === 'string' && value.name !== '';
  validate('service', value, lines, ctx, named ? `service ${formatAtom(value.name as string)}: ` : '', named ? { service: value.name } : {});
  return { ...(value as unknown as Omit<ServiceView, 'argsS'>), argsS: el[7] };
}

function buildService(sv: ServiceView, pos: Position, lines: Lines, ctx: Ctx, server: ConfDraft): ServiceDraft {
  const o = sv.options;
  const fail = (pointer: string, problem: string) => confError(ctx, lines.at(pointer), `service ${formatAtom(sv.name)}: ${problem}`, { service: sv.name });
  const password = passwordFrom(sv.password);
  const legacy = (o.legacy as LegacyPolicy | undefined) ?? server.legacy;
  const clientKeys = ((o.client_keys as View[] | undefined) ?? []).map((k, i) => {
    const key = decodeKey(str(k));
    if (key.length !== 32) throw fail(`/options/client_keys/${i}`, `client key ${i + 1} does not decode to 32 bytes (an Ed25519 public key)`);
    return key;
  });
  const explicit = o.auth as string[] | undefined;
  const auth = (explicit ?? DEFAULT_AUTH) as AuthMethod[];
  if (explicit !== undefined) {
    if (auth.includes('key') && clientKeys.length === 0) {
      throw fail('/options/auth', 'auth lists key, but the service has no {client_keys, [...]} to check keys against');
    }
    if (auth.includes('legacy') && password.kind === 'scrypt' && o.legacy_password === undefined) {
      throw fail('/options/auth', 'auth lists legacy, but the legacy MD5 login needs the plain password and this service stores a {scrypt, Hash}');
    }
    if (auth.includes('legacy') && legacy === 'deny') {
      throw fail('/options/auth', 'auth lists legacy, but the legacy policy for this service is deny');
    }
  }
  // One sniffed MD5 exchange is an offline dictionary attack on the secret it proves: beyond
  // loopback, that secret must not also be the secure login's password.
  if (auth.includes('legacy') && auth.includes('password') && legacy === 'allow' && password.kind === 'plain' && o.legacy_password === undefined) {
    throw fail(
      o.legacy === undefined ? '' : '/options/legacy',
      'allows the legacy MD5 login beyond loopback ({legacy, allow}) with the same password as the secure login, so one recorded MD5 exchange lets an eavesdropper attack the secure password offline. ' +
        'Give the legacy login its own password with {legacy_password, "..."} in the service options (and a different password, or a {scrypt, Hash}, for the secure login), or allow legacy on loopback only ({legacy, loopback}), or leave it out: {auth, [password]}',
    );
  }
  if (o.legacy_password !== undefined && !auth.includes('legacy')) {
    throw fail('/options/legacy_password', "legacy_password is given, but the service's auth list does not include legacy");
  }
  if (o.legacy_password !== undefined && password.kind === 'plain' && str(o.legacy_password) === password.secret) {
    throw fail(
      '/options/legacy_password',
      "legacy_password must differ from the service password (the point is that a sniffed MD5 exchange does not expose the secure login's secret)",
    );
  }
  const service: ServiceDraft = {
    name: sv.name,
    password,
    module: sv.module,
    fn: sv.fn,
    argsS: sv.argsS,
    auth: [...auth],
    legacy,
    clientKeys,
    isolation: (o.isolation as ServiceConfig['isolation'] | undefined) ?? 'inline',
    state: (o.state as ServiceState | undefined) ?? DEFAULT_SERVICE_STATE,
    restart: restartFrom(o.restart as Record<string, View> | undefined),
    onInvalid: (o.on_invalid as ServiceConfig['onInvalid'] | undefined) ?? 'close',
    singleton: o.singleton === 'true',
    limits: o.limits === undefined ? { ...server.limits } : limitsFrom(o.limits, server.limits, ctx, lines, '/options/limits'),
    line: pos.line,
    column: pos.column,
  };
  if (o.restart !== undefined && service.isolation !== 'worker') {
    throw fail('/options/restart', 'restart applies to worker-isolated services only; add {isolation, worker} or remove it');
  }
  if (o.schema !== undefined) service.schemaFile = path.resolve(ctx.confDir, str(o.schema));
  if (o.legacy_password !== undefined)
    service.legacyPassword = makePassword({ kind: 'plain', secret: str(o.legacy_password) }) as { kind: 'plain'; secret: string };
  return service;
}

/**
 * Below this many cores `auto` means one process: on 2 cores a second process competes with the
 * clients for the cores, and measured no gain.
 */
const AUTO_PROCESSES_MIN_CORES = 4;

/**
 * The number of processes `{processes, P}` asks for: a number as it is; `auto` one per core
 * (at most MAX_PROCESSES) on machines with 4 cores or more, and 1 below that.
 */
export function resolveProcesses(p: number | 'auto', cores: number = availableParallelism()): number {
  if (p !== 'auto') return p;
  return cores < AUTO_PROCESSES_MIN_CORES ? 1 : Math.min(cores, MAX_PROCESSES);
}

function restartFrom(v: Record<string, View> | undefined): RestartStrategy {
  return {
    intensity: (v?.intensity as number | undefined) ?? DEFAULT_RESTART.intensity,
    periodMs: (v?.period_ms as number | undefined) ?? DEFAULT_RESTART.periodMs,
  };
}
