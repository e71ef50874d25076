/**
 * The conf's vocabulary and the JSON Schemas its terms are checked against
 * (schema.ts turns each term into a JSON view and ajv's errors back into
 * sentences). Plain data, apart from the limits it is derived from: the
 * validators are compiled ahead of time from these schemas into
 * conf-validators.js (`npm run gen`), so that no process that reads a conf
 * pays for ajv's compiler (about 150 ms of CPU a start).
 */
import { MAX_BUSY_POLL_US } from '../transport/busy-poll.ts';
import { LIMITS, SERVICE_LIMITS } from '../limits.ts';

export const LEGACY_POLICIES = ['allow', 'loopback', 'deny'] as const;
/** Where the legacy MD5 login is allowed: anywhere, from loopback peers only, or nowhere. */
export type LegacyPolicy = (typeof LEGACY_POLICIES)[number];

export const AUTH_METHODS = ['password', 'key', 'legacy'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

export const ISOLATION_MODES = ['inline', 'worker'] as const;
/** `{state, ...}`: whether a service's channels must all run in the primary process (`shared`), or may run in any (`per_process`). */
export const SERVICE_STATES = ['shared', 'per_process'] as const;
export type ServiceState = (typeof SERVICE_STATES)[number];
/** Most processes `{processes, N}` may ask for (and what `auto` is capped at). */
export const MAX_PROCESSES = 256;
export const ON_INVALID = ['close', 'drop'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

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
export type SchemaNode = Notes & Record<string, unknown>;

function integer(title: string, min: number, max: number, unit?: string): SchemaNode {
  return { type: 'integer', minimum: min, maximum: max, title, expect: `an integer from ${min} to ${max}${unit ? ` (${unit})` : ''}` };
}

function atomEnum(title: string, values: readonly string[]): SchemaNode {
  return { type: 'string', enum: [...values], title, expect: `one of the atoms ${values.join(', ')}` };
}

function atomName(title: string, expect: string, pattern?: string): SchemaNode {
  return { type: 'string', minLength: 1, ...(pattern ? { pattern } : {}), title, expect };
}

/** An Erlang string, viewed as `{"$str": "..."}`; `inner` constrains the text. */
function erlString(title: string, expect: string, inner: Record<string, unknown> = {}, notes: Notes = {}): SchemaNode {
  return {
    type: 'object',
    required: ['$str'],
    additionalProperties: false,
    properties: { $str: { type: 'string', ...inner, title, expect, ...notes } },
    title,
    expect,
    ...notes,
  };
}

function filePath(title: string): SchemaNode {
  return erlString(title, 'a path in double quotes', { minLength: 1, pattern: '^[^\\u0000]*$' });
}

function proplist(title: string, entryNoun: string, properties: Record<string, SchemaNode>, required: string[] = []): SchemaNode {
  return {
    type: 'object',
    properties,
    required,
    additionalProperties: false,
    title,
    entryNoun,
    expect: 'a list of {Name, Value} tuples',
  };
}

const HOST_PATTERN = '^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?|[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*(?:%[A-Za-z0-9_.-]+)?)$';
const LATIN1_PATTERN = '^[\\u0000-\\u00ff]*$';
const B64 = '[A-Za-z0-9+/_-]';
const SCRYPT_PATTERN = `^scrypt\\$[1-9][0-9]*\\$[1-9][0-9]*\\$[1-9][0-9]*\\$${B64}+={0,2}\\$${B64}+={0,2}$`;
const KEY_PATTERN = `^(?:[0-9A-Fa-f]{64}|(?:lcck1:)?${B64}{43}=?)$`;
const MODULE_PATTERN = '^(?!.*\\.\\.)[A-Za-z0-9_@][A-Za-z0-9_@.-]*$';
const FUNCTION_PATTERN = '^[A-Za-z_$][A-Za-z0-9_$]*$';

const PORT = integer('port', 0, 65535);
const PROCESSES_EXPECT = `an integer from 1 to ${MAX_PROCESSES} or the atom auto (one process per core), as in {processes, 4}`;
const HOST = erlString('bind address', 'a host name or IP address in double quotes, such as "0.0.0.0"', { pattern: HOST_PATTERN });
const LEGACY = atomEnum('legacy', LEGACY_POLICIES);

function limitsSchema(title: string, names: readonly string[] = Object.keys(LIMITS)): SchemaNode {
  const properties = Object.fromEntries(
    Object.entries(LIMITS)
      .filter(([name]) => names.includes(name))
      .map(([name, spec]) => [name, integer(`limit ${name}`, spec.min, spec.max, spec.unit)]),
  );
  return proplist(title, 'limit', properties);
}

const PASSWORD: SchemaNode = {
  title: 'password',
  secret: true,
  expect: 'a string in double quotes, the atom none, or {scrypt, "scrypt$N$r$p$Salt$Hash"}',
  anyOf: [
    { const: 'none' },
    erlString(
      'password',
      'a string',
      { pattern: LATIN1_PATTERN },
      {
        secret: true,
        problem:
          'password contains a character above 255, which the legacy MD5 login cannot hash (it hashes one byte per character); use Latin-1 characters only, or store a {scrypt, Hash} (which the legacy login cannot use)',
      },
    ),
    {
      type: 'object',
      required: ['scrypt'],
      additionalProperties: false,
      properties: {
        scrypt: erlString(
          'scrypt password hash',
          'a string of the form scrypt$N$r$p$Salt$Hash (Salt and Hash in base64)',
          { pattern: SCRYPT_PATTERN },
          { secret: true },
        ),
      },
    },
  ],
};

const SERVICE_OPTIONS = proplist('service options', 'service option', {
  auth: {
    type: 'array',
    items: atomEnum('auth method', AUTH_METHODS),
    minItems: 1,
    uniqueItems: true,
    title: 'auth',
    expect: `a list of login methods from ${AUTH_METHODS.join(', ')}`,
    problem: `auth must list at least one login method (${AUTH_METHODS.join(', ')}), each at most once`,
  },
  legacy: LEGACY,
  legacy_password: erlString(
    'legacy_password',
    'a string in double quotes',
    { pattern: LATIN1_PATTERN },
    {
      secret: true,
      problem: 'legacy_password contains a character above 255, which the legacy MD5 login cannot hash; use Latin-1 characters only',
    },
  ),
  client_keys: {
    type: 'array',
    items: erlString(
      'client key',
      'an Ed25519 public key in double quotes (lcck1:... as lib_chan keygen --client prints it, 64 hex digits, or 43-44 base64 characters)',
      { pattern: KEY_PATTERN },
    ),
    title: 'client_keys',
    expect: 'a list of Ed25519 public keys in double quotes',
  },
  isolation: atomEnum('isolation', ISOLATION_MODES),
  state: atomEnum('state', SERVICE_STATES),
  restart: proplist('restart', 'restart option', {
    intensity: integer('restart intensity', 0, 1_000_000),
    period_ms: integer('restart period_ms', 1, 86_400_000, 'ms'),
  }),
  schema: filePath('schema'),
  limits: limitsSchema('service limits', SERVICE_LIMITS),
  on_invalid: atomEnum('on_invalid', ON_INVALID),
  singleton: atomEnum('singleton', ['true', 'false']),
});

const SERVICE: SchemaNode = {
  type: 'object',
  title: 'service',
  expect: '{service, Name, password, Pwd, mfa, Mod, Fun, ArgsS}',
  properties: {
    name: atomName('service name', 'an atom (clients send the name as an atom: write nameServer, not "nameServer")'),
    password: PASSWORD,
    module: atomName('module (Mod)', 'an atom naming a module file (letters, digits, _ @ . -)', MODULE_PATTERN),
    fn: atomName('function (Fun)', 'an atom naming an exported function (a JavaScript identifier)', FUNCTION_PATTERN),
    options: SERVICE_OPTIONS,
  },
  required: ['name', 'password', 'module', 'fn', 'options'],
  additionalProperties: false,
};

/** Value schema of each top-level term kind (`{Kind, Value}`; the service term is its own shape). */
export const CONF_SCHEMAS = {
  port: PORT,
  bind: HOST,
  legacy: LEGACY,
  identity: filePath('identity'),
  trusted_proxies: {
    type: 'array',
    items: erlString('trusted proxy', 'an IP address in double quotes, such as "127.0.0.1"', { pattern: '^[0-9A-Fa-f.:]+$' }),
    title: 'trusted_proxies',
    expect: 'a list of IP addresses in double quotes',
  },
  module_path: {
    title: 'module_path',
    expect: 'a directory path in double quotes, or a list of them',
    anyOf: [filePath('module_path'), { type: 'array', items: filePath('module_path entry') }],
  },
  limits: limitsSchema('limits'),
  log_level: atomEnum('log_level', LOG_LEVELS),
  busy_poll: integer('busy_poll', 0, MAX_BUSY_POLL_US, 'microseconds'),
  processes: {
    title: 'processes',
    expect: PROCESSES_EXPECT,
    anyOf: [{ ...integer('processes', 1, MAX_PROCESSES), expect: PROCESSES_EXPECT }, { const: 'auto' }],
  },
  websocket: proplist(
    'websocket',
    'websocket option',
    {
      port: PORT,
      path: erlString('websocket path', 'a URL path in double quotes starting with /', { pattern: '^/[^\\s?#]*$' }),
      bind: HOST,
      tls: proplist('tls', 'tls option', { cert: filePath('tls cert'), key: filePath('tls key') }, ['cert', 'key']),
      origins: {
        type: 'array',
        items: erlString('origin', 'an origin in double quotes such as "https://example.com"', { pattern: '^[a-z][a-z0-9+.-]*://[^\\s/]+$' }),
        title: 'origins',
        expect: 'a list of origins in double quotes',
      },
      permessage_deflate: atomEnum('permessage_deflate', ['true', 'false']),
    },
    ['port'],
  ),
  metrics: proplist('metrics', 'metrics option', { port: PORT, bind: HOST }, ['port']),
  registry: erlString('registry', 'a registry URL in double quotes: "local:", "local:NAME", "etcd://host:port[,host:port...]/prefix"', {
    pattern: '^(?:local:(?:[A-Za-z0-9_.-]{1,64})?|local://[^/\\s]+/?|etcd://[^/\\s]+(?:/[A-Za-z0-9_./-]*)?)$',
    maxLength: 2048,
  }),
  service: SERVICE,
} as const satisfies Record<string, SchemaNode>;
export type TermKind = keyof typeof CONF_SCHEMAS;
