// `npm test` after the build: the static checks (both type checks, ESLint, the
// layer and cycle rules, Prettier) run beside the test files rather than
// before them, since the tests spend most of their time waiting on sockets,
// child processes and timers; together they stay within the suite's minute.
// Each check's output is printed when it ends; the test runner's summary is
// printed last again, and the exit status is non-zero if anything failed.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../', import.meta.url));
// Each tool's own script in node_modules (not every package exports its package.json).
const bin = (pkg, file) => path.join(repo, 'node_modules', pkg, file);
const node = process.execPath;

const CHECKS = [
  ['typecheck', [bin('typescript', 'bin/tsc'), '-p', 'tsconfig.json', '--noEmit']],
  ['typecheck (browser-safe files)', [bin('typescript', 'bin/tsc'), '-p', 'tsconfig.iso.json', '--noEmit']],
  ['eslint', [bin('eslint', 'bin/eslint.js'), 'src', 'test', 'scripts', 'examples', 'bin']],
  [
    'layers and cycles (dependency-cruiser)',
    [bin('dependency-cruiser', 'bin/dependency-cruise.mjs'), 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'],
  ],
  ['prettier', [bin('prettier', 'bin/prettier.cjs'), '--check', '--log-level', 'warn', '.']],
];

// Node 20's runner takes files, not globs: every *.test.ts of these folders.
const TEST_DIRS = ['test/unit', 'test/integration', 'test/interop', 'test/browser', 'test/fuzz', 'test/package'];
const TEST_FILES = TEST_DIRS.flatMap((d) =>
  readdirSync(path.join(repo, d))
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => `${d}/${f}`),
);

function run(args, { live = false } = {}) {
  return new Promise((resolve) => {
    const child = spawn(node, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const take = (stream, sink) =>
      stream.on('data', (c) => {
        out += c;
        if (live) sink.write(c);
      });
    take(child.stdout, process.stdout);
    take(child.stderr, process.stderr);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), out }));
  });
}

const failed = [];
const checks = CHECKS.map(async ([name, args]) => {
  const r = await run(args);
  process.stdout.write(`# check ${name}: ${r.code === 0 ? 'ok' : `FAILED (exit ${r.code})`}\n`);
  if (r.code !== 0) {
    process.stdout.write(r.out.replace(/^/gm, '#   '));
    failed.push(name);
  }
});
// A test that hangs fails after --test-timeout instead of holding CI to its limit, and a file whose tests are done
// exits even if something it opened (a watch, a socket) would keep it alive (--test-force-exit).
const tests = run(
  [
    '--import',
    'tsx',
    '--conditions=lib-chan-src',
    '--test',
    '--test-concurrency=2',
    '--test-timeout=180000',
    '--test-force-exit',
    ...process.argv.slice(2),
    ...TEST_FILES,
  ],
  { live: true },
);

await Promise.all(checks);
const t = await tests;
if (t.code !== 0) failed.push('tests');
// The runner's closing lines once more, after anything the checks printed.
const summary = t.out.split('\n').filter((l) => /^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /.test(l));
if (failed.length > 0) process.stdout.write(`# failed: ${failed.join(', ')}\n`);
process.stdout.write(`${summary.join('\n')}\n`);
process.exitCode = failed.length > 0 ? 1 : 0;
