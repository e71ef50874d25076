import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { ChanError } from '../../src/errors.ts';
import { DEFAULT_LIMITS, LIMITS } from '../../src/limits.ts';
import { atom, isAtom, termEqual, tuple } from '../../src/wire/etf/term.ts';
import { MAX_CONF_BYTES, defaultConfPath, loadConfig, parseConfig, redactConfig } from '../../src/conf/load.ts';
import type { ServerConfig } from '../../src/conf/schema.ts';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/conf');
const BOOK = path.join(FIXTURES, 'book');
const HANDLERS = path.join(FIXTURES, 'handlers');
/** A conf "file" in the fixtures directory (parseConfig never reads it). */
const CONF = path.join(FIXTURES, 'test.conf');
/** Every password in these tests: no error message may contain it. */
const PW = 'Sekr3t-pw';

/** A service line with the fixture module handlers/echo.ts. */
const svc = (name = 's', extra = '') => `{service, ${name}, password, "${PW}", mfa, echo, start, notUsed${extra}}.`;
const conf = (...lines: string[]) => ['{port, 1234}.', '{module_path, "handlers"}.', ...lines].join('\n');

async function badConf(
  run: () => Promise<unknown>,
  expected: { line?: number; column?: number; file?: string; service?: string; [key: string]: unknown },
): Promise<ChanError> {
  try {
    await run();
  } catch (e) {
    assert.ok(e instanceof ChanError, `expected a ChanError, got ${String(e)}`);
    assert.equal(e.code, 'badConf');
    for (const [k, v] of Object.entries(expected)) assert.equal(e.details[k], v, `details.${k} in: ${e.message}`);
    assert.ok(!e.message.includes(PW), `message leaks the password: ${e.message}`);
    assert.ok(!JSON.stringify(e.details).includes(PW), 'details leak the password');
    if (expected.line !== undefined) assert.match(e.message, new RegExp(`:${expected.line}:\\d+: `));
    return e;
  }
  assert.fail('expected a badConf error');
}

describe('conf load - the book conf', () => {
  it('loads the book conf exactly as written, with defaults for everything else', async () => {
    const c = await loadConfig(path.join(BOOK, 'lib_chan.conf'));
    assert.equal(c.file, path.join(BOOK, 'lib_chan.conf'));
    assert.equal(c.port, 1234);
    assert.equal(c.bind, '0.0.0.0');
    assert.equal(c.legacy, 'loopback');
    assert.equal(c.logLevel, 'info');
    assert.equal(c.processes, 1);
    assert.deepEqual(c.limits, DEFAULT_LIMITS);
    assert.deepEqual(c.modulePaths, [BOOK]);
    assert.equal(c.identityFile, undefined);
    assert.equal(c.websocket, undefined);
    assert.equal(c.metrics, undefined);
    assert.deepEqual([...c.services.keys()], ['nameServer']);
    const s = c.services.get('nameServer')!;
    assert.equal(s.password.kind, 'plain');
    assert.equal(s.password.kind === 'plain' && s.password.secret, 'ABXy45');
    assert.equal(s.module, 'mod_name_server');
    assert.equal(s.fn, 'start_me_up');
    assert.ok(isAtom(s.argsS, 'notUsed'));
    assert.equal(s.modulePath, path.join(BOOK, 'mod_name_server.ts'));
    assert.deepEqual(s.auth, ['password', 'key', 'legacy']);
    assert.equal(s.legacy, 'loopback');
    assert.deepEqual(s.clientKeys, []);
    assert.equal(s.isolation, 'inline');
    assert.equal(s.state, 'shared');
    assert.equal(s.onInvalid, 'close');
    assert.equal(s.schemaFile, undefined);
    assert.deepEqual(s.limits, c.limits);
    assert.equal(s.line, 4);
  });

  it('accepts password, none as "no password"', async () => {
    const c = await parseConfig(conf('{service, open, password, none, mfa, echo, start, notUsed}.'), CONF);
    assert.deepEqual(c.services.get('open')!.password, { kind: 'none' });
  });

  it('accepts the 9-tuple with an empty options list, and any ArgsS term', async () => {
    const c = await parseConfig(conf(`{service, s, password, "${PW}", mfa, echo, start, [{greeting, "hi"}, 42], []}.`), CONF);
    const s = c.services.get('s')!;
    assert.ok(termEqual(s.argsS, [tuple(atom('greeting'), 'hi'), 42]));
    assert.deepEqual(s.auth, ['password', 'key', 'legacy']);
    const c2 = await parseConfig(conf(`{service, t, password, none, mfa, echo, start, {a, [1]}, []}.`), CONF);
    assert.ok(termEqual(c2.services.get('t')!.argsS, tuple(atom('a'), [1])));
  });
});

