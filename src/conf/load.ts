/**
 * Reading a conf file: the default location, size and encoding checks,
 * parsing (term-parser.ts), validation (schema.ts), and finding each
 * service's module and function at start-up.
 *
 * Every failure is `ChanError('badConf')` whose message starts with
 * `file:line:column:` where there is a line to point at, and whose details
 * hold `{file, line, column}`. No message contains a password.
 */
import { Buffer } from 'node:buffer';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ChanError } from '../errors.ts';
import type { LimitName, Limits } from '../limits.ts';
import type { Position } from './term-lexer.ts';
import { MAX_TERM_TEXT_CHARS, parseTerms } from './term-parser.ts';
import { checkConf, type ServerConfig, type ServiceConfig } from './schema.ts';
import { MODULE_EXTENSIONS, describeLoadError, exportedFunction, exportedFunctionNames, importHandlerModule } from './handler-module.ts';

/** Largest conf file read, in bytes (1 MiB). */
export const MAX_CONF_BYTES = MAX_TERM_TEXT_CHARS;

/** `$HOME/.erlang_config/lib_chan.conf`, as in the book; HOME unset is a badConf. */
export function defaultConfPath(env: Record<string, string | undefined> = process.env): string {
  const home = env.HOME;
  if (home === undefined || home === '') {
    throw new ChanError(
      'badConf',
      'HOME is not set, so the default conf file $HOME/.erlang_config/lib_chan.conf cannot be found; give the conf file explicitly (--conf FILE)',
      {
        details: { file: '$HOME/.erlang_config/lib_chan.conf' },
      },
    );
  }
  return path.join(home, '.erlang_config', 'lib_chan.conf');
}

/** Read, parse and check a conf file, and resolve every service module. */
export async function loadConfig(file?: string): Promise<ServerConfig> {
  const name = file ?? defaultConfPath();
  const abs = path.resolve(name);
  let info;
  try {
    info = await stat(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (e as Error).message})`;
    throw new ChanError('badConf', `conf file ${abs} ${why}`, { details: { file: abs }, cause: e });
  }
  if (!info.isFile()) throw new ChanError('badConf', `conf file ${abs} is not a regular file`, { details: { file: abs } });
  const posix = process.platform !== 'win32';
  if (posix && (info.mode & 0o002) !== 0) {
    // The conf names the modules the server imports and runs: whoever may write it runs code as the server.
    throw new ChanError(
      'badConf',
      `conf file ${abs} is writable by others (mode ${modeText(info.mode)}), so anyone could make the server run their code; run: chmod o-w ${abs}`,
      {
        details: { file: abs, mode: modeText(info.mode) },
      },
    );
  }
  if (info.size > MAX_CONF_BYTES) {
    throw new ChanError('badConf', `conf file ${abs} is ${info.size} bytes; the limit is ${MAX_CONF_BYTES} (1 MiB)`, {
      details: { file: abs, limit: MAX_CONF_BYTES, actual: info.size },
    });
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(abs);
  } catch (e) {
    throw new ChanError('badConf', `conf file ${abs} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, {
      details: { file: abs },
      cause: e,
    });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    throw new ChanError('badConf', `conf file ${abs} is not valid UTF-8`, { details: { file: abs }, cause: e });
  }
  const config = await parseConfig(text, abs);
  const plain = [...config.services.values()].filter((s) => s.password.kind === 'plain' || s.legacyPassword !== undefined).map((s) => s.name);
  if (posix && (info.mode & 0o044) !== 0 && plain.length > 0) {
    (config.warnings ??= []).push({
      event: 'confReadable',
      file: abs,
      mode: modeText(info.mode),
      services: plain,
      message: `conf file ${abs} holds plaintext passwords (${plain.slice(0, 5).join(', ')}${plain.length > 5 ? ', ...' : ''}) and group or others may read it (mode ${modeText(info.mode)}); run: chmod 600 ${abs}, or store {scrypt, Hash} passwords (lib_chan passwd)`,
    });
  }
  return config;
}

function modeText(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, '0');
}

/** Parse and check conf text as if read from `file` (relative paths in it are relative to its directory). */
export async function parseConfig(text: string, file: string): Promise<ServerConfig> {
  const abs = path.resolve(file);
  const positions = new WeakMap<object, Position>();
  const terms = parseTerms(text, file, { positions });
  const draft = checkConf(terms, { file, confDir: path.dirname(abs), positions, end: endOf(text) });
  const { termAt, services: drafts, ...rest } = draft;
  const services = new Map<string, ServiceConfig>();
  for (const { column, ...svc } of drafts) {
    const where = { file, line: svc.line, column, service: svc.name };
    const { modulePath, handler } = await resolveServiceModule(svc.module, svc.fn, draft.modulePaths, where);
    if (svc.schemaFile !== undefined) await mustExist(svc.schemaFile, `service ${svc.name}: message schema`, where);
    services.set(svc.name, { ...svc, modulePath, handler });
  }
  if (rest.websocket?.tls !== undefined) {
    const at = termAt.websocket ?? { line: 0, column: 0 };
    const where = { file, line: at.line, column: at.column };
    await mustExist(rest.websocket.tls.certFile, 'websocket tls cert', where);
    await mustExist(rest.websocket.tls.keyFile, 'websocket tls key', where);
  }
  return { ...rest, file: abs, services };
}

