/**
 * Per-service message schemas: a JSON Schema over the JSON view of terms
 * (toJson in src/wire/etf/format.ts), compiled once at start-up with ajv.
 * ajv is imported only when a service names a schema: loading it costs every
 * process that would not use it about 50 ms of CPU.
 */
import { ChanError } from '../errors.ts';
import { toJson } from '../wire/etf/format.ts';
import type { Term } from '../wire/etf/term.ts';

/** Longest schema problem text logged or sent back. */
export const MAX_PROBLEM_CHARS = 300;

/** Returns a checker: undefined for a good message, else the validation message. */
export async function compileMessageSchema(schema: unknown, where: string): Promise<(term: Term) => string | undefined> {
  const { Ajv } = await import('ajv');
  // One Ajv per schema: a shared one refuses a second schema with the same $id (two services
  // naming one file, or any reload), and keeps every schema ever compiled.
  const ajv = new Ajv({ allErrors: false, strict: false });
  let check;
  try {
    check = ajv.compile(schema as object);
  } catch (e) {
    throw new ChanError('badConf', `${where}: the message schema does not compile: ${(e as Error).message}`, { cause: e });
  }
  return (term) => {
    if (check(toJson(term))) return undefined;
    // The text names paths into the peer's message (map keys of any length): logged and sent back, so bounded.
    const text = ajv.errorsText(check.errors, { dataVar: 'message' });
    return text.length <= MAX_PROBLEM_CHARS ? text : `${text.slice(0, MAX_PROBLEM_CHARS)}...`;
  };
}