describe('conf load - extensions', () => {
  it('reads every extension term', async () => {
    const c = await loadConfig(path.join(FIXTURES, 'full.conf'));
    assert.equal(c.port, 0);
    assert.equal(c.bind, '127.0.0.1');
    assert.equal(c.legacy, 'deny');
    assert.equal(c.identityFile, path.join(FIXTURES, 'keys/server.key'));
    assert.deepEqual(c.modulePaths, [HANDLERS, BOOK, FIXTURES]);
    assert.equal(c.limits.maxFrameBytes, 1048576);
    assert.equal(c.limits.handshakeTimeoutMs, 5000);
    assert.equal(c.logLevel, 'debug');
    assert.deepEqual(c.websocket, { port: 8080, path: '/chan', bind: '127.0.0.1', origins: ['https://example.com'] });
    assert.deepEqual(c.metrics, { port: 9100, bind: '127.0.0.1' });

    assert.deepEqual([...c.services.keys()], ['nameServer', 'open', 'hashed']);
    const book = c.services.get('nameServer')!;
    assert.equal(book.legacy, 'deny', 'the listener policy is the default');
    assert.equal(book.modulePath, path.join(BOOK, 'mod_name_server.ts'));

    const open = c.services.get('open')!;
    assert.deepEqual(open.auth, ['password', 'key']);
    assert.equal(open.legacy, 'allow');
    assert.equal(open.clientKeys.length, 1);
    assert.equal(open.clientKeys[0][0], 0x01);
    assert.equal(open.clientKeys[0].length, 32);
    assert.equal(open.isolation, 'worker');
    assert.equal(open.onInvalid, 'drop');
    assert.equal(open.limits.maxInflightRpcs, 10);
    assert.equal(open.limits.maxFrameBytes, 1048576, 'service limits start from the server limits');
    assert.equal(open.modulePath, path.join(HANDLERS, 'echo.ts'));
    assert.equal(open.line, 13);

    const hashed = c.services.get('hashed')!;
    assert.equal(hashed.password.kind, 'scrypt');
    assert.equal(hashed.password.kind === 'scrypt' && hashed.password.hash, 'scrypt$16384$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNo');
    assert.equal(hashed.modulePath, path.join(HANDLERS, 'plain.mjs'));
  });

  it('resolves paths relative to the conf file and searches its directory last', async () => {
    const c = await parseConfig(
      conf(svc('s', ', [{schema, "handlers/echo.schema.json"}]'), '{identity, "server.key"}.'),
      path.join(FIXTURES, 'sub', '..', 'x.conf'),
    );
    assert.equal(c.identityFile, path.join(FIXTURES, 'server.key'));
    assert.deepEqual(c.modulePaths, [HANDLERS, FIXTURES]);
    assert.equal(c.services.get('s')!.schemaFile, path.join(HANDLERS, 'echo.schema.json'));
    const c2 = await parseConfig('{port, 1}.\n{module_path, ["."]}.', CONF);
    assert.deepEqual(c2.modulePaths, [FIXTURES]);
  });

  it('finds a module in an earlier path first, and .ts before .js or .mjs', async () => {
    const c = await parseConfig(
      `{port, 1}.\n{module_path, ["book", "handlers"]}.\n{service, s, password, none, mfa, mod_name_server, start_me_up, x}.\n{service, p, password, none, mfa, plain, start, x}.`,
      CONF,
    );
    assert.equal(c.services.get('s')!.modulePath, path.join(BOOK, 'mod_name_server.ts'));
    assert.equal(c.services.get('p')!.modulePath, path.join(HANDLERS, 'plain.mjs'));
  });

  it('applies global limits to a service even when they come after it', async () => {
    const c = await parseConfig(conf(svc('s', ', [{limits, [{maxMailboxMessages, 7}]}]'), '{limits, [{maxInflightRpcs, 3}]}.'), CONF);
    const s = c.services.get('s')!;
    assert.equal(s.limits.maxInflightRpcs, 3);
    assert.equal(s.limits.maxMailboxMessages, 7);
    assert.equal(c.limits.maxMailboxMessages, LIMITS.maxMailboxMessages.default);
  });

  it('accepts base64 client keys and websocket tls files', async () => {
    const b64 = Buffer.alloc(32, 7).toString('base64');
    const c = await parseConfig(
      conf(
        svc('s', `, [{auth, [key]}, {client_keys, ["${b64}", "${b64.replace(/=$/, '')}"]}]`),
        '{websocket, [{port, 0}, {tls, [{cert, "handlers/echo.ts"}, {key, "handlers/plain.mjs"}]}]}.',
      ),
      CONF,
    );
    assert.deepEqual(c.services.get('s')!.clientKeys, [new Uint8Array(32).fill(7), new Uint8Array(32).fill(7)]);
    assert.deepEqual(c.websocket!.tls, { certFile: path.join(HANDLERS, 'echo.ts'), keyFile: path.join(HANDLERS, 'plain.mjs') });
    assert.equal(c.websocket!.path, '/');
    assert.equal(c.websocket!.bind, '0.0.0.0');
  });
});

