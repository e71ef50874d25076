// `node scripts/bench-table.mjs docs/bench/FILE.json`: refresh the README's Benchmarks table from one
// `npm run bench -- --json FILE` run. The table keeps its own choice and order of rows (a row is a line
// starting with | `id` |); each row's median and ratio are rewritten from the run, and a row the run does
// not hold is reported, not guessed. The prose around the table is the author's to update.
import { readFileSync, writeFileSync } from 'node:fs';

const [file] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/bench-table.mjs BENCH.json');
  process.exit(2);
}
const data = JSON.parse(readFileSync(file, 'utf8'));
const rows = new Map((Array.isArray(data) ? data : data.rows).map((r) => [r.id, r]));
const readmeUrl = new URL('../README.md', import.meta.url);
const readme = readFileSync(readmeUrl, 'utf8');

const number = (v) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v >= 10 ? v.toFixed(1) : v.toFixed(v >= 1 ? 1 : 2));
const median = (r) => `${number(r.value)} ${r.unit}`;
const ratio = (r) => {
  if (r.ratio == null || r.ratio_to == null) return '-';
  return `${Math.round(r.ratio * 100)}% of \`${r.ratio_to}\`${r.better === 'lower' ? ' (lower is better)' : ''}`;
};

const start = readme.indexOf('\n## Benchmarks\n');
const end = readme.indexOf('\n## ', start + 1);
if (start < 0 || end < 0) throw new Error('README.md has no "## Benchmarks" section');
const missing = [];
let changed = 0;
const section = readme.slice(start, end).replace(/^\| `([a-z0-9_]+(?:\.[a-z0-9_]+)+)` \| ([^|]*) \| [^|]* \| [^|]* \|$/gm, (line, id, what) => {
  const r = rows.get(id);
  if (!r) {
    missing.push(id);
    return line;
  }
  changed++;
  return `| \`${id}\` | ${what} | ${median(r)} | ${ratio(r)} |`;
});
writeFileSync(readmeUrl, readme.slice(0, start) + section + readme.slice(end));
console.log(`README.md: ${changed} benchmark rows refreshed from ${file}`);
if (missing.length) console.log(`not in this run (left as they were): ${missing.join(', ')}`);
