/**
 * `lib_chan` command line: start, check, keygen, passwd, call, status, remote.
 * Exit codes: 0 success; 1 the operation failed (connection, login, rpc);
 * 2 usage error; 3 the configuration is invalid.
 */
import { parseArgs } from 'node:util';
import { ChanError } from '../errors.ts';
import { COMMANDS } from './commands.ts';
import { EXIT, UsageError } from './command.ts';

function topHelp(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
  return [
    'usage: lib_chan <command> [options]',
    '',
    'commands:',
    ...lines,
    '',
    "Run 'lib_chan <command> --help' for a command's options.",
    'Exit codes: 0 ok, 1 operation failed, 2 usage error, 3 invalid configuration',
    "(remote: one per failure code, see 'lib_chan remote --help').",
  ].join('\n');
}

export async function main(argv: string[]): Promise<number | 'keep-running'> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${topHelp()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const cmd = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!cmd) {
    process.stderr.write(`lib_chan: unknown command "${name}"\n\n${topHelp()}\n`);
    return EXIT.usage;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...cmd.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (e) {
    process.stderr.write(`lib_chan ${name}: ${(e as Error).message}\n\nusage: ${cmd.usage}\n`);
    return EXIT.usage;
  }
  if (parsed.values.help) {
    process.stdout.write(`usage: ${cmd.usage}\n\n${cmd.help}\n`);
    return EXIT.ok;
  }
  try {
    return await cmd.run(parsed.values as Record<string, string | boolean | string[] | undefined>, parsed.positionals);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`lib_chan ${name}: ${e.message}\n\nusage: ${cmd.usage}\n`);
      return EXIT.usage;
    }
    if (e instanceof ChanError) {
      process.stderr.write(`lib_chan ${name}: ${e.message} [${e.code}]\n`);
      return e.code === 'badConf' ? EXIT.badConf : EXIT.failed;
    }
    // A system error (ENOENT, EACCES, ...) says enough in its message; anything else is a bug: show the stack.
    const sys = typeof (e as NodeJS.ErrnoException)?.code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string';
    process.stderr.write(`lib_chan ${name}: ${sys ? (e as Error).message : ((e as Error)?.stack ?? String(e))}\n`);
    return EXIT.failed;
  }
}

const isEntry = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry || process.env.LIB_CHAN_CLI === '1') {
  const code = await main(process.argv.slice(2));
  if (code !== 'keep-running') process.exitCode = code;
}
