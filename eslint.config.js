// ESLint (flat config) with typescript-eslint's type-aware rules where they catch real bugs in
// network code: floating promises, misused promises in callbacks, unsafe `any` flowing around.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // conf-validators.js is ajv's generated code (npm run gen), checked against its schemas by a unit test.
  { ignores: ['lib/', 'dist/', 'node_modules/', 'coverage/', 'test/fixtures/browser-build/', 'src/conf/conf-validators.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    // The program of the shipped code only (src/), not the whole project's: see the block for tests below.
    // `npm test` lints through scripts/check-ts.mjs, which hands ESLint its type check's program instead.
    languageOptions: { parserOptions: { project: ['./tsconfig.build.json'], tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // Type-aware rules guard the shipped code. Tests, scripts and examples are linted without type
    // information: building a second TypeScript program for them doubled the lint's time (about 10 s
    // of CPU), and the typecheck already covers them. (node:test's describe/test return promises the
    // runner itself awaits, so no-floating-promises would not apply there anyway.)
    files: ['test/**/*.ts', 'scripts/**/*.ts', 'examples/**/*.ts'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        globalThis: 'readonly',
        module: 'writable',
        require: 'readonly',
        document: 'readonly',
        location: 'readonly',
        fetch: 'readonly',
        WebSocket: 'readonly',
        URLSearchParams: 'readonly',
      },
    },
  },
);
