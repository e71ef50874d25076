/** Rewrites the generated tables of README.md (limits, error codes) from the source tables. */
import { readFileSync, writeFileSync } from 'node:fs';
import { renderLimitsTable } from '../src/limits.ts';
import { ERROR_CODES } from '../src/errors.ts';

const file = new URL('../README.md', import.meta.url);
let text = readFileSync(file, 'utf8');
const put = (name: string, body: string): void => {
  const re = new RegExp(`(<!-- ${name}:start -->)[\\s\\S]*?(<!-- ${name}:end -->)`);
  text = text.replace(re, `$1\n${body}\n$2`);
};
put('limits', renderLimitsTable());
put('error-codes', ['| code | meaning |', '|---|---|', ...Object.entries(ERROR_CODES).map(([k, v]) => `| \`${k}\` | ${v.summary} |`)].join('\n'));
writeFileSync(file, text);
