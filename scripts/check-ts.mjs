// One of `npm test`'s static checks: the whole project's type check and ESLint in one process, on one
// TypeScript program. ESLint's type-aware rules on src/ need a program of their own otherwise, and making
// it (reading, parsing and binding src/ with @types/node and the libs) cost the suite about 8 CPU-s more
// than sharing the typecheck's: on this CPU-bound suite, that is 4 s of wall time.
//
// The type check stays incremental (its state in node_modules/.cache, as `tsc --incremental` would keep
// it): a second run rechecks only what changed. ESLint is incremental too, exactly (see lintPlan): after a
// run that linted clean, the next lints only the files whose verdict can have changed.
//
// Usage: node scripts/check-ts.mjs BUILDINFO_FILE LINT_PATH...
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { ESLint } from 'eslint';

const repo = fileURLToPath(new URL('../', import.meta.url));
const [buildInfo, ...lintPaths] = process.argv.slice(2);
if (!buildInfo || lintPaths.length === 0) {
  console.error('usage: node scripts/check-ts.mjs BUILDINFO_FILE LINT_PATH...');
  process.exit(2);
}

const host = {
  getCanonicalFileName: (f) => f,
  getCurrentDirectory: () => repo,
  getNewLine: () => '\n',
};
const configFile = path.join(repo, 'tsconfig.json');
const parsed = ts.getParsedCommandLineOfConfigFile(
  configFile,
  { incremental: true, tsBuildInfoFile: path.resolve(buildInfo) },
  {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      console.error(ts.formatDiagnostics([d], host));
      process.exit(1);
    },
  },
);
const builder = ts.createIncrementalProgram({
  rootNames: parsed.fileNames,
  options: parsed.options,
  configFileParsingDiagnostics: parsed.errors,
  projectReferences: parsed.projectReferences,
});
const diagnostics = [
  ...builder.getConfigFileParsingDiagnostics(),
  ...builder.getOptionsDiagnostics(),
  ...builder.getGlobalDiagnostics(),
  ...builder.getSyntacticDiagnostics(),
  ...builder.getSemanticDiagnostics(),
];
// With noEmit this writes only the incremental state.
builder.emit();
let failed = false;
if (diagnostics.length > 0) {
  console.log(ts.formatDiagnostics(diagnostics, host));
  console.log(`typecheck: ${diagnostics.length} error(s)`);
  failed = true;
}

// eslint.config.js gives src/ its type-aware rules with `project`; `programs` takes precedence over it.
const eslint = new ESLint({
  cwd: repo,
  overrideConfig: { files: ['src/**/*.ts'], languageOptions: { parserOptions: { programs: [builder.getProgram()] } } },
});
const plan = await lintPlan(eslint, lintPaths);
const results = plan.lint.length > 0 ? await eslint.lintFiles(plan.lint) : [];
const formatter = await eslint.loadFormatter('stylish');
const text = await formatter.format(results);
if (text) console.log(text);
if (results.some((r) => r.errorCount > 0)) failed = true;
else plan.passed();
process.exitCode = failed ? 1 : 0;

/**
 * Which files ESLint must lint, from the state the last clean lint left (the content hash of every file under
 * the lint paths, and a key of what every verdict depends on besides them: Node, the ESLint config, the lock
 * file, the tsconfigs, this script). With no state, or another key: every file. Otherwise the files that changed,
 * and, for src/ (whose rules are type-aware, so a verdict also depends on the types of what a file imports),
 * every file that imports a changed file, directly or not; a changed declaration file or a global or module
 * declaration can change any file's types, so then all of src/. Tests, scripts and examples are linted without
 * types: their verdict is their own content's. The state is removed before linting and written only after a
 * clean lint, so a failure, or a run stopped half way, makes the next run lint everything.
 */
async function lintPlan(eslint, roots) {
  const stateFile = path.join(path.dirname(path.resolve(buildInfo)), 'eslint-state.json');
  const key = createHash('sha256').update(process.version);
  for (const f of ['eslint.config.js', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/check-ts.mjs']) {
    key.update(`\0${f}\0`);
    try {
      key.update(readFileSync(path.join(repo, f)));
    } catch {
      key.update('missing');
    }
  }
  const stateKey = key.digest('hex');
  const hashes = {};
  const texts = new Map();
  const walk = (rel) => {
    for (const e of readdirSync(path.join(repo, rel), { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
      const r = path.posix.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else if (e.isFile() && /\.(?:[cm]?[jt]s|json)$/.test(e.name)) {
        const text = readFileSync(path.join(repo, r));
        hashes[r] = createHash('sha256').update(text).digest('hex');
        if (r.startsWith('src/')) texts.set(r, text.toString('utf8'));
      }
    }
  };
  for (const root of roots) walk(root);
  const lintable = [];
  for (const f of Object.keys(hashes)) if (/\.(?:[cm]?js|ts)$/.test(f) && !(await eslint.isPathIgnored(path.join(repo, f)))) lintable.push(f);
  let last;
  try {
    last = JSON.parse(readFileSync(stateFile, 'utf8'));
  } catch {
    last = undefined;
  }
  rmSync(stateFile, { force: true });
  const passed = () => writeFileSync(stateFile, JSON.stringify({ key: stateKey, hashes }));
  if (!last || last.key !== stateKey) return { lint: lintable, passed };
  const changed = new Set([...Object.keys(hashes), ...Object.keys(last.hashes)].filter((f) => hashes[f] !== last.hashes[f]));
  // Any file of the one program counts here, a test's `declare global` included: src/ is linted on its types. A
  // deleted file can no longer be read, so it counts as one that declared.
  const declares = (f) =>
    /\.[cm]?ts$/.test(f) && (hashes[f] === undefined || /\bdeclare\s+(?:global|module)\b/.test(texts.get(f) ?? readFileSync(path.join(repo, f), 'utf8')));
  const everySrc = [...changed].some((f) => f.endsWith('.d.ts') || declares(f));
  // Who imports whom in src/: relative specifiers of import, export ... from and import(), resolved to files.
  const importers = new Map();
  for (const [f, text] of texts) {
    for (const m of text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const dep = path.posix.normalize(path.posix.join(path.posix.dirname(f), m[1]));
      const deps = [dep, dep.replace(/\.js$/, '.ts'), dep.replace(/\.js$/, '.d.ts')];
      for (const d of deps) {
        if (!importers.has(d)) importers.set(d, new Set());
        importers.get(d).add(f);
      }
    }
  }
  const affected = new Set(changed);
  const queue = [...changed];
  while (queue.length > 0) {
    for (const f of importers.get(queue.pop()) ?? []) {
      if (!affected.has(f)) {
        affected.add(f);
        queue.push(f);
      }
    }
  }
  return { lint: lintable.filter((f) => affected.has(f) || (everySrc && f.startsWith('src/'))), passed };
}
