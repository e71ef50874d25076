/**
 * A real OpenSSH server for tests: `sshd -D -e` on 127.0.0.1 and a free port, with its own
 * config, a temporary ed25519 host key, and an authorized_keys file holding a temporary client
 * key (the login user is the one running the tests). Stopped by its PID.
 *
 * Without sshd (or ssh-keygen) a test is skipped loudly, except under CI=true, where it fails.
 * LIB_CHAN_NO_SSHD=1 pretends sshd is missing, to try that path.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { waitUntil } from './latch.ts';

export interface Sshd {
  port: number;
  /** The temp dir with every file below (removed by stop()). */
  dir: string;
  /** The host's public key as `type base64`. */
  hostKey: string;
  /** A client key the server accepts, and one it does not. */
  clientKey: string;
  otherKey: string;
  /** A known_hosts file that pins the host key for [127.0.0.1]:port. */
  knownHosts: string;
  user: string;
  /** Everything sshd printed (-e: its log on stderr). */
  log(): string;
  stop(): Promise<void>;
}

const SEARCH = ['/usr/sbin', '/usr/bin', '/sbin', '/usr/local/sbin', '/usr/local/bin'];

function find(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...SEARCH]) {
    try {
      accessSync(path.join(dir, name), constants.X_OK);
      return path.join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Why sshd cannot be used here, or undefined when it can. */
export function sshdMissing(): string | undefined {
  if (process.env.LIB_CHAN_NO_SSHD === '1') return 'LIB_CHAN_NO_SSHD=1 (to try the no-sshd path)';
  const missing = ['sshd', 'ssh-keygen', 'setsid', 'ps'].filter((n) => find(n) === undefined);
  return missing.length ? `${missing.join(', ')} not found` : undefined;
}

/** A loud banner and the skip message; under CI=true it throws, so the test fails instead. */
export function announceNoSshd(what: string, why: string): string {
  const msg = `OpenSSH is needed: ${why}. Install it (apt-get install openssh-server).`;
  if (process.env.CI === 'true') throw new Error(`${msg} CI=true: not skipping.`);
  process.stderr.write(`\n${'!'.repeat(78)}\n!! SKIPPING ${what}: ${msg}\n${'!'.repeat(78)}\n\n`);
  return `SKIPPED (no sshd): ${why}`;
}

/** True when sshd can be used for test `t`; otherwise `t` is skipped loudly. */
export function requireSshd(t: TestContext): boolean {
  const why = sshdMissing();
  if (why === undefined) return true;
  t.skip(announceNoSshd(t.name, why));
  return false;
}

function keygen(file: string, comment: string): string {
  const r = spawnSync(find('ssh-keygen')!, ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  return readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
}

/** A port nothing listens on at the time of the call (bound on port 0, then closed). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export async function startSshd(): Promise<Sshd> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lib_chan-sshd-'));
  try {
    const hostKey = keygen(path.join(dir, 'host_ed25519'), 'test-host');
    const clientPub = keygen(path.join(dir, 'client_ed25519'), 'test-client');
    keygen(path.join(dir, 'other_ed25519'), 'test-other');
    writeFileSync(path.join(dir, 'authorized_keys'), `${clientPub}\n`, { mode: 0o600 });
    // Privilege separation wants this directory to exist (Debian creates it at boot for the system sshd).
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    // The port comes from a bind on port 0; if another process takes it before sshd does, try again.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const conf = path.join(dir, 'sshd_config');
      writeFileSync(
        conf,
        [
          `ListenAddress 127.0.0.1:${port}`,
          `HostKey ${path.join(dir, 'host_ed25519')}`,
          `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
          `PidFile ${path.join(dir, 'sshd.pid')}`,
          'UsePAM no',
          'PasswordAuthentication no',
          'KbdInteractiveAuthentication no',
          'PermitRootLogin prohibit-password',
          'StrictModes no',
          'MaxStartups 100',
          'MaxSessions 100',
          'PerSourceMaxStartups none',
          'LogLevel VERBOSE',
          'Subsystem sftp internal-sftp',
          '',
        ].join('\n'),
      );
      const proc = spawn(find('sshd')!, ['-f', conf, '-D', '-e'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let log = '';
      let exited = false;
      const waiters = new Set<() => void>();
      proc.stderr!.setEncoding('utf8');
      proc.stderr!.on('data', (c: string) => {
        log += c;
        for (const w of [...waiters]) w();
      });
      proc.once('exit', () => {
        exited = true;
        for (const w of [...waiters]) w();
      });
      try {
        await waitUntil(waiters, () => (/Server listening on 127\.0\.0\.1 port/.test(log) ? true : undefined), {
          what: 'sshd listening',
          ms: 10_000,
          exited: () => exited,
          describe: () => log,
          name: 'sshd',
        });
      } catch (e) {
        await kill(proc);
        if (attempt < 3 && /Address already in use/.test(log)) continue;
        throw e;
      }
      const user = os.userInfo().username;
      const knownHosts = path.join(dir, 'known_hosts');
      writeFileSync(knownHosts, `[127.0.0.1]:${port} ${hostKey}\n`);
      return {
        port,
        dir,
        hostKey,
        user,
        knownHosts,
        clientKey: path.join(dir, 'client_ed25519'),
        otherKey: path.join(dir, 'other_ed25519'),
        log: () => log,
        async stop() {
          await kill(proc);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Stop sshd by its PID (SIGTERM; the sessions it forked run as their own processes and end with their clients). */
function kill(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.once('exit', () => resolve());
    process.kill(proc.pid!, 'SIGTERM');
  });
}
