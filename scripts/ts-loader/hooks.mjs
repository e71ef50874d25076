// Load hook of the tests' TypeScript loader (see register.mjs). Only file: URLs ending in .ts are
// touched; resolution stays Node's own. Output is kept in node_modules/.cache keyed by the file's path,
// its text and the transform options, so a second run (or a second process) transforms nothing.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const CACHE = fileURLToPath(new URL('../../node_modules/.cache/lib-chan-test/ts/', import.meta.url));
const OPTIONS = { loader: 'ts', format: 'esm', target: 'node20', sourcemap: 'inline' };
let esbuild;
let version;

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const file = fileURLToPath(url);
  const text = await readFile(file, 'utf8');
  version ??= JSON.parse(await readFile(new URL('../../node_modules/esbuild/package.json', import.meta.url), 'utf8')).version;
  const key = createHash('sha256')
    .update(`${version}\0${JSON.stringify(OPTIONS)}\0${file}\0`)
    .update(text)
    .digest('hex');
  const cached = `${CACHE}${key}.js`;
  let source;
  try {
    source = await readFile(cached, 'utf8');
  } catch {
    esbuild ??= await import('esbuild');
    source = (await esbuild.transform(text, { ...OPTIONS, sourcefile: file })).code;
    await mkdir(CACHE, { recursive: true });
    // Written whole, then renamed: a process reading it meanwhile sees all of it or none.
    const tmp = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    await writeFile(tmp, source);
    await rename(tmp, cached);
  }
  return { format: 'module', source, shortCircuit: true };
}