describe('conf load - errors', () => {
  const cases: { name: string; text: string; line: number; column?: number; service?: string }[] = [
    { name: 'syntax error with line:column', text: `{port, 1234}.\n{service, s, password, "${PW}",\n  mfa echo, start, x}.`, line: 3, column: 7 },
    { name: 'missing port', text: '{bind, "127.0.0.1"}.\n', line: 2 },
    { name: 'two ports', text: '{port, 1}.\n{port, 2}.', line: 2, column: 1 },
    { name: 'port out of range', text: '{port, 65536}.', line: 1 },
    { name: 'port as a string', text: '{port, "1240"}.', line: 1 },
    { name: 'duplicate service', text: conf(svc('s'), svc('s')), line: 4, service: 's' },
    { name: 'unknown term', text: conf('{foo, bar}.'), line: 3 },
    { name: 'unknown term holding a password', text: conf(`{passwd, "${PW}"}.`), line: 3 },
    { name: 'non-tuple term', text: conf('nameServer.'), line: 3 },
    { name: 'top-level term of wrong arity', text: '{port, 1, 2}.', line: 1 },
    { name: 'twice the same top-level term', text: conf('{bind, "a"}.', '{bind, "b"}.'), line: 4 },
    { name: 'password with a character above 255', text: conf(`{service, s, password, "${PW}\\x{100}", mfa, echo, start, x}.`), line: 3 },
    { name: 'password as an atom other than none', text: conf(`{service, s, password, '${PW}', mfa, echo, start, x}.`), line: 3 },
    { name: 'malformed scrypt hash', text: conf(`{service, s, password, {scrypt, "${PW}"}, mfa, echo, start, x}.`), line: 3 },
    { name: 'service without password (the 6-tuple)', text: conf('{service, s, mfa, echo, start, x}.'), line: 3 },
    { name: 'malformed service', text: conf(`{service, s, pasword, "${PW}", mfa, echo, start, x}.`), line: 3 },
    { name: 'service name as a string', text: conf(`{service, "s", password, "${PW}", mfa, echo, start, x}.`), line: 3 },
    { name: 'bad limit name', text: conf('{limits, [{maxFrameBytes, 1024},\n  {maxFrames, 1}]}.'), line: 4, column: 3 },
    { name: 'out-of-range limit', text: conf('{limits, [{maxFrameBytes, 1024},\n  {handshakeTimeoutMs, 1}]}.'), line: 4, column: 3 },
    { name: 'limit that is not an integer', text: conf('{limits, [{maxFrameBytes, 1.5}]}.'), line: 3 },
    { name: 'limits entry that is not a pair', text: conf('{limits, [maxFrameBytes]}.'), line: 3 },
    { name: 'limit given twice', text: conf('{limits, [{maxFrameBytes, 1024}, {maxFrameBytes, 2048}]}.'), line: 3 },
    { name: 'service limit out of range', text: conf(svc('s', ',\n [{limits, [{maxInflightRpcs, 0}]}]')), line: 4, service: 's' },
    { name: 'unknown service option', text: conf(svc('s', ', [{isolaton, worker}]')), line: 3 },
    { name: 'bad auth method', text: conf(svc('s', ', [{auth, [pasword]}]')), line: 3 },
    { name: 'empty auth list', text: conf(svc('s', ', [{auth, []}]')), line: 3 },
    { name: 'auth key without client keys', text: conf(svc('s', ', [{auth, [key]}]')), line: 3, service: 's' },
    {
      name: 'auth legacy with a scrypt hash',
      text: conf('{service, s, password, {scrypt, "scrypt$16384$8$1$c2FsdA==$aGFzaA=="}, mfa, echo, start, x, [{auth, [legacy]}]}.'),
      line: 3,
      service: 's',
    },
    { name: 'auth legacy with legacy deny', text: conf(svc('s', ', [{auth, [password, legacy]}, {legacy, deny}]')), line: 3, service: 's' },
    { name: 'bad client key', text: conf(svc('s', ', [{client_keys, ["abc"]}]')), line: 3 },
    { name: 'bad legacy policy', text: conf('{legacy, yes}.'), line: 3 },
    { name: 'bad log level', text: conf('{log_level, loud}.'), line: 3 },
    { name: 'zero processes', text: conf('{processes, 0}.'), line: 3 },
    { name: 'processes as an atom other than auto', text: conf('{processes, many}.'), line: 3 },
    { name: 'processes given twice', text: conf('{processes, 2}.', '{processes, auto}.'), line: 4 },
    { name: 'bad service state', text: conf(svc('s', ', [{state, private}]')), line: 3, service: 's' },
    { name: 'bad bind address', text: conf('{bind, "not an address"}.'), line: 3 },
    { name: 'module_path not a string', text: '{port, 1}.\n{module_path, handlers}.', line: 2 },
    { name: 'module_path list with an atom', text: '{port, 1}.\n{module_path, ["a",\n  b]}.', line: 3 },
    { name: 'websocket without port', text: conf('{websocket, [{path, "/chan"}]}.'), line: 3 },
    { name: 'websocket path not starting with /', text: conf('{websocket, [{port, 1}, {path, "chan"}]}.'), line: 3 },
    { name: 'websocket tls without key', text: conf('{websocket, [{port, 1}, {tls, [{cert, "c.pem"}]}]}.'), line: 3 },
    { name: 'websocket tls file missing', text: conf('{websocket, [{port, 1}, {tls, [{cert, "c.pem"}, {key, "k.pem"}]}]}.'), line: 3 },
    { name: 'metrics without port', text: conf('{metrics, [{bind, "127.0.0.1"}]}.'), line: 3 },
    { name: 'schema file missing', text: conf(svc('s', ', [{schema, "missing.json"}]')), line: 3, service: 's' },
    { name: 'module missing', text: conf(`{service, s, password, "${PW}", mfa, no_such_module, start, x}.`), line: 3, service: 's' },
    { name: 'function missing', text: conf(`{service, s, password, "${PW}", mfa, echo, no_such_fn, x}.`), line: 3, service: 's' },
    { name: 'exported value that is not a function', text: conf(`{service, s, password, "${PW}", mfa, echo, notAFunction, x}.`), line: 3, service: 's' },
    { name: 'module that throws on import', text: conf(`{service, s, password, "${PW}", mfa, 'throws-on-import', start, x}.`), line: 3, service: 's' },
    { name: 'module name escaping the module path', text: conf(`{service, s, password, "${PW}", mfa, '../handlers/echo', start, x}.`), line: 3 },
  ];
  for (const c of cases) {
    it(`refuses: ${c.name}`, async () => {
      const expected: Record<string, unknown> = { line: c.line, file: CONF };
      if (c.column !== undefined) expected.column = c.column;
      if (c.service !== undefined) expected.service = c.service;
      await badConf(() => parseConfig(c.text, CONF), expected);
    });
  }

  it('names the paths searched when a module is missing', async () => {
    const e = await badConf(() => parseConfig(conf(svc('s').replace('echo', 'nope')), CONF), { line: 3 });
    const exts = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'];
    assert.deepEqual(e.details.searched, [...exts.map((x) => path.join(HANDLERS, `nope${x}`)), ...exts.map((x) => path.join(FIXTURES, `nope${x}`))]);
  });
});

