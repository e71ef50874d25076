/** What every `lib_chan` subcommand provides, and the CLI's exit codes. */
import type { ParseArgsConfig } from 'node:util';

/** 0 success; 1 the operation failed (connection, login, rpc); 2 usage error; 3 invalid configuration. */
export const EXIT = { ok: 0, failed: 1, usage: 2, badConf: 3 } as const;

export class UsageError extends Error {}

/**
 * What a command reads and writes: the process's streams and environment
 * when run as a program, strings and a fake environment in the tests (which
 * run most commands in-process through `main(argv, io)`).
 */
export interface CliIO {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
  stdin: AsyncIterable<string | Uint8Array> & { isTTY?: boolean };
  env: Record<string, string | undefined>;
}

export const PROCESS_IO: CliIO = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };

export interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  help: string;
  run(values: Record<string, string | boolean | string[] | undefined>, positionals: string[], io: CliIO): Promise<number | 'keep-running'>;
}
