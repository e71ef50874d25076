// `npm test` after the build: the static checks (both type checks, ESLint, the
// layer and cycle rules, Prettier) run beside the test files rather than
// before them, taking the CPU the tests leave while they wait on sockets,
// child processes and timers.
// Each check's output is printed when it ends; the test runner's summary is
// printed last again, and the exit status is non-zero if anything failed.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = fileURLToPath(new URL('../', import.meta.url));
// Each tool's own script in node_modules (not every package exports its package.json).
const bin = (pkg, file) => path.join(repo, 'node_modules', pkg, file);
const node = process.execPath;

// Caches live in node_modules/.cache (git-ignored, gone with a fresh clone): tsc's incremental state, Prettier's
// per-file results and check-ts.mjs's lint state are exact (keyed by content and options; for ESLint's type-aware
// rules, by the content of everything a file imports too), so a second run only rechecks what changed.
const CACHE = path.join(repo, 'node_modules', '.cache', 'lib-chan-test');
const CACHE_ENTRIES = path.join(CACHE, 'entries');
const tsc = (project, name) => [
  bin('typescript', 'bin/tsc'),
  '-p',
  project,
  '--noEmit',
  '--incremental',
  '--tsBuildInfoFile',
  path.join(CACHE, `${name}.tsbuildinfo`),
];
// Each check with the files its verdict depends on besides its tools (package-lock.json and package.json are
// added to every list). A check that passed is not run again while none of those files has changed: see STAMPS.
const TS_CONFIGS = ['tsconfig.json', 'package.json'];
const CHECKS = [
  // The whole project's type check and ESLint share one TypeScript program (scripts/check-ts.mjs).
  {
    name: 'typecheck and eslint',
    args: [path.join(repo, 'scripts', 'check-ts.mjs'), path.join(CACHE, 'main.tsbuildinfo'), 'src', 'test', 'scripts', 'examples', 'bin'],
    inputs: ['src', 'test', 'scripts', 'examples', 'bin', 'eslint.config.js', ...TS_CONFIGS],
  },
  { name: 'typecheck (browser-safe files)', args: tsc('tsconfig.iso.json', 'iso'), inputs: ['src', 'tsconfig.iso.json', ...TS_CONFIGS] },
  {
    name: 'layers and cycles (dependency-cruiser)',
    args: [bin('dependency-cruiser', 'bin/dependency-cruise.mjs'), 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'],
    inputs: ['src', '.dependency-cruiser.cjs', ...TS_CONFIGS],
  },
  // Prettier reads every file it formats, so its inputs are all files (`every`) but for the folders it ignores;
  // when one changed, its own per-file cache spares it the unchanged ones.
  {
    name: 'prettier',
    args: [bin('prettier', 'bin/prettier.cjs'), '--check', '--log-level', 'warn', '--cache', '--cache-location', path.join(CACHE, 'prettier'), '.'],
    inputs: ['.'],
    every: true,
  },
];

// A passing check leaves a stamp: the hash of its command, Node's version and the content of every source
// file among its inputs. The next run compares, and skips the check if nothing differs. It is exact where a
// per-file cache is not (ESLint's type-aware verdict on a file can change when a file it imports does; here any
// change among the inputs reruns the whole check), and it spares a warm `npm test` most of its checks' CPU.
// A failed check leaves no stamp, so its errors are printed again on every run until it passes.
const STAMPS = path.join(CACHE, 'stamps');
const SOURCE = /\.(?:[cm]?[jt]s|json)$/;
// With `every`: folders .prettierignore names (at any depth, as it does) and git's own.
const NOT_FORMATTED = new Set(['node_modules', '.git', 'lib', 'dist', 'coverage']);
function inputsHash(args, inputs, every = false) {
  const hash = createHash('sha256').update(`${process.version}\0${JSON.stringify(args)}\0`);
  const add = (rel) => {
    const abs = path.join(repo, rel);
    let entries;
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch {
      // A file (or nothing: a missing input hashes as its name alone).
      hash.update(`${rel}\0`);
      try {
        hash.update(readFileSync(abs));
      } catch {
        hash.update('\0missing');
      }
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (every ? NOT_FORMATTED.has(e.name) : e.name === 'node_modules' || e.name.startsWith('.')) continue;
      if (e.isDirectory() || (e.isFile() && (every || SOURCE.test(e.name)))) add(path.join(rel, e.name));
    }
  };
  for (const rel of ['package-lock.json', ...inputs]) add(rel);
  return hash.digest('hex');
}

// Node 20's runner takes files, not globs: every *.test.ts of these folders. It runs each file in a process
// of its own, and each process pays for the tests' loader and for loading the code it tests (about 0.6 s of
// CPU, on a machine where the suite is CPU-bound). So files run together in groups, one process each, through
// a generated module that imports them (their tests' names and locations in the report are their own): every
// unit test, the short integration files that are busy rather than waiting, and the waiting ones below. A new
// file gets its own process until it is listed.
const TEST_DIRS = ['test/unit', 'test/integration', 'test/interop', 'test/browser', 'test/fuzz', 'test/package'];
const listed =
  (...names) =>
  (f) =>
    names.some((n) => f === `${n}.test.ts`);
const GROUPS = {
  unit: (f) => f.startsWith('test/unit/'),
  'integration-short': listed(
    'test/integration/client-limits',
    'test/integration/tcp-batching',
    'test/integration/transport-meter',
    'test/integration/legacy-secret',
    'test/integration/slots',
    'test/integration/client-trust',
    'test/integration/ws-origin',
    'test/integration/ws-client',
    'test/integration/metrics',
    'test/integration/channel',
    'test/integration/bruteforce',
    'test/integration/limits',
    'test/integration/schema',
    'test/integration/worker-mailbox',
    'test/integration/start-failure',
    'test/integration/handler-suite',
  ),
  // Files that wait on what they start (etcd, sshd, erl, gateway children, timers) share a process too: each
  // process of its own cost about 0.6 s of CPU before its first test (Node, the loader, the code under test).
  // Their waits then add up within a group rather than overlap, so each group stays near 20 s and the runner
  // keeps four processes going (below), which on 2 cores leaves one waiting while the others compute.
  'registry-etcd': listed('test/integration/registry-etcd', 'test/integration/registry-cluster', 'test/integration/registry-failover'),
  'registry-local': listed(
    'test/integration/registry-singleton',
    'test/integration/registry-health',
    'test/integration/registry-local',
    'test/integration/registry-dns',
  ),
  processes: listed('test/integration/lifecycle', 'test/integration/logs', 'test/integration/remote-ssh', 'test/integration/memory-budget'),
  attacks: listed('test/integration/hostile-bytes', 'test/integration/secure-attacks', 'test/integration/ws', 'test/integration/login-defence'),
  fuzz: listed('test/fuzz/decoders', 'test/fuzz/live'),
  interop: listed('test/interop/lib-chan', 'test/interop/etf-corpus'),
};
// The runner starts files in the order of their paths, whatever order it is given them in. The groups and the
// files that take longest get a generated entry module whose name sorts first, in this order, so that none of
// them starts late and becomes the tail of the run.
const FIRST = [
  'integration-short',
  'unit',
  'test/package/package.test.ts',
  // Long but mostly waiting (on erl, etcd, sshd, the lock-out's delays): started early they overlap the busy
  // files instead of being the run's tail with one core idle.
  'interop',
  'registry-etcd',
  'attacks',
  'registry-local',
  'processes',
  'test/integration/worker.test.ts',
  'fuzz',
  'test/browser/browser.test.ts',
  'test/integration/cli.test.ts',
];
const ALL_FILES = TEST_DIRS.flatMap((d) =>
  readdirSync(path.join(repo, d))
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => `${d}/${f}`),
);
rmSync(CACHE_ENTRIES, { recursive: true, force: true });
mkdirSync(CACHE_ENTRIES, { recursive: true });
const entry = (rank, label, files) => {
  const file = path.join(CACHE_ENTRIES, `${String(rank).padStart(2, '0')}-${label.replaceAll('/', '-')}.mjs`);
  writeFileSync(file, files.map((f) => `import ${JSON.stringify(pathToFileURL(path.join(repo, f)).href)};\n`).join(''));
  return file;
};
const inGroup = (f) => Object.values(GROUPS).some((member) => member(f));
const TEST_FILES = [
  ...FIRST.map((label, i) => entry(i, label, label in GROUPS ? ALL_FILES.filter(GROUPS[label]) : [label])),
  ...Object.keys(GROUPS)
    .filter((g) => !FIRST.includes(g))
    .map((g, i) => entry(FIRST.length + i, g, ALL_FILES.filter(GROUPS[g]))),
  ...ALL_FILES.filter((f) => !inGroup(f) && !FIRST.includes(f)),
];

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
mkdirSync(STAMPS, { recursive: true });
const checks = CHECKS.map(async ({ name, args, inputs, every }) => {
  const stamp = path.join(STAMPS, name.replace(/[^a-z]+/g, '-'));
  const key = inputs && inputsHash(args, inputs, every);
  let last = '';
  try {
    last = readFileSync(stamp, 'utf8');
  } catch {
    // No stamp: the check has not passed on any inputs yet.
  }
  if (key && key === last) {
    process.stdout.write(`# check ${name}: ok (passed before on these same inputs)\n`);
    return;
  }
  rmSync(stamp, { force: true });
  const r = await run(args);
  process.stdout.write(`# check ${name}: ${r.code === 0 ? 'ok' : `FAILED (exit ${r.code})`}\n`);
  if (r.code === 0 && key) writeFileSync(stamp, key);
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
    './scripts/ts-loader/register.mjs',
    '--conditions=lib-chan-src',
    '--test',
    '--test-concurrency=4',
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
// The runner's "skipped" counts skipped tests only: a describe() skipped for a missing engine (erl, etcd, sshd,
// Chromium) hides every test in it from the counts. Name each skip, suite or test, so none passes unseen.
const skips = [...t.out.matchAll(/^ *ok \d+ - (.*?) # SKIP ?(.*)$/gm)];
if (skips.length > 0) {
  process.stdout.write(`# skipped, suites and tests: ${skips.length}\n`);
  for (const [, name, why] of skips) process.stdout.write(`#   ${name.slice(0, 100)}: ${why.slice(0, 120)}\n`);
}
process.exitCode = failed.length > 0 ? 1 : 0;
