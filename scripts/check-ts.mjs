// One of `npm test`'s static checks: the whole project's type check and ESLint in one process, on one
// TypeScript program. ESLint's type-aware rules on src/ need a program of their own otherwise, and making
// it (reading, parsing and binding src/ with @types/node and the libs) cost the suite about 8 CPU-s more
// than sharing the typecheck's: on this CPU-bound suite, that is 4 s of wall time.
//
// The type check stays incremental (its state in node_modules/.cache, as `tsc --incremental` would keep
// it): a second run rechecks only what changed. ESLint gets no cache, since a type-aware verdict can change
// when an imported file does.
//
// Usage: node scripts/check-ts.mjs BUILDINFO_FILE LINT_PATH...
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
const results = await eslint.lintFiles(lintPaths);
const formatter = await eslint.loadFormatter('stylish');
const text = await formatter.format(results);
if (text) console.log(text);
if (results.some((r) => r.errorCount > 0)) failed = true;
process.exitCode = failed ? 1 : 0;
