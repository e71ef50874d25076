/**
 * Issue 10, finding 5: the Node client sends a password only to a server it
 * has authenticated (a pinned key, a known-hosts entry, or a loudly named
 * opt-in); known_hosts uses one host:port form, `[::1]:1234`, so a pin
 * written as documented is honoured; first use is announced (onFirstUse, or
 * a LIB_CHAN_TOFU process warning) or refused (trustOnFirstUse: false).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { ChanError } from '../../src/errors.ts';
import { connect } from '../../src/client/node.ts';
import { startServer, type Server } from '../../src/server/server.ts';
import { encodePublicKey } from '../../src/auth/keys.ts';
import { startTestServer, HANDLERS, type TestServer } from '../helpers/start-server.ts';

const SERVICES = '{service, echo, password, "pw", mfa, echo, start, notUsed}.\n{service, open, password, none, mfa, echo, start, notUsed}.';
const code = (c: string) => (e: unknown) => e instanceof ChanError && e.code === c;
const OTHER_KEY = encodePublicKey('server', new Uint8Array(32).fill(7));

describe('client: passwords only to an authenticated server', () => {
  let ts: TestServer;
  let dir: string;
  before(async () => {
    ts = await startTestServer(SERVICES, { websocket: false });
    dir = mkdtempSync(path.join(os.tmpdir(), 'lib_chan-trust-'));
  });
  after(async () => {
    await ts.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('knownHosts: false and no serverKey: a password login is refused before anything is sent', async () => {
    const before = ts.server.stats.accepted;
    await assert.rejects(connect('127.0.0.1', ts.port, 'echo', 'pw', [], { knownHosts: false }), code('badArgument'));
    const hs = ts.logs.filter((l) => l.event === 'handshake' && l.service === 'echo');
    assert.equal(hs.length, 0, 'the server never saw a login');
    assert.ok(ts.server.stats.accepted - before <= 1);
  });

  test('without credentials (a service with no password) the same options connect; the named opt-in sends a password unchecked', async () => {
    (await connect('127.0.0.1', ts.port, 'open', null, [], { knownHosts: false })).close();
    (await connect('127.0.0.1', ts.port, 'echo', 'pw', [], { knownHosts: false, dangerouslySkipServerAuth: true })).close();
  });

  test('first use is announced through onFirstUse, once, with the canonical host:port and the fingerprint', async () => {
    const file = path.join(dir, 'kh-announce');
    const seen: { hostport: string; fingerprint: string; file: string }[] = [];
    const onFirstUse = (i: { hostport: string; fingerprint: string; file: string }) => void seen.push(i);
    (await connect('127.0.0.1', ts.port, 'echo', 'pw', [], { knownHosts: file, onFirstUse })).close();
    (await connect('127.0.0.1', ts.port, 'echo', 'pw', [], { knownHosts: file, onFirstUse })).close();
    assert.equal(seen.length, 1);
    assert.equal(seen[0].hostport, `127.0.0.1:${ts.port}`);
    assert.match(seen[0].fingerprint, /^SHA512:/);
    assert.match(readFileSync(file, 'utf8'), new RegExp(`^127\\.0\\.0\\.1:${ts.port} lcsk1:`));
  });

  test('without onFirstUse, first use raises a LIB_CHAN_TOFU process warning', async () => {
    const file = path.join(dir, 'kh-warning');
    const warnings: Error[] = [];
    const onWarning = (w: Error) => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      (await connect('127.0.0.1', ts.port, 'echo', 'pw', [], { knownHosts: file })).close();
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    const tofu = warnings.filter((w) => (w as Error & { code?: string }).code === 'LIB_CHAN_TOFU');
    assert.equal(tofu.length, 1);
    assert.match(tofu[0].message, new RegExp(`127\\.0\\.0\\.1:${ts.port}`));
  });

  test('trustOnFirstUse: false refuses an unknown host (unknownServerKey) and writes nothing; a throwing onFirstUse too', async () => {
    const file = path.join(dir, 'kh-strict');
    await assert.rejects(connect('127.0.0.1', ts.port, 'echo', 'pw', [], { knownHosts: file, trustOnFirstUse: false }), code('unknownServerKey'));
    assert.equal(existsSync(file), false);
    await assert.rejects(
      connect('127.0.0.1', ts.port, 'echo', 'pw', [], {
        knownHosts: file,
        onFirstUse: () => {
          throw new ChanError('unknownServerKey', 'no');
        },
      }),
      code('unknownServerKey'),
    );
    assert.equal(existsSync(file), false);
    assert.equal(ts.logs.filter((l) => l.event === 'handshake' && l.result === 'authFail').length, 0, 'no password was checked');
  });

  test('a known_hosts file others may write is refused', async () => {
    const file = path.join(dir, 'kh-open');
    writeFileSync(file, '');
    chmodSync(file, 0o666);
    await assert.rejects(connect('127.0.0.1', ts.port, 'echo', 'pw', [], { knownHosts: file }), code('badConf'));
    assert.equal(readFileSync(file, 'utf8'), '', 'nothing was pinned');
  });
});

describe('client: known_hosts keys IPv6 hosts as [::1]:port', () => {
  let server: Server;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'lib_chan-v6-'));
    const conf = path.join(dir, 'lib_chan.conf');
    writeFileSync(conf, `{port, 0}.\n{bind, "::1"}.\n{identity, "server.key"}.\n{module_path, ["${HANDLERS}"]}.\n${SERVICES}\n`, { mode: 0o600 });
    server = await startServer({ conf, logger: pino({ level: 'silent' }) });
  });
  after(async () => {
    await server.close(100);
    rmSync(dir, { recursive: true, force: true });
  });

  test('a pin written in the documented [::1]:port form is honoured: another key there is serverKeyMismatch, nothing appended', async () => {
    const file = path.join(dir, 'kh-wrong');
    const text = `[::1]:${server.port} ${OTHER_KEY}\n`;
    writeFileSync(file, text);
    await assert.rejects(connect('::1', server.port, 'echo', 'pw', [], { knownHosts: file }), code('serverKeyMismatch'));
    await assert.rejects(connect(`tcp://[::1]:${server.port}`, 'echo', 'pw', [], { knownHosts: file }), code('serverKeyMismatch'));
    assert.equal(readFileSync(file, 'utf8'), text);
  });

  test('an entry in the old ::1:port spelling still names the host: its key matches, another key is serverKeyMismatch', async () => {
    const file = path.join(dir, 'kh-old-form');
    writeFileSync(file, `::1:${server.port} ${encodePublicKey('server', server.publicKey!)}\n`);
    (await connect('::1', server.port, 'echo', 'pw', [], { knownHosts: file, trustOnFirstUse: false })).close();
    writeFileSync(file, `::1:${server.port} ${OTHER_KEY}\n`);
    await assert.rejects(connect('::1', server.port, 'echo', 'pw', [], { knownHosts: file }), code('serverKeyMismatch'));
  });

  test('the right key under [::1]:port is a match; first use writes that form', async () => {
    const file = path.join(dir, 'kh-right');
    writeFileSync(file, `[::1]:${server.port} ${encodePublicKey('server', server.publicKey!)}\n`);
    (await connect('::1', server.port, 'echo', 'pw', [], { knownHosts: file, trustOnFirstUse: false })).close();
    const fresh = path.join(dir, 'kh-fresh');
    (await connect('::1', server.port, 'echo', 'pw', [], { knownHosts: fresh, onFirstUse: () => {} })).close();
    assert.match(readFileSync(fresh, 'utf8'), new RegExp(`^\\[::1\\]:${server.port} lcsk1:`));
  });
});
