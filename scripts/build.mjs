// `npm run build` (also run by `npm ci` through "prepare", and by `npm pack`):
// compile src/ with tsc into lib/ (ESM JavaScript, .d.ts, source maps), copy
// the one plain-JavaScript module tsc does not emit, and bundle the browser
// client into dist/. Plain JavaScript, so it runs before anything is built.
import { execFileSync } from 'node:child_process';
import { copyFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../', import.meta.url));
const run = (args) => execFileSync(process.execPath, args, { cwd: repo, stdio: 'inherit' });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync(path.join(repo, 'lib'), { recursive: true, force: true });
// --noCheck: emit only. The type check of src/ (with the tests) is `npm test`'s typecheck; checking
// here too cost `npm test` a second full check of src/ (about 6 s of CPU). The .d.ts are the same.
run([tsc, '-p', 'tsconfig.build.json', ...(process.argv.includes('--check') ? [] : ['--noCheck'])]);
copyFileSync(path.join(repo, 'src/server/worker-boot.mjs'), path.join(repo, 'lib/server/worker-boot.mjs'));
run(['--import', 'tsx', 'scripts/build-browser.ts']);
