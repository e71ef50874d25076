/**
 * `lib-chan remote start|status|stop` against a real OpenSSH server on 127.0.0.1 (one sshd for
 * the file, its own host key, client keys and known_hosts). The "remote" host is this machine,
 * so after each failure the test reads the process table itself: nothing of the gateway's
 * process group may be left, nor its remote folder.
 *
 * The remote command is this checkout's CLI run from source (the real gateway), or
 * test/fixtures/remote/fake-gateway.sh for the stages a real gateway cannot be made to miss.
 * Independent cases run concurrently; the timings of each stage and failure are printed as
 * diagnostics (never asserted).
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ChanError } from '../../src/errors.ts';
import { connect } from '../../src/client/node.ts';
import { atom, tuple } from '../../src/wire/etf/term.ts';
import { remoteStart, openSession, type RemoteFailureDetails, type RemoteStartOptions } from '../../src/cli/remote/start.ts';
import type { SshConnector } from '../../src/cli/remote/ssh.ts';
import { exitStatusFor } from '../../src/cli/remote/stages.ts';
import { remoteStatus, remoteStop } from '../../src/cli/remote/control.ts';
import { findRecords } from '../../src/cli/remote/record.ts';
import { cliCommand, runCli } from '../helpers/cli-process.ts';
import { REPO } from '../helpers/start-server.ts';
import { jsHandlers } from '../helpers/js-handlers.ts';
import { announceNoSshd, freePort, sshdMissing, startSshd, type Sshd } from '../helpers/sshd.ts';

const FAKE = path.join(REPO, 'test/fixtures/remote/fake-gateway.sh');
/** This checkout's CLI as the remote command, as the other tests run it (every path in it absolute: the remote shell's working folder is elsewhere). */
const GATEWAY = [process.execPath, ...cliCommand()].join(' ');

const missing = sshdMissing();

