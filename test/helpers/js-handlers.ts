/**
 * The handler fixtures (test/fixtures/handlers/*.ts) as JavaScript, for the
 * gateways the tests start as child processes: a child that serves them needs
 * no TypeScript loader (about 0.25 s of CPU a child, and the suite starts
 * dozens). Transformed with esbuild, as the tests' loader does, into a folder
 * named by the hash of the sources (so concurrent test processes agree, and
 * an edited fixture gets a new folder), with `node_modules/lib-chan` linking
 * back to this package so that their `import 'lib-chan'` is this package's.
 * What is tested through them is the gateway; serving a TypeScript module is
 * tested with the examples (`npm start`, the CLI tests) and the package test.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { transformSync } from 'esbuild';
import { HANDLERS, REPO } from './start-server.ts';

let dir: string | undefined;

/** The folder of the compiled fixtures (made on first use): the `module_path` of a child gateway. */
export function jsHandlers(): string {
  if (dir !== undefined) return dir;
  const sources = readdirSync(HANDLERS)
    .filter((f) => f.endsWith('.ts'))
    .sort();
  // The folder links back to this checkout: a copy of node_modules in another checkout must not reuse it.
  const hash = createHash('sha256').update(`${REPO}\0`);
  for (const f of sources) hash.update(`${f}\0`).update(readFileSync(path.join(HANDLERS, f)));
  const out = path.join(REPO, 'node_modules', '.cache', 'lib-chan-test', `handlers-${hash.digest('hex').slice(0, 16)}`);
  if (!existsSync(out)) {
    // Built whole beside it, then renamed: another process sees all of it or none. If one renamed first, its copy is the same.
    const tmp = `${out}.${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(path.join(tmp, 'node_modules'), { recursive: true });
    symlinkSync(REPO, path.join(tmp, 'node_modules', 'lib-chan'), 'dir');
    for (const f of sources) {
      const file = path.join(HANDLERS, f);
      const { code } = transformSync(readFileSync(file, 'utf8'), { loader: 'ts', format: 'esm', target: 'node20', sourcefile: file });
      writeFileSync(path.join(tmp, f.replace(/\.ts$/, '.mjs')), code);
    }
    try {
      renameSync(tmp, out);
    } catch {
      rmSync(tmp, { recursive: true, force: true });
      if (!existsSync(out)) throw new Error(`could not create ${out}`);
    }
  }
  dir = out;
  return out;
}
