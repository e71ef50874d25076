// `npm run build` (also run by `npm ci` through "prepare", and by `npm pack`):
// compile src/ with tsc into lib/ (ESM JavaScript, .d.ts, source maps), copy
// the plain-JavaScript modules tsc does not emit, and bundle the browser
// client into dist/. Plain JavaScript, so it runs before anything is built.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../', import.meta.url));
const run = (args) => execFileSync(process.execPath, args, { cwd: repo, stdio: 'inherit' });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

// --if-stale (npm test): nothing to do when the last build is newer than everything it was built from. In CI
// `npm ci` has just built (its prepare step) and `npm test` would build the same files again.
// Also read by test/helpers/cli-process.ts (whether child gateways may run the compiled CLI).
const STAMP = path.join(repo, 'node_modules', '.cache', 'lib-chan-build', 'stamp');
const INPUTS = ['src', 'scripts/build.mjs', 'scripts/build-browser.ts', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];
const newest = (p) => {
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(p).map((n) => newest(path.join(p, n))));
};
if (
  process.argv.includes('--if-stale') &&
  existsSync(STAMP) &&
  existsSync(path.join(repo, 'lib/index.js')) &&
  existsSync(path.join(repo, 'dist/lib_chan.browser.js'))
) {
  const built = statSync(STAMP).mtimeMs;
  if (INPUTS.every((p) => newest(path.join(repo, p)) < built)) {
    console.log('build: lib/ and dist/ are newer than their sources; not rebuilt');
    process.exit(0);
  }
}
rmSync(STAMP, { force: true });
const startedAt = new Date();

rmSync(path.join(repo, 'lib'), { recursive: true, force: true });
// --noCheck: emit only. The type check of src/ (with the tests) is `npm test`'s typecheck; checking
// here too cost `npm test` a second full check of src/ (about 6 s of CPU). The .d.ts are the same.
run([tsc, '-p', 'tsconfig.build.json', ...(process.argv.includes('--check') ? [] : ['--noCheck'])]);
// Plain JavaScript tsc does not emit: the worker's boot file, and the conf's validators as ajv generated them.
for (const file of ['server/worker-boot.mjs', 'conf/conf-validators.js', 'conf/conf-validators.d.ts']) {
  copyFileSync(path.join(repo, 'src', file), path.join(repo, 'lib', file));
}
run(['--import', 'tsx', 'scripts/build-browser.ts']);
// The stamp carries the time the build started: a source saved during the build is newer, so the next run builds.
mkdirSync(path.dirname(STAMP), { recursive: true });
writeFileSync(STAMP, '');
utimesSync(STAMP, startedAt, startedAt);