describe('conf load - files and HOME', () => {
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'lib-chan-conf-'));
  });
  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('reads $HOME/.erlang_config/lib_chan.conf by default', async () => {
    await mkdir(path.join(tmp, '.erlang_config'));
    await writeFile(path.join(tmp, '.erlang_config', 'lib_chan.conf'), '{port, 4321}.\n');
    const saved = process.env.HOME;
    process.env.HOME = tmp;
    try {
      assert.equal(defaultConfPath(), path.join(tmp, '.erlang_config', 'lib_chan.conf'));
      const c = await loadConfig();
      assert.equal(c.port, 4321);
      assert.equal(c.file, path.join(tmp, '.erlang_config', 'lib_chan.conf'));
    } finally {
      process.env.HOME = saved;
    }
  });

  it('refuses to guess when HOME is unset', async () => {
    const saved = process.env.HOME;
    delete process.env.HOME;
    try {
      await badConf(() => loadConfig(), {});
    } finally {
      process.env.HOME = saved;
    }
    assert.throws(
      () => defaultConfPath({ HOME: '' }),
      (e) => e instanceof ChanError && e.code === 'badConf',
    );
  });

  it('names a missing conf file', async () => {
    const file = path.join(tmp, 'nope.conf');
    await badConf(() => loadConfig(file), { file });
  });

  it('refuses a directory, a file over 1 MiB and text that is not UTF-8', async () => {
    await badConf(() => loadConfig(tmp), { file: tmp });
    const big = path.join(tmp, 'big.conf');
    await writeFile(big, `{port, 1}.\n%${'x'.repeat(MAX_CONF_BYTES)}\n`);
    await badConf(() => loadConfig(big), { file: big, limit: MAX_CONF_BYTES });
    const latin1 = path.join(tmp, 'latin1.conf');
    await writeFile(latin1, Buffer.from([0x7b, 0x70, 0x6f, 0x72, 0x74, 0x2c, 0x20, 0x31, 0x7d, 0x2e, 0x0a, 0x25, 0xe9, 0x0a]));
    await badConf(() => loadConfig(latin1), { file: latin1 });
  });

  it('reports a syntax error with the absolute file name it read', async () => {
    const file = path.join(tmp, 'syntax.conf');
    await writeFile(file, '{port, 1}.\n{bind "x"}.\n');
    await badConf(() => loadConfig(file), { file, line: 2, column: 7 });
  });
});