/** Wait for a condition outside this process (the remote process table), re-checked every 50 ms, with a deadline. */
async function waitFor(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The live processes of a process group, from `ps`. Zombies do not count: they are dead, and
 * wait only for their parent to collect their status. A detached gateway's parent is PID 1,
 * which on some VMs and containers never collects (here: a firecracker agent).
 */
function groupMembers(pgid: number): string[] {
  const r = spawnSync('ps', ['-eo', 'pid=,pgid=,stat=,args='], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => {
    const f = l.trim().split(/\s+/);
    return f.length >= 3 && Number(f[1]) === pgid && !f[2].startsWith('Z');
  });
}

describe('lib-chan remote over a real sshd', { skip: missing && announceNoSshd('remote-ssh tests', missing), concurrency: true }, () => {
  let sshd: Sshd;
  let tmp: string;
  let n = 0;
  const timings: string[] = [];

  before(async () => {
    sshd = await startSshd();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'lib_chan-remote-'));
  });
  after(async () => {
    process.stderr.write(`remote-ssh timings:\n  ${timings.join('\n  ')}\n`);
    await sshd?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** Options for one in-process start; each case gets its own remote folder. */
  function opts(o: Partial<RemoteStartOptions> = {}): RemoteStartOptions {
    const dir = path.join(tmp, `gw${++n}`);
    return {
      target: { user: sshd.user, host: '127.0.0.1', port: sshd.port },
      auth: { keyFiles: [sshd.clientKey] },
      knownHostsFile: sshd.knownHosts,
      acceptNew: false,
      connectTimeoutMs: 20_000,
      timeouts: { connect: 20_000, upload: 30_000, boot: 20_000, init: 30_000, startup: 30_000 },
      remoteCommand: `sh ${FAKE} silent`,
      remoteDir: dir,
      args: ['start', '--json'],
      infoLogs: true,
      stopGraceMs: 5_000,
      outputLines: 20,
      maxLineBytes: 65_536,
      ...o,
    };
  }

  /** Run a start that must fail with `code`; returns the error, its details and the options. */
  async function failing(
    t: TestContext,
    code: string,
    o: Partial<RemoteStartOptions>,
  ): Promise<{ err: ChanError; d: RemoteFailureDetails; o: RemoteStartOptions }> {
    const so = opts(o);
    let err: unknown;
    try {
      await remoteStart(so);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof ChanError, `expected a ChanError, got ${String(err)}`);
    const d = err.details as unknown as RemoteFailureDetails;
    assert.equal(err.code, code, `${err.message}\n${JSON.stringify(d, null, 1)}`);
    assert.equal(typeof d.elapsedMs, 'number');
    assert.ok(Array.isArray(d.stdout) && Array.isArray(d.stderr));
    assert.equal(d.leftBehind, false, d.cleanup);
    timings.push(`${code.padEnd(17)} stage ${d.stage.padEnd(7)} after ${d.elapsedMs} ms (${t.name})`);
    return { err, d, o: so };
  }

  /** Nothing of the start is left: its process group is empty and its remote folder gone. */
  function nothingLeft(d: RemoteFailureDetails, o: RemoteStartOptions): void {
    if (d.pid !== undefined) assert.deepEqual(groupMembers(d.pid), [], `process group ${d.pid} is left on the remote host`);
    assert.equal(existsSync(o.remoteDir), false, `${o.remoteDir} is left on the remote host`);
  }

  test('success: start (upload, real gateway), the gateway answers, status, stop; then nothing runs', async () => {
    const up = path.join(tmp, 'up-ok');
    mkdirSync(up);
    writeFileSync(
      path.join(up, 'lib_chan.conf'),
      [
        '{port, 0}.',
        '{bind, "127.0.0.1"}.',
        '{identity, "server.key"}.',
        `{module_path, ["${jsHandlers()}"]}.`,
        '{service, echo, password, none, mfa, echo, start, x}.',
        '',
      ].join('\n'),
    );
    const state = path.join(tmp, 'state-ok');
    const remoteDir = path.join(tmp, 'gw-ok');
    const common = ['--identity', sshd.clientKey, '--known-hosts', sshd.knownHosts, '--state-dir', state, '--json'];
    const started = await runCli(
      [
        'remote',
        'start',
        `${sshd.user}@127.0.0.1:${sshd.port}`,
        ...common,
        '--remote-command',
        GATEWAY,
        '--remote-dir',
        remoteDir,
        '--upload',
        up,
        '--init-timeout',
        '60s',
        '--startup-timeout',
        '60s',
        '--',
        'start',
        '--conf',
        'lib_chan.conf',
      ],
      { timeoutMs: 90_000 },
    );
    assert.equal(started.exit.code, 0, started.describe());
    const res = JSON.parse(started.lines.find((l) => l.startsWith('{"ok"'))!) as {
      pid: number;
      port: number;
      publicKey: string;
      endpoints: string[];
      stagesMs: Record<string, number>;
      totalMs: number;
      identityCreated: boolean;
    };
    timings.push(
      `success: ${Object.entries(res.stagesMs)
        .map(([k, v]) => `${k} ${v} ms`)
        .join(', ')}; total ${res.totalMs} ms`,
    );
    assert.deepEqual(Object.keys(res.stagesMs), ['connect', 'upload', 'boot', 'init', 'startup']);
    assert.deepEqual(res.endpoints, [`tcp://127.0.0.1:${res.port}`]);
    assert.match(res.publicKey, /^lcsk1:/);
    assert.equal(res.identityCreated, true);
    try {
      // The gateway runs detached from the SSH session, in its own process group, and serves.
      assert.ok(groupMembers(res.pid).length >= 1, 'the gateway runs');
      const ch = await connect('127.0.0.1', res.port, 'echo', null, [], { serverKey: res.publicKey });
      assert.deepEqual(await ch.rpc(atom('hi')), tuple(atom('echo'), atom('hi')));
      ch.close();
      // Its log (left in its remote folder) has the init stage's event before the listeners'.
      const events = readFileSync(path.join(remoteDir, 'out.log'), 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l).event as string);
      assert.ok(events.indexOf('initialized') !== -1 && events.indexOf('initialized') < events.indexOf('configLoaded'), events.join(' '));

      // status (in-process, to spare a CLI start) and stop (the CLI) find it through the record.
      const [record] = findRecords(state, { host: '127.0.0.1' });
      assert.equal(record.pid, res.pid);
      const session = {
        target: { user: record.user, host: record.host, port: record.port },
        auth: { keyFiles: [sshd.clientKey] },
        knownHostsFile: record.knownHosts,
        acceptNew: false,
        connectTimeoutMs: 20_000,
      };
      const st = await remoteStatus(record, session, 5);
      assert.equal(st.running, true);
      assert.equal(st.why, 'leader');
      const stop = await runCli(['remote', 'stop', `127.0.0.1:${sshd.port}`, ...common]);
      assert.equal(stop.exit.code, 0, stop.describe());
      assert.equal(JSON.parse(stop.lines[0]).outcome, 'stopped');
      assert.deepEqual(groupMembers(res.pid), [], 'stop left processes behind');
      assert.deepEqual(findRecords(state, { host: '127.0.0.1' }), [], 'stop removes the record');
      // Once it is gone, the recorded PID is never signalled again.
      assert.equal((await remoteStatus(record, session, 5)).running, false);
      assert.equal((await remoteStop(record, session, 5_000)).outcome, 'notRunning');
    } finally {
      if (groupMembers(res.pid).length) process.kill(-res.pid, 'SIGKILL');
    }
  });

  test('permissionDenied: a remote command that is not executable', async (t) => {
    const { d, o } = await failing(t, 'permissionDenied', { remoteCommand: FAKE });
    assert.equal(d.stage, 'boot');
    nothingLeft(d, o);
  });

  test("badConf: the gateway's own file:line comes back, and the upload is removed", async (t) => {
    const up = path.join(tmp, 'up-bad');
    mkdirSync(up);
    writeFileSync(path.join(up, 'lib_chan.conf'), '{port, 0}.\n{service, x, password none}.\n');
    const { err, d, o } = await failing(t, 'badConf', { remoteCommand: GATEWAY, uploadDir: up, args: ['start', '--conf', 'lib_chan.conf', '--json'] });
    assert.equal(d.stage, 'init');
    assert.equal(d.exitStatus, 3);
    assert.match(String(err.details.file), /files\/lib_chan\.conf$/);
    assert.equal(err.details.line, 2);
    assert.ok(
      d.stderr.some((l) => l.includes('[badConf]')),
      d.stderr.join('\n'),
    );
    nothingLeft(d, o);
  });

  test('initTimeout: a gateway that never loads its conf is stopped with its whole group', async (t) => {
    const { d, o } = await failing(t, 'initTimeout', { remoteCommand: `sh ${FAKE} silent`, timeouts: { ...opts().timeouts, init: 1_000 } });
    assert.equal(d.stage, 'init');
    assert.ok(typeof d.pid === 'number');
    assert.match(d.cleanup, /stopped \(SIGTERM\)/);
    nothingLeft(d, o);
  });

  test('startupTimeout: initialized but never listening', async (t) => {
    const { d, o } = await failing(t, 'startupTimeout', { remoteCommand: `sh ${FAKE} init-only`, timeouts: { ...opts().timeouts, startup: 1_000 } });
    assert.equal(d.stage, 'startup');
    assert.equal(d.stagesMs.init !== undefined, true);
    assert.ok(
      d.stdout.some((l) => l.includes('fake: initialized')),
      d.stdout.join('\n'),
    );
    nothingLeft(d, o);
  });

  test('exitedEarly: the exit status and the last stderr line', async (t) => {
    const { d, o } = await failing(t, 'exitedEarly', { remoteCommand: `sh ${FAKE} exit7` });
    assert.equal(d.stage, 'startup');
    assert.equal(d.exitStatus, 7);
    // The last line is the gateway's own; lines before it may be the remote login shell's (a user's dotfiles:
    // here root's .bashrc runs `pyenv rehash`, which complains when two sessions race for its lock).
    assert.equal(d.stderr.at(-1), 'fake gateway: giving up', d.stderr.join('\n'));
    nothingLeft(d, o);
  });

  test('the SSH session drops mid-start: the remote watcher stops the group by itself', async (t) => {
    // The connection is cut as soon as the PID is reported, as when the local side is killed.
    const { connectSsh2 } = await import('../../src/cli/remote/ssh2-client.ts');
    const cutting: SshConnector = async (c) => {
      const conn = await connectSsh2(c);
      return {
        ...conn,
        async exec(cmd) {
          const p = await conn.exec(cmd);
          p.onStdout((chunk) => {
            if (/ PID \d+/.test(Buffer.from(chunk).toString())) conn.close();
          });
          return p;
        },
      };
    };
    const so = opts({ connector: cutting, remoteCommand: `sh ${FAKE} silent` });
    const err = await remoteStart(so).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof ChanError && err.code === 'connectionLost', String(err));
    const d = err.details as unknown as RemoteFailureDetails;
    assert.equal(d.stage, 'init');
    assert.equal(d.leftBehind, true, 'without the session the clean-up cannot be confirmed, and the report says so');
    timings.push(`connectionLost    stage init    after ${d.elapsedMs} ms (${t.name})`);
    const pid = d.pid!;
    // The watcher on the remote side saw its stdin end: it stops the group and removes the files.
    await waitFor(() => groupMembers(pid).length === 0 && !existsSync(so.remoteDir), `process group ${pid} and ${so.remoteDir} gone`);
  });

  test('hostKeyMismatch: another key pinned for the host', async (t) => {
    const kh = path.join(tmp, 'kh-mismatch');
    const other = readFileSync(`${sshd.otherKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    writeFileSync(kh, `[127.0.0.1]:${sshd.port} ${other}\n`);
    const { err, d } = await failing(t, 'hostKeyMismatch', { knownHostsFile: kh });
    assert.equal(d.stage, 'connect');
    assert.match(String(err.details.fingerprint), /^SHA256:/);
    assert.equal((err.details.pinned as string[]).length, 1, 'the pinned fingerprint is reported too');
    assert.equal(d.cleanup, 'nothing started');
  });

  test('unknownHostKey: refused by default; --accept-new pins it, says so, and the next connect matches', async (t) => {
    const kh = path.join(tmp, 'kh-empty');
    writeFileSync(kh, '# nothing pinned\n');
    const { d } = await failing(t, 'unknownHostKey', { knownHostsFile: kh });
    assert.equal(d.stage, 'connect');
    const said: string[] = [];
    const common = {
      target: { user: sshd.user, host: '127.0.0.1', port: sshd.port },
      auth: { keyFiles: [sshd.clientKey] },
      knownHostsFile: kh,
      connectTimeoutMs: 20_000,
    };
    (await openSession({ ...common, acceptNew: true, announce: (l) => said.push(l) })).close();
    assert.equal(said.length, 1);
    assert.match(said[0], /pinned the host key of \[127\.0\.0\.1\]:\d+ \(ssh-ed25519 SHA256:/);
    assert.ok(readFileSync(kh, 'utf8').includes(`[127.0.0.1]:${sshd.port} ${sshd.hostKey}`));
    (await openSession({ ...common, acceptNew: false })).close();
  });

  test('connectionRefused: nothing listens on the port', async (t) => {
    const port = await freePort();
    const { d } = await failing(t, 'connectionRefused', { target: { user: sshd.user, host: '127.0.0.1', port } });
    assert.equal(d.stage, 'connect');
  });

  test('connectTimeout: a port that accepts and never speaks SSH', async (t) => {
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const { d } = await failing(t, 'connectTimeout', {
        target: { user: sshd.user, host: '127.0.0.1', port },
        timeouts: { ...opts().timeouts, connect: 500 },
      });
      assert.equal(d.stage, 'connect');
    } finally {
      silent.close();
    }
  });

  test('authFail: a user that does not exist, and a key the server does not know', async (t) => {
    const a = await failing(t, 'authFail', { target: { user: 'no-such-user-xyz', host: '127.0.0.1', port: sshd.port } });
    assert.equal(a.d.stage, 'connect');
    const b = await failing(t, 'authFail', { auth: { keyFiles: [sshd.otherKey] } });
    assert.equal(b.d.stage, 'connect');
  });

  test('commandNotFound, through the CLI: its exit status, the remote PATH, and nothing created', async () => {
    const remoteDir = path.join(tmp, 'gw-cli');
    const cli = await runCli([
      'remote',
      'start',
      `${sshd.user}@127.0.0.1:${sshd.port}`,
      '--identity',
      sshd.clientKey,
      '--known-hosts',
      sshd.knownHosts,
      '--state-dir',
      path.join(tmp, 'state-cli'),
      '--remote-dir',
      remoteDir,
      '--remote-command',
      'no-such-lib-chan-xyz',
      '--json',
      '--',
      'start',
    ]);
    assert.equal(cli.exit.code, exitStatusFor('commandNotFound'), cli.describe());
    const j = JSON.parse(cli.lines[0]) as RemoteFailureDetails & { code: string };
    assert.equal(j.code, 'commandNotFound');
    assert.equal(j.stage, 'boot');
    assert.equal(j.exitStatus, 127);
    assert.ok(j.remotePath?.split(':').includes('/usr/bin'), j.remotePath);
    timings.push(`commandNotFound   stage boot    after ${j.elapsedMs} ms (through the CLI)`);
    assert.match(cli.stderr, /boot stage failed after \d+ ms \[commandNotFound\]/);
    assert.match(cli.stderr, /remote PATH: .*\/usr\/bin/);
    assert.match(cli.stderr, /left behind: nothing/);
    assert.equal(existsSync(remoteDir), false);
  });
});
