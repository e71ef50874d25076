/**
 * The remote start driver against an in-memory SshConnection (the SshConnector interface), for
 * the failures a real sshd cannot be made to produce on demand: a remote side that never reports
 * its PID (bootTimeout) and an upload that never finishes (uploadFailed). Each must still run
 * the clean-up and say what it did.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChanError } from '../../src/errors.ts';
import { defaultConnector, remoteStart, type RemoteFailureDetails, type RemoteStartOptions } from '../../src/cli/remote/start.ts';
import type { RemoteExit, RemoteProcess, SshConnection, SshConnector } from '../../src/cli/remote/ssh.ts';

/** A remote process that answers what the script would: `say(line)` on stdout, `exit()` closes the channel. */
class FakeProcess implements RemoteProcess {
  private out: Array<(c: Uint8Array) => void> = [];
  readonly stdin: string[] = [];
  private resolveClosed!: (e: RemoteExit) => void;
  readonly closed = new Promise<RemoteExit>((r) => (this.resolveClosed = r));
  constructor(
    readonly command: string,
    private readonly onStdin: (p: FakeProcess, text: string) => void = () => {},
  ) {}
  onStdout(f: (c: Uint8Array) => void): void {
    this.out.push(f);
  }
  onStderr(): void {}
  write(text: string): void {
    this.stdin.push(text);
    this.onStdin(this, text);
  }
  end(): void {}
  say(line: string): void {
    for (const f of this.out) f(new TextEncoder().encode(`${line}\n`));
  }
  exit(code: number | null): void {
    this.resolveClosed({ code, signal: null });
  }
  /** The script's marker nonce (its first line is `N=<nonce>; ...`). */
  get nonce(): string {
    return /N=([0-9a-f]+);/.exec(this.command)?.[1] ?? '';
  }
}

function fakeConnector(o: { upload?: () => Promise<never>; exec: (p: FakeProcess) => void; onStdin?: (p: FakeProcess, text: string) => void }): {
  connector: SshConnector;
  procs: FakeProcess[];
} {
  const procs: FakeProcess[] = [];
  const connector: SshConnector = async () => {
    const conn: SshConnection = {
      ended: new Promise(() => {}),
      async exec(command) {
        const p = new FakeProcess(command, o.onStdin);
        procs.push(p);
        setImmediate(() => o.exec(p));
        return p;
      },
      upload: o.upload ?? (async () => ({ files: 0, bytes: 0, skipped: [] })),
      close() {},
    };
    return conn;
  };
  return { connector, procs };
}

function opts(connector: SshConnector, o: Partial<RemoteStartOptions> = {}): RemoteStartOptions {
  return {
    target: { user: 'u', host: 'h.example', port: 22 },
    auth: { keyFiles: [] },
    knownHostsFile: '/nonexistent/known_hosts',
    acceptNew: false,
    connectTimeoutMs: 1_000,
    timeouts: { connect: 1_000, upload: 1_000, boot: 1_000, init: 1_000, startup: 1_000 },
    remoteCommand: 'lib-chan',
    remoteDir: '.lib-chan/remote/t',
    args: ['start', '--json'],
    infoLogs: true,
    stopGraceMs: 1_000,
    outputLines: 20,
    maxLineBytes: 1024,
    connector,
    ...o,
  };
}

async function failure(p: Promise<unknown>): Promise<ChanError & { details: RemoteFailureDetails }> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  assert.ok(e instanceof ChanError, String(e));
  return e as ChanError & { details: RemoteFailureDetails };
}

test('bootTimeout: no PID in time; the watcher is told to stop and its answer is reported', async () => {
  const { connector, procs } = fakeConnector({
    exec: (p) => p.say(`${p.nonce} PATH /usr/bin:/bin`),
    onStdin: (p, text) => {
      if (text === 'stop\n') {
        p.say(`${p.nonce} GONE 4242 TERM`);
        p.exit(0);
      }
    },
  });
  const e = await failure(remoteStart(opts(connector, { timeouts: { connect: 1_000, upload: 1_000, boot: 50, init: 1_000, startup: 1_000 } })));
  assert.equal(e.code, 'bootTimeout');
  assert.equal(e.details.stage, 'boot');
  assert.equal(e.details.leftBehind, false);
  assert.match(e.details.cleanup, /4242 stopped/);
  assert.deepEqual(procs[0].stdin, ['stop\n']);
});

test('uploadFailed: an upload that never finishes times out, and the partial upload is removed', async () => {
  const { connector, procs } = fakeConnector({ upload: () => new Promise<never>(() => {}), exec: (p) => p.exit(0) });
  const e = await failure(
    remoteStart(opts(connector, { uploadDir: '/tmp', timeouts: { connect: 1_000, upload: 50, boot: 1_000, init: 1_000, startup: 1_000 } })),
  );
  assert.equal(e.code, 'uploadFailed');
  assert.equal(e.details.stage, 'upload');
  assert.equal(procs.length, 1, 'one clean-up command, no start');
  assert.match(procs[0].command, /rm -rf/);
  assert.equal(e.details.leftBehind, false);
  assert.match(e.details.cleanup, /uploaded files were removed/);
});

test('a watcher that never confirms the stop is reported as possibly left behind', async () => {
  // The session ends without the watcher's answer.
  const { connector } = fakeConnector({ exec: (p) => p.say(`${p.nonce} PID 77`), onStdin: (p) => p.exit(null) });
  const e = await failure(remoteStart(opts(connector, { stopGraceMs: 0, timeouts: { connect: 1_000, upload: 1_000, boot: 1_000, init: 50, startup: 1_000 } })));
  assert.equal(e.code, 'initTimeout');
  assert.equal(e.details.pid, 77);
  assert.equal(e.details.leftBehind, true);
  assert.match(e.details.cleanup, /no confirmation/);
});

test('badArgument before connecting: a key file that cannot be read, or no identity at all', async () => {
  const connector = await defaultConnector();
  const missing = await failure(remoteStart(opts(connector, { auth: { keyFiles: ['/nonexistent/id_ed25519'] } })));
  assert.equal(missing.code, 'badArgument');
  assert.equal(missing.details.stage, 'connect');
  assert.equal(missing.details.cleanup, 'nothing started');
  const none = await failure(remoteStart(opts(connector, { auth: { keyFiles: [] } })));
  assert.equal(none.code, 'badArgument');
  assert.match(none.message, /no SSH identity/);
});
