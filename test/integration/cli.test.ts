/**
 * The `lib-chan` command line through `main(argv, io)` in-process (the same
 * code the bin runs, minus the process start; one case runs the real program
 * to show the two agree, and test/package runs the installed bin): --help
 * everywhere, the documented exit codes (0 ok, 1 failed, 2 usage, 3 bad
 * conf), check, keygen, passwd, call, status.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { COMMANDS } from '../../src/cli/commands.ts';
import { EXIT } from '../../src/cli/command.ts';
import { loadConfig } from '../../src/conf/load.ts';
import { verifyPasswordHash } from '../../src/auth/password-hash-node.ts';
import { loadKeyFile } from '../../src/auth/keys-node.ts';
import { encodePublicKey } from '../../src/auth/keys.ts';
import { nodeProvider } from '../../src/auth/crypto-node.ts';
import { NAME_SERVER, startTestServer, type TestServer } from '../helpers/start-server.ts';
import { runCli, runCliInProcess } from '../helpers/cli-process.ts';

let dir: string;
let env: Record<string, string>;
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lib_chan-cli-'));
  // Known hosts and HOME inside the temp dir: the tests never touch the real ~/.lib_chan.
  env = { HOME: dir, LIB_CHAN_KNOWN_HOSTS: path.join(dir, 'known_hosts'), LIB_CHAN_PASSWORD: '' };
});
after(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[], opts: { env?: Record<string, string | undefined>; stdin?: string } = {}) =>
  runCliInProcess(args, { env: { ...env, ...opts.env }, stdin: opts.stdin ?? '' });

test('the program and main() in-process agree (exit code, stdout, stderr)', async () => {
  for (const args of [['--help'], ['frobnicate'], ['check', '--conf', path.join(dir, 'missing.conf')], ['remote', 'status', 'gw.example']]) {
    const [child, inProcess] = await Promise.all([runCli(args, { env, stdin: '' }), cli(args)]);
    assert.equal(child.exit.code, inProcess.exit.code, args.join(' '));
    assert.equal(child.stdout.trimEnd(), inProcess.stdout.trimEnd(), args.join(' '));
    assert.equal(child.stderr.trimEnd(), inProcess.stderr.trimEnd(), args.join(' '));
  }
});

describe('help and usage', () => {
  test('top-level help lists every command and the exit codes', async () => {
    for (const flag of ['--help', '-h', 'help']) {
      const r = await cli([flag]);
      assert.equal(r.exit.code, EXIT.ok, r.describe());
      for (const name of Object.keys(COMMANDS)) assert.match(r.stdout, new RegExp(`^  ${name} `, 'm'));
      assert.match(r.stdout, /0 ok, 1 operation failed, 2 usage error, 3 invalid configuration/);
    }
    const none = await cli([]);
    assert.equal(none.exit.code, EXIT.usage);
  });

  for (const name of Object.keys(COMMANDS)) {
    test(`${name} --help`, async () => {
      const r = await cli([name, '--help']);
      assert.equal(r.exit.code, EXIT.ok, r.describe());
      assert.match(r.stdout, new RegExp(`^usage: lib-chan ${name}`));
      assert.ok(r.stdout.split('\n').length > 2, 'more than the usage line');
    });
  }

  test('an unknown command, an unknown option, a missing argument: exit 2 with the usage', async () => {
    const a = await cli(['frobnicate']);
    assert.equal(a.exit.code, EXIT.usage);
    assert.match(a.stderr, /unknown command "frobnicate"/);
    const b = await cli(['check', '--no-such-option']);
    assert.equal(b.exit.code, EXIT.usage);
    assert.match(b.stderr, /usage: lib-chan check/);
    const c = await cli(['call', '127.0.0.1:1']);
    assert.equal(c.exit.code, EXIT.usage);
    assert.match(c.stderr, /expected HOST:PORT SERVICE TERM/);
    const d = await cli(['keygen']);
    assert.equal(d.exit.code, EXIT.usage);
    const e = await cli(['call', 'nohostport', 's', 'x']);
    assert.equal(e.exit.code, EXIT.usage);
    const f = await cli(['status', '127.0.0.1:99999']);
    assert.equal(f.exit.code, EXIT.usage);
  });
});

test('remote reads its environment and writes its output through main(argv, io), as every command does', async () => {
  const state = path.join(dir, 'remote-state');
  for (const sub of ['status', 'stop']) {
    const r = await cli(['remote', sub, 'gw.example', '--json'], { env: { LIB_CHAN_REMOTE_STATE: state } });
    assert.equal(r.exit.code, EXIT.failed, r.describe());
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `lib_chan remote: no gateway started on gw.example is recorded in ${state} [badArgument]\n`);
  }
});

describe('check', () => {
  test('a good conf: exit 0, the services it would serve, never a password', async () => {
    const conf = path.join(dir, 'good.conf');
    writeFileSync(
      conf,
      `{port, 2345}.\n{module_path, ["${NAME_SERVER}"]}.\n{service, nameServer, password, "Check-Secret-1", mfa, mod_name_server, start_me_up, notUsed}.\n`,
    );
    const r = await cli(['check', '--conf', conf]);
    assert.equal(r.exit.code, EXIT.ok, r.describe());
    assert.match(r.stdout, /OK/);
    assert.match(r.stdout, /service nameServer: mod_name_server:start_me_up\/3/);
    assert.match(r.stdout, /0\.0\.0\.0:2345/);
    const j = await cli(['check', '--conf', conf, '--json']);
    assert.equal(j.exit.code, EXIT.ok);
    const parsed = JSON.parse(j.stdout) as { port: number; services: { name: string; passwordKind: string }[] };
    assert.equal(parsed.port, 2345);
    assert.deepEqual(
      parsed.services.map((s) => [s.name, s.passwordKind]),
      [['nameServer', 'plain']],
    );
    assert.ok(!r.stdout.includes('Check-Secret-1') && !j.stdout.includes('Check-Secret-1'));
  });

  test('a bad conf: exit 3, the error points to file:line, the password is not echoed', async () => {
    const conf = path.join(dir, 'bad.conf');
    writeFileSync(
      conf,
      `{port, 2345}.\n{module_path, ["${NAME_SERVER}"]}.\n\n{service, nameServer, password, "Check-Secret-2" mfa, mod_name_server, start_me_up, notUsed}.\n`,
    );
    const r = await cli(['check', '--conf', conf]);
    assert.equal(r.exit.code, EXIT.badConf, r.describe());
    assert.match(r.stderr, new RegExp(`${conf.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:\\d+: `));
    assert.match(r.stderr, /\[badConf\]/);
    assert.ok(!r.stderr.includes('Check-Secret-2'), r.stderr);
  });

  test('a conf naming a missing module: exit 3 at its line', async () => {
    const conf = path.join(dir, 'nomod.conf');
    writeFileSync(conf, `{port, 2345}.\n{module_path, ["${NAME_SERVER}"]}.\n{service, x, password, none, mfa, no_such_module, start, notUsed}.\n`);
    const r = await cli(['check', '--conf', conf]);
    assert.equal(r.exit.code, EXIT.badConf);
    assert.match(r.stderr, /nomod\.conf:3:\d+: service x: module no_such_module not found/);
  });

  test('a missing conf file: exit 3', async () => {
    const r = await cli(['check', '--conf', path.join(dir, 'absent.conf')]);
    assert.equal(r.exit.code, EXIT.badConf);
    assert.match(r.stderr, /does not exist/);
  });
});

describe('keygen and passwd', () => {
  test('keygen --out: a 0600 key file, its public key printed; never overwrites', async () => {
    const out = path.join(dir, 'keys', 'server.key');
    const r = await cli(['keygen', '--out', out]);
    assert.equal(r.exit.code, EXIT.ok, r.describe());
    assert.equal(statSync(out).mode & 0o777, 0o600);
    const pair = loadKeyFile(out, 'server', nodeProvider);
    assert.equal(r.stdout.trim(), encodePublicKey('server', pair.publicKey));
    assert.match(r.stderr, /fingerprint/);
    const again = await cli(['keygen', '--out', out]);
    assert.notEqual(again.exit.code, EXIT.ok);
    assert.match(again.stderr, /already exists/);
    assert.ok(
      loadKeyFile(out, 'server', nodeProvider).publicKey.every((b, i) => b === pair.publicKey[i]),
      'the key is unchanged',
    );
  });

  test('keygen --client: an Ed25519 login key (lcck1:...)', async () => {
    const out = path.join(dir, 'client.key');
    const r = await cli(['keygen', '--out', out, '--client']);
    assert.equal(r.exit.code, EXIT.ok, r.describe());
    assert.match(r.stdout.trim(), /^lcck1:/);
    assert.equal(r.stdout.trim(), encodePublicKey('client', loadKeyFile(out, 'client', nodeProvider).publicKey));
    assert.equal(statSync(out).mode & 0o777, 0o600);
  });

  test('passwd: reads stdin, prints {scrypt, "..."} that the conf loader accepts and verifyPasswordHash checks', async () => {
    const r = await cli(['passwd'], { stdin: 'Passwd-Secret-9\n' });
    assert.equal(r.exit.code, EXIT.ok, r.describe());
    const m = /^\{scrypt, "(scrypt\$[^"]+)"\}$/.exec(r.stdout.trim());
    assert.ok(m, r.stdout);
    assert.ok(!r.stdout.includes('Passwd-Secret-9'));
    assert.equal(await verifyPasswordHash('Passwd-Secret-9', m[1]), true);
    assert.equal(await verifyPasswordHash('Passwd-Secret-8', m[1]), false);
    const conf = path.join(dir, 'hashed.conf');
    writeFileSync(
      conf,
      `{port, 0}.\n{module_path, ["${NAME_SERVER}"]}.\n{service, nameServer, password, ${r.stdout.trim()}, mfa, mod_name_server, start_me_up, notUsed}.\n`,
    );
    const config = await loadConfig(conf);
    assert.equal(config.services.get('nameServer')!.password.kind, 'scrypt');
    // --password-file does the same.
    const pwFile = path.join(dir, 'pw.txt');
    writeFileSync(pwFile, 'Passwd-Secret-9\n');
    const f = await cli(['passwd', '--password-file', pwFile]);
    assert.equal(f.exit.code, EXIT.ok);
    assert.equal(await verifyPasswordHash('Passwd-Secret-9', /"(.*)"/.exec(f.stdout)![1]), true);
  });

  test('passwd: an empty password is a usage error; a missing file fails cleanly', async () => {
    const r = await cli(['passwd'], { stdin: '\n' });
    assert.equal(r.exit.code, EXIT.usage);
    const m = await cli(['passwd', '--password-file', path.join(dir, 'nope.txt')]);
    assert.equal(m.exit.code, EXIT.failed);
    assert.match(m.stderr, /nope\.txt: ENOENT/);
    assert.ok(!m.stderr.includes('    at '), 'no stack trace');
  });
});

describe('call and status against a live server', () => {
  let ts: TestServer;
  let target: string;
  let pwFile: string;
  let clientKey: string;
  before(async () => {
    clientKey = path.join(dir, 'call-client.key');
    const k = await cli(['keygen', '--client', '--out', clientKey]);
    ts = await startTestServer(
      `
{service, nameServer, password, "Call-Pw-1", mfa, mod_name_server, start_me_up, notUsed}.
{service, counter, password, "Call-Pw-2", mfa, ops, counter, notUsed}.
{service, echo, password, "Call-Pw-3", mfa, echo, start, notUsed}.
{service, keyed, password, none, mfa, echo, start, notUsed, [{auth, [key]}, {client_keys, ["${k.stdout.trim()}"]}]}.
`,
      { websocket: false },
    );
    target = `127.0.0.1:${ts.port}`;
    pwFile = path.join(dir, 'call-pw');
    writeFileSync(pwFile, 'Call-Pw-1\n');
  });
  after(async () => {
    await ts.close();
  });

  test('rpc with an Erlang term, password from LIB_CHAN_PASSWORD, trust on first use', async () => {
    const r = await cli(['call', target, 'nameServer', '{lookup, nobody}'], { env: { LIB_CHAN_PASSWORD: 'Call-Pw-1' } });
    assert.equal(r.exit.code, EXIT.ok, r.describe());
    assert.equal(r.stdout.trim(), 'undefined');
    assert.match(readFileSync(env.LIB_CHAN_KNOWN_HOSTS, 'utf8'), new RegExp(`127\\.0\\.0\\.1:${ts.port} lcsk1:`));
  });

  test('--cast then rpc, with --password-file, pinned with --server-key', async () => {
    const key = encodePublicKey('server', ts.server.publicKey!);
    const c = await cli(['call', target, 'nameServer', '{store, joe, "writing a book"}', '--cast', '--password-file', pwFile, '--server-key', key]);
    assert.equal(c.exit.code, EXIT.ok, c.describe());
    assert.equal(c.stdout, '');
    const r = await cli(['call', target, 'nameServer', '{lookup, joe}', '--password-file', pwFile, '--server-key', key]);
    assert.equal(r.exit.code, EXIT.ok, r.describe());
    assert.equal(r.stdout.trim(), '{ok,"writing a book"}');
  });

  test('--cast is delivered (counted by the service)', async () => {
    const pw = { LIB_CHAN_PASSWORD: 'Call-Pw-2' };
    for (let i = 0; i < 3; i++) {
      const c = await cli(['call', target, 'counter', '{inc, "cast-key"}', '--cast'], { env: pw });
      assert.equal(c.exit.code, EXIT.ok, c.describe());
    }
    const count = await cli(['call', target, 'counter', '{count, "cast-key"}'], { env: pw });
    assert.equal(count.exit.code, EXIT.ok, count.describe());
    assert.equal(count.stdout.trim(), '3');
  });

  test('--json: TERM as JSON (objects are maps with atom keys), the reply printed as JSON', async () => {
    const pw = { LIB_CHAN_PASSWORD: 'Call-Pw-3' };
    const r = await cli(['call', target, 'echo', '{"hello": [1, "two", true, null]}', '--json'], { env: pw });
    assert.equal(r.exit.code, EXIT.ok, r.describe());
    assert.deepEqual(JSON.parse(r.stdout), ['echo', { hello: [1, 'two', true, null] }]);
    // Without --json the same reply prints in Erlang syntax.
    const e = await cli(['call', target, 'echo', '{hello, [1, "two"]}'], { env: pw });
    assert.equal(e.stdout.trim(), '{echo,{hello,[1,"two"]}}');
    // TERM must be JSON with --json, and an Erlang term without it.
    const bad = await cli(['call', target, 'echo', '{hello, 1}', '--json'], { env: pw });
    assert.equal(bad.exit.code, EXIT.usage);
    assert.match(bad.stderr, /TERM is not JSON/);
    const bad2 = await cli(['call', target, 'echo', '{"hello": 1}'], { env: pw });
    assert.equal(bad2.exit.code, EXIT.usage);
  });

  test('an error reply from the service: exit 1 with its code', async () => {
    const r = await cli(['call', target, 'counter', 'unknownMessage'], { env: { LIB_CHAN_PASSWORD: 'Call-Pw-2' } });
    assert.equal(r.exit.code, EXIT.failed, r.describe());
    assert.match(r.stderr, /badMessage/);
    assert.match(r.stderr, /\[remoteError\]/);
  });

  test('--legacy', async () => {
    const r = await cli(['call', target, 'nameServer', '{lookup, joe}', '--legacy', '--password-file', pwFile]);
    assert.equal(r.exit.code, EXIT.ok, r.describe());
    assert.equal(r.stdout.trim(), '{ok,"writing a book"}');
    const c = await cli(['call', target, 'counter', '{inc, "legacy-key"}', '--legacy', '--cast'], { env: { LIB_CHAN_PASSWORD: 'Call-Pw-2' } });
    assert.equal(c.exit.code, EXIT.ok, c.describe());
    const n = await cli(['call', target, 'counter', '{count, "legacy-key"}', '--legacy'], { env: { LIB_CHAN_PASSWORD: 'Call-Pw-2' } });
    assert.equal(n.stdout.trim(), '1', n.describe());
  });

  test('--client-key logs in with a key', async () => {
    const r = await cli(['call', target, 'keyed', '{hello, 1}', '--client-key', clientKey]);
    assert.equal(r.exit.code, EXIT.ok, r.describe());
    assert.equal(r.stdout.trim(), '{echo,{hello,1}}');
  });

  test('no password given for a service that needs one: says how to give it (secure and legacy)', async () => {
    for (const extra of [[], ['--legacy']]) {
      const r = await cli(['call', target, 'nameServer', '{lookup, joe}', ...extra]);
      assert.equal(r.exit.code, EXIT.failed, r.describe());
      assert.match(r.stderr, /nameServer needs a password: give it with --password-file FILE or the LIB_CHAN_PASSWORD environment variable .*\[authFail\]/);
    }
  });

  test('failures: wrong password, unknown service, bad term, nothing listening', async () => {
    const wrong = await cli(['call', target, 'nameServer', '{lookup, joe}'], { env: { LIB_CHAN_PASSWORD: 'nope' } });
    assert.equal(wrong.exit.code, EXIT.failed);
    assert.match(wrong.stderr, /\[authFail\]/);
    const svc = await cli(['call', target, 'noSuch', 'x'], { env: { LIB_CHAN_PASSWORD: 'x' } });
    assert.equal(svc.exit.code, EXIT.failed);
    assert.match(svc.stderr, /\[badService\]/);
    const term = await cli(['call', target, 'nameServer', '{lookup, '], { env: { LIB_CHAN_PASSWORD: 'Call-Pw-1' } });
    assert.equal(term.exit.code, EXIT.usage);
    assert.match(term.stderr, /TERM is not an Erlang term: TERM:1:\d+/);
    const json = await cli(['call', target, 'nameServer', '{oops', '--json'], { env: { LIB_CHAN_PASSWORD: 'Call-Pw-1' } });
    assert.equal(json.exit.code, EXIT.usage);
    const timeout = await cli(['call', target, 'nameServer', 'x', '--timeout', 'soon']);
    assert.equal(timeout.exit.code, EXIT.usage);
    const closed = await startTestServer('', { websocket: false, identity: false });
    const port = closed.port;
    await closed.close();
    const down = await cli(['call', `127.0.0.1:${port}`, 'nameServer', 'x']);
    assert.equal(down.exit.code, EXIT.failed);
    assert.match(down.stderr, /\[connectionRefused\]/);
    const st = await cli(['status', `127.0.0.1:${port}`]);
    assert.equal(st.exit.code, EXIT.failed);
    assert.ok(!st.stderr.includes('    at '), 'no stack trace');
  });

  test('status: the server answers, its key and whether known_hosts pins it', async () => {
    const kh = path.join(dir, 'status_known_hosts');
    const first = await cli(['status', target, '--known-hosts', kh]);
    assert.equal(first.exit.code, EXIT.ok, first.describe());
    assert.match(first.stdout, /answers \(secure v1\)/);
    assert.ok(first.stdout.includes(encodePublicKey('server', ts.server.publicKey!)));
    assert.match(first.stdout, /fingerprint/);
    assert.match(first.stdout, /now pinned/);
    const second = await cli(['status', target, '--known-hosts', kh]);
    assert.match(second.stdout, /matches the pin/);
    // Another key pinned for this address: exit 1 and a clear message.
    const other = path.join(dir, 'other_known_hosts');
    writeFileSync(other, `${target} ${encodePublicKey('server', new Uint8Array(32).fill(9))}\n`);
    const bad = await cli(['status', target, '--known-hosts', other]);
    assert.equal(bad.exit.code, EXIT.failed, bad.describe());
  });
});
