/**
 * The server's log: one structured event per connection accepted (debug),
 * per handshake (method, service, peer, durationMs), per channel closed
 * (reason, bytes, messages), per handler crash (with the stack), per limit
 * hit, per conf load and reload; never a password or a secret key; pretty
 * lines on request; the level from --log-level, LIB_CHAN_LOG_LEVEL or the
 * conf, in that order.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, appendFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { ChanError } from '../../src/errors.ts';
import { connect } from '../../src/client/node.ts';
import { nodeProvider } from '../../src/auth/crypto-node.ts';
import { generateKeyFile } from '../../src/auth/keys-node.ts';
import { encodePublicKey, parseSecretKeyFile } from '../../src/auth/keys.ts';
import { toBase64 } from '../../src/auth/base64.ts';
import { toHex } from '../../src/wire/bytes.ts';
import { hashPassword } from '../../src/auth/password-hash-node.ts';
import { createLogger } from '../../src/server/log.ts';
import { encodeTerm } from '../../src/wire/etf/encode.ts';
import { atom, tuple } from '../../src/wire/etf/term.ts';
import { HANDLERS, NAME_SERVER, startTestServer, type TestServer } from '../helpers/start-server.ts';
import { Raw, until } from '../helpers/ops-client.ts';
import { deadline } from '../helpers/latch.ts';
import { CliProcess, runCliInProcess, startCliServer } from '../helpers/cli-process.ts';
import { jsHandlers } from '../helpers/js-handlers.ts';
import { startLogLevel } from '../../src/cli/commands.ts';

const PW_LEGACY = 'Legacy-Pw-7f3a91';
const PW_SECURE = 'Secure-Pw-c04e22';
const PW_HASHED = 'Hashed-Pw-5b8d10';
const PW_WRONG = 'Wrong-Pw-ee6612';

const LEVEL = { trace: 10, debug: 20, info: 30, warn: 40, error: 50 } as const;

describe('log events', () => {
  let ts: TestServer;
  let clientKeyFile: string;
  let clientSecretText: string;
  before(async () => {
    const keyDir = mkdtempSync(path.join(os.tmpdir(), 'lib_chan-logs-'));
    clientKeyFile = path.join(keyDir, 'client.key');
    const pair = generateKeyFile(clientKeyFile, 'client', nodeProvider);
    clientSecretText = readFileSync(clientKeyFile, 'utf8');
    const services = `
{service, legacy, password, "${PW_LEGACY}", mfa, echo, start, notUsed}.
{service, secure, password, "${PW_SECURE}", mfa, echo, start, notUsed, [{auth, [password]}]}.
{service, hashed, password, {scrypt, "${await hashPassword(PW_HASHED, { N: 16384, r: 8, p: 1 })}"}, mfa, echo, start, notUsed}.
{service, keyed, password, none, mfa, echo, start, notUsed, [{auth, [key]}, {client_keys, ["${encodePublicKey('client', pair.publicKey)}"]}]}.
{service, thrower, password, none, mfa, echo, throwOnMessage, notUsed}.
`;
    ts = await startTestServer(services, { websocket: false });
  });
  after(async () => {
    await ts.close();
    rmSync(path.dirname(clientKeyFile), { recursive: true, force: true });
  });

  const open = (service: string, password: string | null, protocol: 'secure' | 'legacy' = 'secure', extra = {}) =>
    connect('127.0.0.1', ts.port, service, password, [], { protocol, serverKey: ts.server.publicKey, ...extra });

  test('configLoaded: file, port and the redacted config', async () => {
    const l = await ts.waitForLog((x) => x.event === 'configLoaded', 'configLoaded');
    assert.equal(l.level, LEVEL.info);
    assert.equal(l.port, ts.port);
    assert.equal(l.file, path.join(ts.dir, 'lib_chan.conf'));
    const config = l.config as { services: { name: string; passwordKind: string }[]; limits: Record<string, number> };
    assert.deepEqual(
      config.services.map((s) => [s.name, s.passwordKind]),
      [
        ['legacy', 'plain'],
        ['secure', 'plain'],
        ['hashed', 'scrypt'],
        ['keyed', 'none'],
        ['thrower', 'none'],
      ],
    );
    assert.equal(config.limits.maxFrameBytes, 8 * 1024 * 1024);
    assert.match(String(l.publicKey), /^lcsk1:/);
  });

  test('connectionAccepted (debug): one per connection, with the peer', async () => {
    const raw = await Raw.connect(ts.port);
    const peer = `127.0.0.1:${raw.socket.localPort}`;
    const l = await ts.waitForLog((x) => x.event === 'connectionAccepted' && x.peer === peer, 'connectionAccepted');
    assert.equal(l.level, LEVEL.debug);
    raw.destroy();
    await ts.waitForLog((x) => x.event === 'handshake' && x.peer === peer, 'the handshake line of that connection');
    assert.equal(ts.logs.filter((x) => x.event === 'connectionAccepted' && x.peer === peer).length, 1);
  });

  test('handshake: result, method, service, peer and durationMs, for each login method', async () => {
    const cases: [string, string | null, 'secure' | 'legacy', object, string][] = [
      ['legacy', PW_LEGACY, 'legacy', {}, 'legacy'],
      ['secure', PW_SECURE, 'secure', {}, 'secure-password'],
      ['hashed', PW_HASHED, 'secure', {}, 'secure-password'],
      ['keyed', null, 'secure', { clientKeyFile }, 'secure-key'],
    ];
    for (const [service, pw, protocol, extra, method] of cases) {
      const ch = await open(service, pw, protocol, extra);
      const l = await ts.waitForLog((x) => x.event === 'handshake' && x.result === 'ack' && x.service === service, `ack for ${service}`);
      assert.equal(l.method, method);
      assert.equal(l.level, LEVEL.info);
      assert.match(String(l.peer), /^127\.0\.0\.1:\d+$/);
      assert.equal(typeof l.durationMs, 'number');
      assert.ok((l.durationMs as number) >= 0);
      ch.close();
    }
    await assert.rejects(open('secure', PW_WRONG), (e: unknown) => e instanceof ChanError && e.code === 'authFail');
    const f = await ts.waitForLog((x) => x.event === 'handshake' && x.result === 'authFail' && x.service === 'secure', 'authFail');
    assert.equal(f.level, LEVEL.warn);
    assert.equal(f.method, 'password');
    assert.equal(typeof f.durationMs, 'number');
  });

  test('channelClosed: reason, bytes and messages both ways', async () => {
    const from = ts.logs.length;
    const ch = await open('legacy', PW_LEGACY, 'legacy');
    await ch.rpc(1);
    ch.close();
    const l = await ts.waitForLog((x) => ts.logs.indexOf(x) >= from && x.event === 'channelClosed' && x.service === 'legacy', 'channelClosed');
    assert.equal(l.reason, 'peerClosed');
    assert.equal(l.level, LEVEL.info);
    assert.equal(l.messagesIn, 1);
    assert.equal(l.messagesOut, 1);
    assert.equal(l.bytesIn, 4 + encodeTerm(1).length);
    assert.equal(l.bytesOut, 4 + encodeTerm(tuple(atom('echo'), 1)).length);
    assert.match(String(l.peer), /^127\.0\.0\.1:\d+$/);
  });

  test('handlerCrashed: service, peer and the stack; then channelClosed handlerCrashed', async () => {
    const ch = await open('thrower', null);
    ch.cast(atom('boom'));
    const l = await ts.waitForLog((x) => x.event === 'handlerCrashed', 'handlerCrashed');
    assert.equal(l.level, LEVEL.error);
    assert.equal(l.service, 'thrower');
    const err = l.err as { message: string; stack: string; type: string };
    assert.match(err.message, /handler refuses boom/);
    assert.ok(err.stack.includes(path.join(HANDLERS, 'echo.ts')), `the stack names the handler's file: ${err.stack}`);
    assert.match(err.stack, /throwOnMessage/);
    const c = await ts.waitForLog((x) => x.event === 'channelClosed' && x.service === 'thrower', 'channelClosed after the crash');
    assert.equal(c.reason, 'handlerCrashed');
    await deadline(ch.closed, 5000, 'the client to see the close');
  });

  test('limitHit: the limit, its key, the peer and the listener', async () => {
    const small = await startTestServer(`{service, x, password, none, mfa, echo, start, notUsed}.`, {
      extra: '{limits, [{maxConnections, 1}]}.',
      websocket: false,
    });
    try {
      const first = await Raw.connect(small.port);
      await until(() => small.server.connectionCount === 1, 'the first connection');
      const second = await Raw.connect(small.port);
      const port = second.socket.localPort;
      await second.waitClosed();
      const l = await small.waitForLog((x) => x.event === 'limitHit', 'limitHit');
      assert.equal(l.level, LEVEL.warn);
      assert.equal(l.limit, 'maxConnections=1');
      assert.equal(l.key, 'maxConnections');
      assert.equal(l.listener, 'tcp');
      assert.equal(l.peer, `127.0.0.1:${port}`);
      first.destroy();
    } finally {
      await small.close();
    }
  });

  test('configReloaded and configReloadFailed', async () => {
    const file = path.join(ts.dir, 'lib_chan.conf');
    const good = readFileSync(file, 'utf8');
    try {
      appendFileSync(file, `{service, added, password, "${PW_SECURE}", mfa, echo, start, notUsed}.\n`);
      await ts.server.reload();
      const l = await ts.waitForLog((x) => x.event === 'configReloaded', 'configReloaded');
      assert.equal(l.level, LEVEL.info);
      assert.equal(l.file, file);
      assert.ok((l.config as { services: { name: string }[] }).services.some((s) => s.name === 'added'));
      // A broken conf, its error right at a password: refused, logged, and the password is not in the log.
      writeFileSync(file, `${good}\n{service, broken, password, "${PW_WRONG}" mfa, echo, start, notUsed}.\n`);
      await assert.rejects(ts.server.reload(), (e: unknown) => e instanceof ChanError && e.code === 'badConf');
      const f = await ts.waitForLog((x) => x.event === 'configReloadFailed', 'configReloadFailed');
      assert.equal(f.level, LEVEL.error);
      assert.equal(f.file, file);
      assert.match(String(f.error), /lib_chan\.conf:\d+/);
      assert.ok(ts.server.services.has('added'), 'the old conf stays in force');
    } finally {
      writeFileSync(file, good);
    }
  });

  test('no log line holds a password or a secret key', async () => {
    // Right and wrong passwords, legacy and secure, plain and hashed, plus key logins.
    for (const [service, right, protocols] of [
      ['legacy', PW_LEGACY, ['legacy', 'secure']],
      ['secure', PW_SECURE, ['secure']],
      ['hashed', PW_HASHED, ['secure']],
    ] as const) {
      for (const protocol of protocols) {
        const ch = await open(service, right, protocol);
        await ch.rpc(tuple(atom('hello'), 'there'));
        ch.close();
        await assert.rejects(open(service, PW_WRONG, protocol), (e: unknown) => e instanceof ChanError);
      }
    }
    (await open('keyed', null, 'secure', { clientKeyFile })).close();
    // A legacy client that sends its password in clear where the response should be.
    const raw = await Raw.connect(ts.port);
    raw.sendTerm(tuple(atom('startService'), atom('legacy'), []));
    await raw.term(0);
    raw.sendTerm(tuple(atom('response'), PW_LEGACY));
    await raw.waitClosed();
    await ts.waitForLog((x) => x.event === 'handshake' && x.result === 'authFail' && x.service === 'legacy' && x.method === 'legacy', 'the legacy authFail');

    const serverSecret = parseSecretKeyFile('server', readFileSync(path.join(ts.dir, 'server.key'), 'utf8'));
    const clientSecret = parseSecretKeyFile('client', clientSecretText);
    const secrets = [PW_LEGACY, PW_SECURE, PW_HASHED, PW_WRONG];
    for (const s of [serverSecret, clientSecret]) secrets.push(toHex(s), toBase64(s), toBase64(s, { url: true }), Buffer.from(s).toString('base64'));
    const hashedLine = readFileSync(path.join(ts.dir, 'lib_chan.conf'), 'utf8').match(/scrypt\$[^"]+/)![0];
    secrets.push(hashedLine);
    assert.ok(ts.logs.length > 30, `${ts.logs.length} lines captured`);
    for (const line of ts.logs) {
      const text = JSON.stringify(line);
      for (const s of secrets) assert.ok(!text.includes(s), `a log line holds a secret (${s.slice(0, 6)}...): ${text}`);
    }
  });
});

describe('log options', () => {
  test('redaction: a password or secret passed to a log call by mistake is censored', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = createLogger({ level: 'info', destination: sink });
    log.info({ password: 'p1', secret: 's1', req: { password: 'p2', proof: 'x' }, config: { services: [{ password: 'p3' }] } }, 'oops');
    assert.equal(lines.length, 1);
    for (const s of ['p1', 's1', 'p2', 'p3', '"x"']) assert.ok(!lines[0].includes(s), lines[0]);
    assert.match(lines[0], /\[redacted\]/);
  });

  describe('the level: --log-level, else LIB_CHAN_LOG_LEVEL, else the conf, else info', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'lib_chan-loglevel-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    /** Start with a conf level and CLI args/env; true when debug lines are written. */
    async function debugShown(confLevel: string | undefined, args: string[], env: Record<string, string | undefined>): Promise<boolean> {
      const conf = path.join(dir, `c${Math.random().toString(36).slice(2)}.conf`);
      writeFileSync(
        conf,
        [
          '{port, 0}.',
          '{bind, "127.0.0.1"}.',
          `{module_path, ["${jsHandlers()}"]}.`,
          confLevel ? `{log_level, ${confLevel}}.` : '',
          '{service, echo, password, none, mfa, echo, start, notUsed}.',
        ].join('\n'),
      );
      const { cli, port } = await startCliServer(conf, { args: ['--json', ...args], env: { LIB_CHAN_LOG_LEVEL: undefined, ...env } });
      try {
        const raw = await Raw.connect(port);
        raw.destroy();
        // The connection's handshake line (info) comes after its connectionAccepted line (debug).
        await cli.waitForLog((l) => l.event === 'handshake', 'the handshake line');
        return cli.json.some((l) => l.event === 'connectionAccepted');
      } finally {
        cli.kill('SIGTERM');
        await cli.waitExit();
      }
    }

    // The order itself, every pairing, in-process; the two children below prove each source reaches the logger.
    test('the order: --log-level, else the environment (empty is unset), else the conf', () => {
      const cases: [string | undefined, string | undefined, string, string][] = [
        [undefined, undefined, 'debug', 'debug'],
        [undefined, undefined, 'info', 'info'],
        [undefined, '', 'warn', 'warn'],
        [undefined, 'info', 'debug', 'info'],
        [undefined, 'debug', 'info', 'debug'],
        ['debug', 'info', 'info', 'debug'],
        ['info', 'debug', 'debug', 'info'],
        ['error', undefined, 'trace', 'error'],
      ];
      for (const [flag, env, conf, want] of cases) {
        assert.equal(startLogLevel(flag, { LIB_CHAN_LOG_LEVEL: env }, conf), want, `flag ${flag} env ${env} conf ${conf}`);
      }
      assert.throws(() => startLogLevel(undefined, { LIB_CHAN_LOG_LEVEL: 'loud' }, 'info'), /log level "loud" \(from LIB_CHAN_LOG_LEVEL\)/);
      assert.throws(() => startLogLevel('loud', {}, 'info'), /log level "loud" \(from --log-level\)/);
    });
    test('a running server: the environment beats the conf', async () => {
      assert.equal(await debugShown('info', [], { LIB_CHAN_LOG_LEVEL: 'debug' }), true);
    });
    test('a running server: --log-level beats the environment, and the conf alone sets it', async () => {
      assert.equal(await debugShown('debug', ['--log-level', 'info'], { LIB_CHAN_LOG_LEVEL: 'debug' }), false);
      assert.equal(await debugShown('debug', [], {}), true);
    });
  });

  test('--pretty prints lines for people (pino-pretty), not JSON', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lib_chan-pretty-'));
    const conf = path.join(dir, 'lib_chan.conf');
    writeFileSync(conf, `{port, 0}.\n{bind, "127.0.0.1"}.\n{module_path, ["${jsHandlers()}"]}.\n{service, echo, password, none, mfa, echo, start, notUsed}.\n`);
    const cli = new CliProcess(['start', '--conf', conf, '--pretty']);
    try {
      const line = await cli.waitFor(() => cli.lines.find((l) => /lib_chan listening on/.test(l)), 'the pretty listening line', 20_000);
      assert.ok(!line.trimStart().startsWith('{'), line);
      assert.match(line, /INFO/);
      assert.match(line, /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/, 'a readable time');
      assert.equal(cli.json.length, 0, 'no JSON lines');
    } finally {
      cli.kill('SIGTERM');
      await cli.waitExit();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an unknown level is a usage error (exit 2)', async () => {
    // In-process (main(argv, io)): both refusals come before anything starts.
    const r = await runCliInProcess(['start', '--conf', '/nonexistent.conf', '--log-level', 'loud']);
    // The conf is read first: a missing conf is reported as such (3).
    assert.equal(r.exit.code, 3, r.describe());
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lib_chan-badlevel-'));
    const conf = path.join(dir, 'lib_chan.conf');
    writeFileSync(conf, `{port, 0}.\n{module_path, ["${NAME_SERVER}"]}.\n{service, nameServer, password, none, mfa, mod_name_server, start_me_up, notUsed}.\n`);
    try {
      const bad = await runCliInProcess(['start', '--conf', conf, '--log-level', 'loud']);
      assert.equal(bad.exit.code, 2, bad.describe());
      assert.match(bad.stderr, /log level "loud"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
