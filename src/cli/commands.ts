/**
 * The `lib_chan` subcommands. What only one command needs (the server, the conf loader, the client) is
 * imported when that command runs: `--help`, `call` or `names` do not load the server (pino and all), and
 * each command starts in less CPU time.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { loadKeyFile } from '../auth/keys-node.ts';
import { nodeProvider } from '../auth/crypto-node.ts';
import { ChanError, isChanError } from '../errors.ts';
import { renderLimitsTable } from '../limits.ts';
import { parseTerm } from '../conf/term-parser.ts';
import { defaultKnownHostsFile } from '../client/secure-node.ts';
import { formatTerm, toJson } from '../wire/etf/format.ts';
import type { Term } from '../wire/etf/term.ts';
import { LOG_LEVELS } from '../conf/conf-schemas.ts';
import { EXIT, UsageError, type Command } from './command.ts';
import { keygenCommand, passwdCommand, statusCommand } from './key-commands.ts';
import { remoteCommand } from './remote/command.ts';
import { namesCommand } from './names-command.ts';

const confOption = { conf: { type: 'string', short: 'c' } } as const;

/**
 * The level `start` logs at: --log-level, else LIB_CHAN_LOG_LEVEL (empty counts as unset), else the conf's
 * (already checked by the conf's schema). A bad level from the flag or the environment is a usage error.
 */
export function startLogLevel(flag: string | undefined, env: Record<string, string | undefined>, confLevel: string): string {
  const fromEnv = env.LIB_CHAN_LOG_LEVEL === '' ? undefined : env.LIB_CHAN_LOG_LEVEL;
  const level = flag ?? fromEnv ?? confLevel;
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new UsageError(`log level "${level}" (from ${flag !== undefined ? '--log-level' : 'LIB_CHAN_LOG_LEVEL'}) is not one of ${LOG_LEVELS.join(', ')}`);
  }
  return level;
}

