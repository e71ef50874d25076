/**
 * The layer rule, checked by `npm test` (npm run lint:deps):
 *   cli -> server / client -> chan -> transport / auth -> wire
 * with conf beside server (the conf is the server's input), registry beside
 * transport (how peers are found), errors.ts and limits.ts under everything,
 * the entry files (index, server-api, terms, browser) on top, and no cycles.
 */
const layer = (name, allowed) => ({
  name: `layer-${name}`,
  comment: `src/${name} may import only ${allowed.join(', ')}`,
  severity: 'error',
  from: { path: `^src/${name}/` },
  to: { path: '^src/', pathNot: [`^src/(${[name, ...allowed].join('|')})/`, '^src/(errors|limits)\\.ts$'] },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'import cycles make load order matter and layers meaningless',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'entries-on-top',
      severity: 'error',
      comment: 'only entry files import entry files',
      from: { path: '^src/[^/]+/' },
      to: { path: '^src/(index|server-api|terms|browser)\\.ts$' },
    },
    {
      name: 'base-imports-nothing',
      severity: 'error',
      comment: 'errors.ts and limits.ts are the bottom',
      from: { path: '^src/(errors|limits)\\.ts$' },
      to: { path: '^src/', pathNot: '^src/(errors|limits)\\.ts$' },
    },
    {
      name: 'cli-loads-the-server-lazily',
      severity: 'error',
      comment: 'the CLI imports the server and the client when the command that needs them runs (import()), so --help, call and names start without them',
      from: { path: '^src/cli/' },
      to: { path: '^src/(server|client)/(server|node|services|log)\\.ts$', dependencyTypesNot: ['dynamic-import'] },
    },
    layer('wire', []),
    layer('auth', ['wire']),
    layer('transport', ['wire']),
    layer('registry', ['transport', 'auth', 'wire']),
    layer('chan', ['transport', 'auth', 'wire']),
    layer('conf', ['transport', 'auth', 'wire']),
    layer('client', ['chan', 'transport', 'auth', 'registry', 'wire']),
    layer('server', ['conf', 'chan', 'transport', 'auth', 'registry', 'wire']),
    layer('cli', ['server', 'client', 'conf', 'chan', 'transport', 'auth', 'registry', 'wire']),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js'] },
  },
};