/** Line and column just past the end of the text (where a missing term is reported). */
function endOf(text: string): Position {
  const last = text.lastIndexOf('\n');
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) line++;
  return { line, column: text.length - last };
}

interface Where {
  file: string;
  line: number;
  column: number;
  service?: string;
}

function whereError(where: Where, problem: string, extra: Record<string, unknown> = {}, cause?: unknown): ChanError {
  const at = where.line > 0 ? `${where.file}:${where.line}:${where.column}` : where.file;
  return new ChanError('badConf', `${at}: ${problem}`, {
    details: {
      file: where.file,
      ...(where.line > 0 ? { line: where.line, column: where.column } : {}),
      ...(where.service ? { service: where.service } : {}),
      ...extra,
    },
    ...(cause === undefined ? {} : { cause }),
  });
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

async function mustExist(file: string, what: string, where: Where): Promise<void> {
  if (!(await isFile(file))) throw whereError(where, `${what} file ${file} does not exist`, { path: file });
}

/**
 * Find `<dir>/<module><ext>` in `modulePaths` (in order; extensions as MODULE_EXTENSIONS), import it and
 * check that it exports a function `fn`. Returns the absolute path of the
 * file and the function. A missing module or function is a badConf naming
 * where it looked.
 */
export async function resolveServiceModule(
  module: string,
  fn: string,
  modulePaths: readonly string[],
  where: Where,
): Promise<Pick<ServiceConfig, 'modulePath' | 'handler'>> {
  const who = where.service === undefined ? '' : `service ${where.service}: `;
  const searched: string[] = [];
  let found: string | undefined;
  for (const dir of modulePaths) {
    for (const ext of MODULE_EXTENSIONS) {
      const candidate = path.resolve(dir, `${module}${ext}`);
      searched.push(candidate);
      if (await isFile(candidate)) {
        found = candidate;
        break;
      }
    }
    if (found !== undefined) break;
  }
  if (found === undefined) {
    throw whereError(where, `${who}module ${module} not found; looked for ${searched.join(', ')}`, { module, searched });
  }
  let mod: Record<string, unknown>;
  try {
    mod = await importHandlerModule(found);
  } catch (e) {
    throw whereError(where, `${who}module ${found} failed to load: ${await describeLoadError(e, found)}`, { module, path: found }, e);
  }
  const handler = exportedFunction(mod, fn);
  if (handler === undefined) {
    const exported = exportedFunctionNames(mod);
    const has = exported.length === 0 ? 'it exports no functions' : `it exports ${exported.join(', ')}`;
    throw whereError(where, `${who}module ${found} does not export a function ${fn} (${has})`, { module, fn, path: found });
  }
  return { modulePath: found, handler: handler as ServiceConfig['handler'] };
}

/** A loggable summary of a config: auth kinds, never passwords, hashes or ArgsS. */
export interface RedactedConfig {
  file?: string;
  port: number;
  bind: string;
  legacy: ServerConfig['legacy'];
  identityFile?: string;
  modulePaths: string[];
  logLevel: string;
  processes: ServerConfig['processes'];
  busyPollUs: number;
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
    state: ServiceConfig['state'];
    onInvalid: ServiceConfig['onInvalid'];
    schemaFile?: string;
    /** Only the limits that differ from the server's. */
    limits: Partial<Limits>;
    line: number;
  }[];
}

export function redactConfig(config: ServerConfig): RedactedConfig {
  const out: RedactedConfig = {
    file: config.file,
    port: config.port,
    bind: config.bind,
    legacy: config.legacy,
    identityFile: config.identityFile,
    modulePaths: [...config.modulePaths],
    logLevel: config.logLevel,
    processes: config.processes,
    busyPollUs: config.busyPollUs,
    limits: { ...config.limits },
    websocket: config.websocket && { ...config.websocket },
    metrics: config.metrics && { ...config.metrics },
    services: [...config.services.values()].map((s) => {
      const limits: Partial<Limits> = {};
      for (const k of Object.keys(s.limits) as LimitName[]) {
        if (s.limits[k] !== config.limits[k]) limits[k] = s.limits[k];
      }
      return {
        name: s.name,
        passwordKind: s.password.kind,
        auth: [...s.auth],
        legacy: s.legacy,
        // Public keys are not secret; hex lets an operator match them.
        clientKeys: s.clientKeys.map((k) => Buffer.from(k).toString('hex')),
        module: s.module,
        fn: s.fn,
        modulePath: s.modulePath,
        isolation: s.isolation,
        ...(s.isolation === 'worker' ? { restart: { ...s.restart } } : {}),
        state: s.state,
        onInvalid: s.onInvalid,
        schemaFile: s.schemaFile,
        limits,
        line: s.line,
      };
    }),
  };
  return out;
}
