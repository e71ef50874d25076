/**
 * The package as a user gets it: `npm pack`, then the tarball installed into
 * a new project (offline, from the npm cache `npm ci` filled: the project's
 * lock is made from ours, so no registry is asked for anything; or the tree
 * an earlier run's `npm ci` made from the same tarball, see installApp), with
 * no tsx in it. Then, from that project only:
 * - `npx lib-chan --version` and a server started from the installed CLI;
 * - the name-server session by a plain .mjs program importing `lib-chan`;
 * - a CommonJS .js handler in a folder with no package.json serves a call;
 * - a TypeScript handler without tsx fails with an error that says so;
 * - tsc type-checks a consumer against the installed types (nodenext and
 *   bundler resolution), and every README code block importing lib-chan;
 * - esbuild bundles a browser consumer of lib-chan/browser;
 * - the client runs with pino, ajv, prom-client and sodium-native removed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { REPO } from '../helpers/start-server.ts';
import { waitUntil } from '../helpers/latch.ts';

const run = promisify(execFile);
const ESBUILD = path.join(REPO, 'node_modules/esbuild/bin/esbuild');
const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { name: string; version: string };

let tmp: string;
let app: string;
let server: ChildProcess | undefined;
let port = 0;
const serverOut: string[] = [];

/** A lock for the new project: our own entries for every package lib-chan needs at run time (and @types/node), plus the tarball. */
function appLock(tarball: string): object {
  const ours = JSON.parse(readFileSync(path.join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown>> };
  const root = ours.packages[''] as {
    dependencies: Record<string, string>;
    optionalDependencies: Record<string, string>;
    peerDependencies: Record<string, string>;
    peerDependenciesMeta: object;
  };
  const packages: Record<string, unknown> = {};
  // Every package the production tree needs (entries not marked dev: nested ones too), and @types/node with its one dependency.
  for (const [key, entry] of Object.entries(ours.packages)) {
    if (key === '' || !key.startsWith('node_modules/')) continue;
    if (entry.dev === true && key !== 'node_modules/@types/node' && key !== 'node_modules/undici-types') continue;
    const copy = { ...entry };
    delete copy.dev;
    delete copy.devOptional;
    // Our lock leaves `resolved` out; with it (and the integrity), npm takes each tarball from its cache by content
    // and asks for no package metadata, which an offline cache may not hold in the form `npm ci` wants.
    if (copy.resolved === undefined && typeof copy.version === 'string') {
      const name = key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
      copy.resolved = `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${copy.version}.tgz`;
    }
    packages[key] = copy;
  }
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  packages['node_modules/lib-chan'] = {
    version: pkg.version,
    resolved: `file:${path.basename(tarball)}`,
    integrity,
    dependencies: root.dependencies,
    optionalDependencies: root.optionalDependencies,
    peerDependencies: root.peerDependencies,
    peerDependenciesMeta: root.peerDependenciesMeta,
    bin: { 'lib-chan': 'bin/lib-chan.js', lib_chan: 'bin/lib-chan.js' },
    engines: { node: '>=20' },
  };
  packages[''] = {
    name: 'app',
    version: '1.0.0',
    dependencies: { 'lib-chan': `file:${path.basename(tarball)}`, '@types/node': (ours.packages['node_modules/@types/node'] as { version: string }).version },
  };
  return { name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}

const NAME_SERVER_MJS = `// The book's name server in plain JavaScript, importing the installed package.
import { atom, formatTerm, isTuple, tuple } from 'lib-chan';
const store = new Map();
export async function start_me_up(mm) {
  for await (const req of mm.requests()) {
    const m = req.term;
    if (isTuple(m, 3, 'store')) store.set(formatTerm(m.at(1)), m.at(2));
    else if (isTuple(m, 2, 'lookup')) {
      const k = formatTerm(m.at(1));
      req.reply(store.has(k) ? tuple(atom('ok'), store.get(k)) : undefined);
    }
  }
}
`;

// CommonJS, in a folder with no package.json above it: Node loads it as CommonJS.
const ECHO_CJS = `'use strict';
exports.start = async function start(mm) {
  for await (const req of mm.requests()) if (req.isCall) req.reply(['echo', req.term]);
};
`;

const CLIENT_MJS = readFileSync(path.join(REPO, 'examples/client.mjs'), 'utf8');

const CONSUMER_TS = `import { connect, ChanError, atom, tuple, isTuple, formatTerm, parseTerm, type Channel, type Term, type MiddleMan, type Request } from 'lib-chan';
import { startServer, type StartOptions, type ServerConfig } from 'lib-chan/server';
import { decodeTerm, encodeTerm } from 'lib-chan/terms';

export async function session(port: number): Promise<string> {
  const ch: Channel = await connect('127.0.0.1', port, 'nameServer', 'ABXy45');
  const reply: Term = await ch.rpc(tuple(atom('lookup'), atom('joe')), { timeoutMs: 1000 });
  ch.close();
  return formatTerm(decodeTerm(encodeTerm(reply)));
}
export function handler(mm: MiddleMan): void {
  mm.onMessage((msg: Term, req: Request) => (isTuple(msg, 2, 'ping') && req.isCall ? parseTerm('pong') : undefined));
}
export const options: StartOptions = { conf: 'lib_chan.conf', port: 0 };
export const isErr = (e: unknown): boolean => e instanceof ChanError && e.code === 'authFail';
export type Conf = ServerConfig;
void startServer;
`;

const BROWSER_CONSUMER = `import { connect, atom, tuple, formatTerm } from 'lib-chan/browser';
const ch = await connect('ws://127.0.0.1:1/chan', 'nameServer', 'ABXy45', [], { serverKey: 'lcsk1:x' });
console.log(formatTerm(await ch.rpc(tuple(atom('lookup'), atom('joe')))));
`;

function tsconfig(resolution: 'nodenext' | 'bundler', files: string[]): object {
  return {
    compilerOptions: {
      target: 'ES2022',
      module: resolution === 'bundler' ? 'ESNext' : 'NodeNext',
      moduleResolution: resolution,
      strict: true,
      noEmit: true,
      // Our .d.ts are checked in full in the nodenext run (typecheck() asks for them by name); the bundler run
      // is about resolution through the exports map.
      skipLibCheck: resolution === 'bundler',
      types: ['node'],
      lib: ['ES2022'],
    },
    files,
  };
}

/** The README's code blocks that import from lib-chan, each a .ts file of the app. */
function readmeSnippets(): string[] {
  const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```(?:ts|js|typescript|javascript)\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.filter((b) => /from 'lib-chan(\/[a-z]+)?'/.test(b));
}

/** Parsed once for both programs (the same file under both resolutions is the same text). */
const parsed = new Map<string, ts.SourceFile>();

/**
 * `tsc -p project` in this process, with one difference: of the declaration files it reports only ours (the
 * installed package's) and not those of @types/node and the other packages, which checking took two thirds
 * of the run (~4 CPU-s), while every file is still parsed and the consumer checked against all of them.
 */
function typecheck(project: string): void {
  const config = ts.getParsedCommandLineOfConfigFile(path.join(app, project), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')),
  })!;
  const host = ts.createCompilerHost(config.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) => {
    const key = `${fileName}\0${JSON.stringify(languageVersion)}`;
    let sf = parsed.get(key);
    if (sf === undefined) {
      sf = getSourceFile(fileName, languageVersion, ...rest);
      if (sf !== undefined) parsed.set(key, sf);
    }
    return sf;
  };
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, host });
  const ours = program.getSourceFiles().filter((sf) => !sf.fileName.includes('/node_modules/') || sf.fileName.includes('/node_modules/lib-chan/'));
  assert.ok(
    ours.some((sf) => sf.fileName.endsWith('/node_modules/lib-chan/lib/index.d.ts')),
    `the program holds the installed lib-chan/lib/index.d.ts (files: ${ours.map((sf) => sf.fileName).join(', ')})`,
  );
  const diagnostics = [
    ...config.errors,
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...program.getSyntacticDiagnostics(),
    ...ours.flatMap((sf) => program.getSemanticDiagnostics(sf)),
  ];
  if (diagnostics.length > 0) assert.fail(`tsc -p ${project} failed:\n${ts.formatDiagnostics(diagnostics, host)}`);
}

/**
 * `npm ci` in the new project, or the tree an earlier `npm ci` made from this same tarball, lock, npm and Node:
 * `npm ci` is about 5 s of CPU, a third of this file's, on a machine where the suite is CPU-bound, and its
 * result is determined by those inputs (npm pack writes fixed mtimes, so an unchanged build packs to the same
 * bytes). The tree is kept in node_modules/.cache (gone with a fresh clone, so CI always runs npm ci) and
 * hard-linked into the project: the tests remove packages from it, never write into its files.
 */
async function installApp(tarball: string): Promise<void> {
  // Under `npm test` npm names itself (npm/10.8.2 node/v20...); run directly, it is asked.
  const npmVersion = /\bnpm\/(\S+)/.exec(process.env.npm_config_user_agent ?? '')?.[1] ?? (await run('npm', ['--version'])).stdout.trim();
  const key = createHash('sha256')
    .update(`${process.version}\0${npmVersion}\0`)
    .update(readFileSync(path.join(app, 'package.json')))
    .update(readFileSync(path.join(app, 'package-lock.json')))
    .update(readFileSync(tarball))
    .digest('hex')
    .slice(0, 16);
  const kept = path.join(REPO, 'node_modules', '.cache', 'lib-chan-test', `package-install-${key}`);
  if (!existsSync(path.join(kept, 'node_modules', 'lib-chan', 'package.json'))) {
    await run('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], {
      cwd: app,
      env: { ...process.env, npm_config_update_notifier: 'false' },
    });
    // Copied whole beside it, then renamed: a concurrent run sees all of it or none.
    const tmpKept = `${kept}.${process.pid}`;
    rmSync(tmpKept, { recursive: true, force: true });
    mkdirSync(tmpKept, { recursive: true });
    await run('cp', ['-a', path.join(app, 'node_modules'), tmpKept]);
    try {
      renameSync(tmpKept, kept);
    } catch {
      rmSync(tmpKept, { recursive: true, force: true });
    }
    // Only the newest tree is kept: each build that changes the tarball would otherwise leave one behind.
    const cache = path.dirname(kept);
    for (const d of readdirSync(cache)) {
      if (/^package-install-[0-9a-f]{16}$/.test(d) && path.join(cache, d) !== kept) rmSync(path.join(cache, d), { recursive: true, force: true });
    }
    return;
  }
  try {
    await run('cp', ['-al', path.join(kept, 'node_modules'), app]);
  } catch {
    // Another file system (a tmpfs /tmp): copies instead of links.
    rmSync(path.join(app, 'node_modules'), { recursive: true, force: true });
    await run('cp', ['-a', path.join(kept, 'node_modules'), app]);
  }
}

describe('the npm package, installed into a new project', { timeout: 120_000 }, () => {
  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'lib-chan-pkg-'));
    app = path.join(tmp, 'app');
    mkdirSync(app);
    if (!existsSync(path.join(REPO, 'lib/index.js')) || !existsSync(path.join(REPO, 'dist/lib_chan.browser.js'))) {
      await run('npm', ['run', 'build'], { cwd: REPO });
    }
    // npm test has just built lib/ and dist/; --ignore-scripts skips building them again.
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: REPO, maxBuffer: 16 << 20 });
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    (globalThis as Record<string, unknown>).__packedFiles = packed.files.map((f) => f.path);
    const tarball = path.join(tmp, packed.filename);
    const lock = appLock(tarball) as { packages: Record<string, { dependencies?: Record<string, string> }> };
    const dependencies = { ...lock.packages[''].dependencies, 'lib-chan': `file:../${packed.filename}` };
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', dependencies }, null, 2));
    // The lock's file: path is relative to the app.
    writeFileSync(path.join(app, 'package-lock.json'), JSON.stringify(lock, null, 2).replaceAll(`"file:${packed.filename}"`, `"file:../${packed.filename}"`));
    await installApp(tarball);

    mkdirSync(path.join(app, 'handlers'));
    writeFileSync(path.join(app, 'handlers/mod_name_server.mjs'), NAME_SERVER_MJS);
    mkdirSync(path.join(tmp, 'outside'));
    writeFileSync(path.join(tmp, 'outside/echo.js'), ECHO_CJS);
    writeFileSync(
      path.join(app, 'lib_chan.conf'),
      [
        '{port, 0}.',
        '{module_path, ["handlers", "../outside"]}.',
        '{identity, "server.key"}.',
        '{service, nameServer, password, "ABXy45", mfa, mod_name_server, start_me_up, notUsed}.',
        '{service, echo, password, none, mfa, echo, start, notUsed}.',
        '',
      ].join('\n'),
    );
    server = spawn(path.join(app, 'node_modules/.bin/lib-chan'), ['start', '--conf', 'lib_chan.conf', '--json'], {
      cwd: app,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // after() is not reached when the file's process ends early; the server must not outlive it (one was
    // found running, orphaned, after a suite run).
    const started = server;
    process.once('exit', () => started.kill('SIGKILL'));
    const waiters = new Set<() => void>();
    const wake = (): void => waiters.forEach((w) => w());
    let partial = '';
    let stderr = '';
    let exited = false;
    server.stdout!.setEncoding('utf8').on('data', (c: string) => {
      const parts = (partial + c).split('\n');
      partial = parts.pop() ?? '';
      serverOut.push(...parts);
      wake();
    });
    server.stderr!.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
      wake();
    });
    server.once('exit', () => {
      exited = true;
      wake();
    });
    await waitUntil(waiters, () => serverOut.find((l) => l.includes('"configLoaded"')), {
      what: 'the configLoaded line',
      ms: 30_000,
      exited: () => exited,
      name: 'the installed lib-chan start',
      describe: () => `${serverOut.join('\n')}\n${stderr}`,
    });
    port = (JSON.parse(serverOut.find((l) => l.includes('"configLoaded"'))!) as { port: number }).port;
  });

  after(() => {
    server?.kill('SIGKILL');
    if (tmp && !process.env.KEEP) rmSync(tmp, { recursive: true, force: true });
  });

  test('the tarball holds the build, bin, README, LICENSE and CHANGELOG, and no tests or sources', () => {
    const files = (globalThis as Record<string, unknown>).__packedFiles as string[];
    for (const f of [
      'lib/index.js',
      'lib/index.d.ts',
      'lib/server-api.js',
      'lib/terms.js',
      'lib/browser.js',
      'lib/server/worker-boot.mjs',
      'dist/lib_chan.browser.js',
      'bin/lib-chan.js',
      'README.md',
      'LICENSE',
      'CHANGELOG.md',
      'package.json',
    ]) {
      assert.ok(files.includes(f), `${f} is in the tarball`);
    }
    const stray = files.filter((f) => /^(src|test|examples|scripts|conf|docs)\//.test(f) || /\.key$|\.pem$/.test(f));
    assert.deepEqual(stray, []);
  });

  test('npx lib-chan --version works with no tsx in the project', async () => {
    assert.equal(existsSync(path.join(app, 'node_modules/tsx')), false);
    const { stdout } = await run('npx', ['--offline', 'lib-chan', '--version'], { cwd: app });
    assert.equal(stdout.trim(), `lib-chan ${pkg.version}`);
    const alias = await run(path.join(app, 'node_modules/.bin/lib_chan'), ['--version'], { cwd: app });
    assert.equal(alias.stdout.trim(), `lib-chan ${pkg.version}`);
  });

  test('a plain .mjs program runs the name-server session against the installed CLI', async () => {
    writeFileSync(path.join(app, 'client.mjs'), CLIENT_MJS);
    const { stdout } = await run(process.execPath, ['client.mjs', '127.0.0.1', String(port)], { cwd: app, env: { ...process.env, HOME: tmp } });
    assert.equal(stdout, '{ok,"writing a book"}\nundefined\n');
  });

  test('a CommonJS .js handler in a folder with no package.json serves a call', async () => {
    writeFileSync(
      path.join(app, 'echo-client.mjs'),
      `import { connect, atom, formatTerm } from 'lib-chan';
const ch = await connect('127.0.0.1', ${port}, 'echo', null);
console.log(formatTerm(await ch.rpc(atom('hello'))));
ch.close();
`,
    );
    const { stdout } = await run(process.execPath, ['echo-client.mjs'], { cwd: app, env: { ...process.env, HOME: tmp } });
    assert.equal(stdout.trim(), '["echo",hello]');
  });

  test('a TypeScript handler without tsx installed: the error says to install tsx or compile it', async () => {
    writeFileSync(path.join(app, 'handlers/typed.ts'), 'export function start(): void {}\n');
    writeFileSync(path.join(app, 'typed.conf'), '{port, 0}.\n{module_path, ["handlers"]}.\n{service, typed, password, none, mfa, typed, start, notUsed}.\n');
    const r = await run(path.join(app, 'node_modules/.bin/lib-chan'), ['check', '--conf', 'typed.conf'], { cwd: app }).then(
      () => assert.fail('check passed'),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(r.code, 3);
    assert.match(r.stderr, /typed\.conf:3:1: .*typed\.ts is TypeScript, and tsx .* is not installed: install it .*npm install tsx.* or compile the handler/);
  });

  test('a handler with a syntax error reports its own file:line', async () => {
    writeFileSync(path.join(app, 'handlers/broken.mjs'), 'export function start() {\n  return 1 +;\n}\n');
    writeFileSync(path.join(app, 'broken.conf'), '{port, 0}.\n{module_path, ["handlers"]}.\n{service, broken, password, none, mfa, broken, start, notUsed}.\n');
    const r = await run(path.join(app, 'node_modules/.bin/lib-chan'), ['check', '--conf', 'broken.conf'], { cwd: app }).then(
      () => assert.fail('check passed'),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(r.code, 3);
    assert.match(r.stderr, /broken\.mjs:2: SyntaxError: Unexpected token/);
  });

  test('tsc type-checks a TypeScript consumer and every README code block importing lib-chan against the installed types (nodenext, and bundler for the consumer)', async () => {
    writeFileSync(path.join(app, 'consumer.ts'), CONSUMER_TS);
    const snippets = readmeSnippets();
    assert.ok(snippets.length >= 3, `README has ${snippets.length} code blocks importing lib-chan`);
    mkdirSync(path.join(app, 'readme'), { recursive: true });
    const files = snippets.map((code, i) => {
      const f = `readme/snippet${i}.ts`;
      // Each block is a module of its own (top-level await, no clashes between blocks).
      writeFileSync(path.join(app, f), `${code}\nexport {};\n`);
      return f;
    });
    // One program for the consumer and the README blocks: each tsc run loads and checks @types/node and our
    // declarations again, which is most of its time.
    writeFileSync(path.join(app, 'tsconfig.nodenext.json'), JSON.stringify(tsconfig('nodenext', ['consumer.ts', ...files])));
    typecheck('tsconfig.nodenext.json');
    writeFileSync(path.join(app, 'tsconfig.bundler.json'), JSON.stringify(tsconfig('bundler', ['consumer.ts'])));
    typecheck('tsconfig.bundler.json');
  });

  test('esbuild bundles a browser consumer of lib-chan/browser with no Node code', async () => {
    writeFileSync(path.join(app, 'page.js'), BROWSER_CONSUMER);
    const out = path.join(app, 'page.bundle.js');
    await run(ESBUILD, ['page.js', '--bundle', '--platform=browser', '--format=esm', `--outfile=${out}`, '--log-level=error'], { cwd: app });
    const text = readFileSync(out, 'utf8');
    assert.match(text, /tweetnacl|nacl/);
    assert.doesNotMatch(text, /from ["']node:|require\(["'](net|fs|crypto)["']\)/);
  });

  test('importing lib-chan loads none of ws, sodium-native, pino, ajv, prom-client: each waits for its first use', async () => {
    const probe = [
      "await import('lib-chan');",
      "const { createRequire } = await import('node:module');",
      'console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));',
    ].join(' ');
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: app });
    const loaded = (JSON.parse(stdout) as string[]).map((f) => /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f)?.[1]).filter((p) => p !== undefined);
    assert.ok(loaded.includes('tweetnacl'), `the probe sees CommonJS packages: ${loaded.join(', ')}`);
    for (const p of ['ws', 'sodium-native', 'pino', 'ajv', 'prom-client', 'etcd3', 'ssh2']) assert.ok(!loaded.includes(p), `${p} loaded by import 'lib-chan'`);
  });

  test('a client-only program loads neither pino, ajv, prom-client nor sodium-native: it runs with them removed', async () => {
    for (const p of ['pino', 'ajv', 'prom-client', 'sodium-native']) rmSync(path.join(app, 'node_modules', p), { recursive: true, force: true });
    assert.deepEqual(
      readdirSync(path.join(app, 'node_modules')).filter((d) => ['pino', 'ajv', 'prom-client', 'sodium-native'].includes(d)),
      [],
    );
    const { stdout } = await run(process.execPath, ['client.mjs', '127.0.0.1', String(port)], { cwd: app, env: { ...process.env, HOME: tmp } });
    assert.equal(stdout, '{ok,"writing a book"}\nundefined\n');
  });
});