const start: Command = {
  summary: 'start the server',
  usage: 'lib-chan start [--conf FILE] [--port N] [--bind ADDR] [--log-level LEVEL] [--pretty | --json]',
  options: {
    ...confOption,
    port: { type: 'string' },
    bind: { type: 'string' },
    'log-level': { type: 'string' },
    pretty: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  help: [
    'Reads the conf (default $HOME/.erlang_config/lib_chan.conf), checks every service, and listens.',
    'Signals: SIGTERM/SIGINT stop accepting, let handlers finish (closeGraceMs), then exit 0;',
    '         a second SIGTERM/SIGINT exits at once;',
    '         SIGHUP reloads the conf (a bad new conf is refused and the old one stays).',
    'Logs are JSON lines on stdout; --pretty (the default on a terminal) prints them for people, --json forces JSON.',
    'Log level: --log-level, else LIB_CHAN_LOG_LEVEL, else {log_level, L} in the conf, else info.',
    '',
    'Limits (set in the conf with {limits, [{name, value}, ...]}):',
    renderLimitsTable(),
  ].join('\n'),
  async run(v, _pos, io) {
    const [{ loadConfig }, { createLogger }, { startServer }] = await Promise.all([
      import('../conf/load.ts'),
      import('../server/log.ts'),
      import('../server/server.ts'),
    ]);
    const config = await loadConfig(v.conf as string | undefined);
    if (v.port !== undefined) {
      const port = Number(v.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, got ${String(v.port)}`);
      config.port = port;
    }
    if (v.bind !== undefined) config.bind = v.bind as string;
    const level = startLogLevel(v['log-level'] as string | undefined, io.env, config.logLevel);
    if (v.pretty && v.json) throw new UsageError('--pretty and --json exclude each other');
    const logger = createLogger({ level, pretty: v.json ? false : ((v.pretty as boolean | undefined) ?? io.stdout.isTTY === true) });
    const server = await startServer({ config, logger });
    const stop = (signal: string): void => {
      logger.info({ event: 'signal', signal }, `${signal}: shutting down`);
      void server.close().then(() => {
        logger.flush?.();
        process.exit(EXIT.ok);
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      logger.info({ event: 'signal', signal: 'SIGHUP' }, 'SIGHUP: reloading the configuration');
      server.reload().catch(() => {});
    });
    return 'keep-running';
  },
};

const check: Command = {
  summary: 'validate a conf and print what it would serve',
  usage: 'lib-chan check [--conf FILE] [--json]',
  options: { ...confOption, json: { type: 'boolean' } },
  help: 'Parses and validates the conf, imports every service module and checks its function; prints the services (never the passwords). Exit 0 when good, 3 with file:line: problem when not.',
  async run(v, _pos, io) {
    const [{ loadConfig, redactConfig }, { loadServices }] = await Promise.all([import('../conf/load.ts'), import('../server/services.ts')]);
    const config = await loadConfig(v.conf as string | undefined);
    await loadServices(config);
    // What start would refuse: a key file that group or others may read, or that another user owns.
    if (config.identityFile !== undefined && existsSync(config.identityFile)) loadKeyFile(config.identityFile, 'server', nodeProvider);
    for (const w of config.warnings ?? []) process.stderr.write(`warning: ${w.message}\n`);
    const summary = redactConfig(config);
    if (v.json) {
      io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    } else {
      io.stdout.write(`${config.file}: OK\n  listens on ${config.bind}:${config.port}, legacy login: ${config.legacy}\n`);
      for (const s of config.services.values()) {
        io.stdout.write(
          `  service ${s.name}: ${s.module}:${s.fn}/3 (${s.modulePath}), auth [${s.auth.join(', ')}], password ${s.password.kind}, isolation ${s.isolation}\n`,
        );
      }
    }
    return EXIT.ok;
  },
};

const call: Command = {
  summary: "connect to a service, send a cast or an rpc, print the reply (the operator's curl)",
  usage:
    'lib-chan call HOST:PORT SERVICE TERM | --registry URL SERVICE TERM [--cast] [--json] [--password-file F] [--legacy] [--server-key KEY] [--known-hosts FILE] [--client-key FILE] [--args TERM] [--timeout MS] [--verbose]',
  options: {
    cast: { type: 'boolean' },
    json: { type: 'boolean' },
    'password-file': { type: 'string' },
    legacy: { type: 'boolean' },
    'server-key': { type: 'string' },
    'known-hosts': { type: 'string' },
    'client-key': { type: 'string' },
    args: { type: 'string' },
    timeout: { type: 'string' },
    registry: { type: 'string' },
    verbose: { type: 'boolean', short: 'v' },
  },
  help: [
    "TERM is Erlang syntax, e.g. '{lookup, joe}', or JSON with --json (objects become maps with atom keys, strings stay strings).",
    'The password comes from --password-file or the LIB_CHAN_PASSWORD environment variable (never a command-line argument, which other users can see).',
    'The reply is printed in Erlang syntax (or as JSON with --json).',
    '--registry URL: find SERVICE by name (local:, etcd://..., dns+srv://...) and fail over between its gateways; the key must match --server-key or a known-hosts entry of that gateway (a registry cannot introduce a key).',
    '--verbose (with --registry): print the discovery steps (resolved, failed attempts, the gateway used) on stderr as JSON lines.',
  ].join('\n'),
  async run(v, pos, io) {
    const byName = v.registry !== undefined;
    if (pos.length !== (byName ? 2 : 3)) throw new UsageError(byName ? 'expected --registry URL SERVICE TERM' : 'expected HOST:PORT SERVICE TERM');
    const [hostport, service, text] = byName ? ['', ...pos] : pos;
    const m = byName ? ['', '', '1'] : /^(.*):(\d+)$/.exec(hostport);
    if (!m) throw new UsageError(`"${hostport}" is not HOST:PORT`);
    const host = m[1].replace(/^\[(.*)\]$/, '$1');
    const port = Number(m[2]);
    if (port < 1 || port > 65535) throw new UsageError(`port ${m[2]} is not 1..65535`);
    const term: Term = v.json ? parseJsonArg('TERM', text) : parseTermArg('TERM', text);
    const argsC: Term = v.args !== undefined ? parseTermArg('--args', v.args as string) : [];
    let password: string | null = io.env.LIB_CHAN_PASSWORD || null;
    if (v['password-file'] !== undefined) password = (await readArgFile('--password-file', v['password-file'] as string)).replace(/\r?\n$/, '');
    const timeoutMs = v.timeout !== undefined ? Number(v.timeout) : undefined;
    if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0))
      throw new UsageError(`--timeout must be a positive number of milliseconds, got ${String(v.timeout)}`);
    const opts = {
      protocol: v.legacy ? ('legacy' as const) : ('secure' as const),
      serverKey: v['server-key'] as string | undefined,
      knownHosts: (v['known-hosts'] as string | undefined) ?? (v.legacy ? undefined : defaultKnownHostsFile(io.env)),
      clientKeyFile: v['client-key'] as string | undefined,
      // --verbose: the discovery steps (resolved, each failed attempt, the gateway used) on stderr.
      onEvent: v.verbose
        ? (action: string, fields: Record<string, unknown>) => void io.stderr.write(`${JSON.stringify({ event: 'discovery', action, ...fields })}\n`)
        : undefined,
    };
    const { connect } = await import('../client/node.ts');
    const pending = byName ? connect({ service, registry: v.registry as string }, password, argsC, opts) : connect(host, port, service, password, argsC, opts);
    const ch = await pending.catch((e: unknown) => {
      if (password === null && v['client-key'] === undefined && isChanError(e, 'authFail')) {
        throw new ChanError(
          'authFail',
          `${service} needs a password: give it with --password-file FILE or the LIB_CHAN_PASSWORD environment variable (or log in with --client-key FILE)`,
          { cause: e, details: e.details },
        );
      }
      throw e;
    });
    try {
      if (v.cast) {
        ch.cast(term);
        return EXIT.ok;
      }
      const reply = await ch.rpc(term, { timeoutMs });
      io.stdout.write(`${v.json ? JSON.stringify(toJson(reply)) : formatTerm(reply)}\n`);
      return EXIT.ok;
    } finally {
      ch.close();
    }
  },
};

/** An Erlang term given on the command line; a syntax error is a usage error (exit 2). */
function parseTermArg(what: string, text: string): Term {
  try {
    return parseTerm(text, { file: what });
  } catch (e) {
    throw new UsageError(`${what} is not an Erlang term: ${(e as Error).message}`);
  }
}

function parseJsonArg(what: string, text: string): Term {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} is not JSON: ${(e as Error).message}`);
  }
  return jsonToTerm(j);
}

/** A file named by an option; a missing or unreadable one fails with its name, not a stack. */
async function readArgFile(option: string, file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new ChanError('badArgument', `${option} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
}

/** JSON for `call --json`: objects -> maps with atom keys; arrays -> lists; strings -> strings. */
function jsonToTerm(j: unknown): Term {
  if (j === null) return undefined;
  if (Array.isArray(j)) return j.map(jsonToTerm);
  if (typeof j === 'object') {
    const out: Record<string, Term> = Object.create(null);
    for (const [k, val] of Object.entries(j as object)) out[k] = jsonToTerm(val);
    return out;
  }
  if (typeof j === 'number' || typeof j === 'string' || typeof j === 'boolean') return j;
  throw new ChanError('badArgument', `cannot send JSON value ${String(j)}`);
}

export const COMMANDS: Record<string, Command> = {
  start,
  check,
  keygen: keygenCommand,
  passwd: passwdCommand,
  call,
  status: statusCommand,
  remote: remoteCommand,
  names: namesCommand,
};