describe('conf load - secrets stay out of logs', () => {
  let c: ServerConfig;
  before(async () => {
    c = await parseConfig(conf(svc('plain'), `{service, hashed, password, {scrypt, "scrypt$16384$8$1$${'c2FsdA'}==$${PW}"}, mfa, echo, start, x}.`), CONF);
  });

  it('keeps the secret readable but out of JSON and inspect', () => {
    const p = c.services.get('plain')!.password;
    assert.equal(p.kind === 'plain' && p.secret, PW);
    assert.ok(!JSON.stringify([...c.services.values()]).includes(PW));
    assert.ok(!inspect(c, { depth: 20 }).includes(PW));
    assert.ok(!JSON.stringify({ ...p }).includes(PW), 'a spread copy has no secret either');
  });

  it('redactConfig gives auth kinds, never passwords, hashes or ArgsS', () => {
    const r = redactConfig(c);
    const text = JSON.stringify(r);
    assert.ok(!text.includes(PW));
    assert.ok(!text.includes('notUsed'), 'ArgsS may hold server secrets');
    assert.deepEqual(
      r.services.map((s) => [s.name, s.passwordKind, s.auth]),
      [
        ['plain', 'plain', ['password', 'key', 'legacy']],
        ['hashed', 'scrypt', ['password', 'key', 'legacy']],
      ],
    );
    assert.equal(r.port, 1234);
    assert.deepEqual(r.services[0].limits, {});
  });
});

describe('conf load - properties', () => {
  it('rejects mutated confs only with badConf', async () => {
    const full = readFileSync(path.join(FIXTURES, 'full.conf'), 'utf8');
    const alphabet = fc.constantFrom(...'{}[]<>|,.#$%\'"\\- \n0123456789aez_'.split(''), 'none', 'password', 'legacy', 'auth', 'limits', '[]', '"x"');
    const edit = fc.tuple(fc.nat(), fc.nat(4), fc.string({ unit: alphabet, maxLength: 2 }));
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 4 }), async (edits) => {
        let text = full;
        for (const [at, del, ins] of edits) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + ins + text.slice(i + del);
        }
        try {
          await parseConfig(text, path.join(FIXTURES, 'full.conf'));
        } catch (e) {
          if (!(e instanceof ChanError) || e.code !== 'badConf') throw e;
          // While the password literal is intact, no message may show it (an edit
          // inside it makes any word a possible password: no lexer can know).
          if (text.includes('"ABXy45"')) assert.ok(!e.message.includes('ABXy45'), e.message);
        }
      }),
      { numRuns: 400, seed: 3 },
    );
  });
});
