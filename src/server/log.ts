/**
 * The server's logger: pino, one JSON event per line (or pretty lines when
 * asked), with secrets redacted by path in case one ever reaches a log call.
 */
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = ['password', 'secret', 'proof', '*.password', '*.secret', '*.proof', 'config.services[*].password'];

export interface LogOptions {
  level?: string;
  /** Human-readable lines (pino-pretty) instead of JSON. */
  pretty?: boolean;
  /** Where JSON lines go; defaults to stdout. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(opts: LogOptions = {}): Logger {
  const level = opts.level ?? process.env.LIB_CHAN_LOG_LEVEL ?? 'info';
  const base = { level, base: { pid: process.pid }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (opts.pretty && prettyAvailable()) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { colorize: process.stdout.isTTY === true, translateTime: 'SYS:standard', ignore: 'pid' } },
    });
  }
  const log = opts.destination ? pino(base, opts.destination as never) : pino(base);
  if (opts.pretty) log.warn({ event: 'prettyUnavailable' }, 'pino-pretty is not installed (it is a dev dependency); logging JSON lines');
  return log;
}

/** pino-pretty is a dev dependency: a production install may lack it. */
function prettyAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}
