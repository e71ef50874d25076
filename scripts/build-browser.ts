/**
 * `npm run build`: bundle src/browser.ts into one ES module,
 * dist/lib_chan.browser.js, with esbuild for the browser platform. The build
 * fails when a Node built-in (`node:*`, or a bare name like `crypto` that a
 * package's "browser" field does not switch off) or a Node global (`Buffer`,
 * `process`, `setImmediate`, `__dirname`, ...) reaches the bundle.
 *
 *   node --import tsx scripts/build-browser.ts [--outfile FILE] [--minify]
 */
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

export const REPO = fileURLToPath(new URL('../', import.meta.url));
export const DEFAULT_OUTFILE = path.join(REPO, 'dist/lib_chan.browser.js');

/** Free identifiers only Node has; esbuild `define`s them to a marker the check below looks for. */
const NODE_GLOBALS = ['Buffer', 'process', 'setImmediate', 'clearImmediate', '__dirname', '__filename', 'global'];
const MARKER = '__LIB_CHAN_NODE_GLOBAL__';
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Refuses `node:*` imports at once, naming the importer (esbuild's own message suggests bundling for Node). */
const noNodeBuiltins: esbuild.Plugin = {
  name: 'no-node-builtins',
  setup(build) {
    build.onResolve({ filter: /^node:/ }, (args) => ({
      errors: [
        {
          text: `"${args.path}" is a Node built-in, imported by ${path.relative(REPO, args.importer)}; the browser bundle must not use it (keep Node code in *-node.ts or node.ts files)`,
        },
      ],
    }));
  },
};

export interface BuildResult {
  outfile: string;
  bytes: number;
  inputs: string[];
}

export async function buildBrowser(opts: { outfile?: string; minify?: boolean; entry?: string } = {}): Promise<BuildResult> {
  const outfile = opts.outfile ?? DEFAULT_OUTFILE;
  const result = await esbuild.build({
    entryPoints: [opts.entry ?? path.join(REPO, 'src/browser.ts')],
    outfile,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: opts.minify ?? false,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'silent',
    define: Object.fromEntries(NODE_GLOBALS.map((g) => [g, `${MARKER}${g}`])),
    plugins: [noNodeBuiltins],
  });
  const problems: string[] = [];
  const inputs = Object.keys(result.metafile.inputs);
  // A bare built-in a package's "browser" field maps to false shows up as "(disabled):..."; that one is fine.
  for (const input of inputs) {
    if (BUILTINS.has(input)) problems.push(`the Node built-in "${input}" is in the bundle`);
  }
  for (const [out, meta] of Object.entries(result.metafile.outputs)) {
    for (const imp of meta.imports) {
      if (imp.external || BUILTINS.has(imp.path)) problems.push(`${out} imports "${imp.path}" at run time`);
    }
  }
  const text = readFileSync(outfile, 'utf8');
  for (const g of NODE_GLOBALS) {
    if (text.includes(`${MARKER}${g}`))
      problems.push(`the Node global "${g}" is used in the bundle (search ${path.relative(REPO, outfile)} for ${MARKER}${g})`);
  }
  if (problems.length > 0) throw new Error(`browser build refused:\n  ${problems.join('\n  ')}`);
  return { outfile, bytes: Buffer.byteLength(text), inputs };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--outfile');
  try {
    const r = await buildBrowser({ outfile: i > 0 ? path.resolve(process.argv[i + 1]) : undefined, minify: process.argv.includes('--minify') });
    process.stdout.write(`built ${path.relative(process.cwd(), r.outfile)} (${Math.round(r.bytes / 1024)} KiB, ${r.inputs.length} inputs)\n`);
  } catch (e) {
    const err = e as Error & { errors?: esbuild.Message[] };
    if (err.errors?.length) {
      process.stderr.write(
        `browser build failed:\n${err.errors.map((m) => `  ${m.location ? `${m.location.file}:${m.location.line}: ` : ''}${m.text}`).join('\n')}\n`,
      );
    } else {
      process.stderr.write(`${err.message}\n`);
    }
    process.exitCode = 1;
  }
}
