/**
 * `lib_chan` command line: start, check, keygen, passwd, call, status, remote.
 * Exit codes: 0 success; 1 the operation failed (connection, login, rpc);
 * 2 usage error; 3 the configuration is invalid.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { ChanError } from '../errors.ts';
import { COMMANDS } from './commands.ts';
import { EXIT, PROCESS_IO, UsageError, type CliIO } from './command.ts';

function topHelp(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
  return [
    'usage: lib-chan <command> [options]   (also installed as lib_chan)',
    '',
    'commands:',
    ...lines,
    '',
    "Run 'lib-chan <command> --help' for a command's options, 'lib-chan --version' for the version.",
    'Exit codes: 0 ok, 1 operation failed, 2 usage error, 3 invalid configuration',
    "(remote: one per failure code, see 'lib-chan remote --help').",
  ].join('\n');
}

/** This package's version, from its package.json (the same file in the source tree and the installed package). */
export function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** Run one command; `io` defaults to the process's (the tests pass their own). */
export async function main(argv: string[], io: CliIO = PROCESS_IO): Promise<number | 'keep-running'> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v' || name === 'version') {
    io.stdout.write(`lib-chan ${version()}\n`);
    return EXIT.ok;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${topHelp()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const cmd = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!cmd) {
    io.stderr.write(`lib_chan: unknown command "${name}"\n\n${topHelp()}\n`);
    return EXIT.usage;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...cmd.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (e) {
    io.stderr.write(`lib_chan ${name}: ${(e as Error).message}\n\nusage: ${cmd.usage}\n`);
    return EXIT.usage;
  }
  if (parsed.values.help) {
    io.stdout.write(`usage: ${cmd.usage}\n\n${cmd.help}\n`);
    return EXIT.ok;
  }
  try {
    return await cmd.run(parsed.values as Record<string, string | boolean | string[] | undefined>, parsed.positionals, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`lib_chan ${name}: ${e.message}\n\nusage: ${cmd.usage}\n`);
      return EXIT.usage;
    }
    if (e instanceof ChanError) {
      io.stderr.write(`lib_chan ${name}: ${e.message} [${e.code}]\n`);
      return e.code === 'badConf' ? EXIT.badConf : EXIT.failed;
    }
    // A system error (ENOENT, EACCES, ...) says enough in its message; anything else is a bug: show the stack.
    const sys = typeof (e as NodeJS.ErrnoException)?.code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string';
    io.stderr.write(`lib_chan ${name}: ${sys ? (e as Error).message : ((e as Error)?.stack ?? String(e))}\n`);
    return EXIT.failed;
  }
}

/** Run the CLI as a program: bin/lib-chan.js, or this file run directly (`node --import tsx src/cli/main.ts`, as the tests do). */
export async function runCli(argv: string[]): Promise<void> {
  const code = await main(argv);
  if (code !== 'keep-running') {
    process.exitCode = code;
    // A one-shot command is done: a peer that never finishes closing must not keep it alive.
    setTimeout(() => process.exit(code), 2000).unref();
  }
}

const isEntry = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isEntry) await runCli(process.argv.slice(2));
