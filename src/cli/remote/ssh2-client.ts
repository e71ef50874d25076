/**
 * SshConnection on the `ssh2` package (pure JavaScript). Imported only by defaultConnector()
 * in ssh.ts, so `ssh2` is loaded when a remote command runs and never by the server or client.
 *
 * ssh2's errors are mapped to our codes here and nowhere else: a refused or unreachable
 * port (the socket's errno), an authentication that ran out of methods
 * (`level: 'client-authentication'`), a host key our verifier refused (ssh2 reports only
 * "Host denied", so the verdict is kept from the verifier call), and our own deadline.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, ClientChannel, ConnectConfig, SFTPWrapper } from 'ssh2';
import { ChanError, type ErrorCode } from '../../errors.ts';
import { fingerprint, keyTypeOfBlob, type HostKeyVerdict } from './known-hosts.ts';
import type { RemoteExit, RemoteProcess, SshConnectOptions, SshConnection, UploadResult } from './ssh.ts';

/** Host key algorithms ssh2 offers for each known_hosts key type. */
function algorithmsFor(keyType: string): string[] {
  if (keyType === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  if (['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521'].includes(keyType)) return [keyType];
  return [];
}

const REFUSED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL']);

export async function connectSsh2(opts: SshConnectOptions): Promise<SshConnection> {
  const { target } = opts;
  const where = `${target.user}@${target.host}:${target.port}`;
  const methods: AnyAuthMethod[] = [];
  if (opts.auth.agent) methods.push({ type: 'agent', username: target.user, agent: opts.auth.agent });
  for (const file of opts.auth.keyFiles) {
    let key: Buffer;
    try {
      key = await readFile(file);
    } catch (e) {
      throw new ChanError('badArgument', `SSH key ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { details: { phase: 'connect' } });
    }
    const parsed = ssh2.utils.parseKey(key);
    if (parsed instanceof Error) {
      throw new ChanError(
        'badArgument',
        `SSH key ${file}: ${/passphrase/i.test(parsed.message) ? 'the key is encrypted; load it into ssh-agent (ssh-add) instead' : parsed.message}`,
        { details: { phase: 'connect' } },
      );
    }
    methods.push({ type: 'publickey', username: target.user, key });
  }
  if (methods.length === 0)
    throw new ChanError('badArgument', 'no SSH identity: give --identity KEY, or run ssh-agent (SSH_AUTH_SOCK)', { details: { phase: 'connect' } });

  const client = new ssh2.Client();
  let verdict: HostKeyVerdict | 'accepted' | undefined;
  let presented: Uint8Array | undefined;
  let verifyError: unknown;
  const prefer = (opts.preferHostKeyTypes ?? []).flatMap(algorithmsFor);
  const config: ConnectConfig = {
    host: target.host,
    port: target.port,
    username: target.user,
    authHandler: methods,
    // Our own deadline below covers the whole stage; ssh2's is only a backstop.
    readyTimeout: opts.timeoutMs + 1_000,
    keepaliveInterval: 0,
    hostVerifier: (key: Buffer): boolean => {
      presented = new Uint8Array(key);
      try {
        verdict = opts.verifyHostKey(presented);
      } catch (e) {
        // e.g. --accept-new could not write known_hosts: refuse the key, and say why.
        verifyError = e;
        return false;
      }
      return verdict === 'accepted' || verdict.result === 'match';
    },
    ...(prefer.length ? { algorithms: { serverHostKey: { prepend: prefer as never, append: [], remove: [] } } } : {}),
  };

  const fail = (code: ErrorCode, message: string, cause?: unknown, details: Record<string, unknown> = {}): ChanError =>
    new ChanError(code, message, { cause, details: { phase: 'connect', peer: where, ...details } });

  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        fail(
          'connectTimeout',
          `${where}: no SSH session within ${opts.timeoutMs} ms (${presented ? 'the host key was checked; authentication did not finish' : 'no SSH handshake'})`,
          undefined,
          { limit: opts.timeoutMs },
        ),
      );
      client.destroy();
    }, opts.timeoutMs);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
    client.once('error', (err: Error & { level?: string; code?: string }) => {
      clearTimeout(timer);
      client.destroy();
      if (verifyError !== undefined) {
        reject(fail('badArgument', `${where}: the host key could not be checked: ${(verifyError as Error).message}`, verifyError));
        return;
      }
      if (verdict !== undefined && verdict !== 'accepted' && verdict.result !== 'match' && presented) {
        const fp = fingerprint(presented);
        const type = keyTypeOfBlob(presented);
        if (verdict.result === 'unknown') {
          reject(
            fail(
              'unknownHostKey',
              `${where}: the host key is not in known_hosts (${type} ${fp}); check it out of band and add it, or pass --accept-new to pin it on first use`,
              err,
              { fingerprint: fp, keyType: type },
            ),
          );
        } else if (verdict.result === 'revoked') {
          reject(
            fail('hostKeyMismatch', `${where}: the host key ${type} ${fp} is marked @revoked in known_hosts (line ${verdict.line})`, err, {
              fingerprint: fp,
              keyType: type,
              line: verdict.line,
            }),
          );
        } else {
          reject(
            fail(
              'hostKeyMismatch',
              `${where}: the host key does not match known_hosts (presented ${type} ${fp}; pinned ${verdict.pinned.join(', ')} on line ${verdict.lines.join(', ')} of known_hosts). Someone may be intercepting the connection, or the host was reinstalled`,
              err,
              { fingerprint: fp, keyType: type, lines: verdict.lines, pinned: verdict.pinned },
            ),
          );
        }
        return;
      }
      if (err.level === 'client-authentication') {
        reject(
          fail(
            'authFail',
            `${where}: SSH authentication failed (${methods.map((m) => (m.type === 'agent' ? 'ssh-agent' : 'key')).join(', ')} refused for user ${target.user})`,
            err,
          ),
        );
      } else if (err.code !== undefined && REFUSED.has(err.code)) {
        reject(
          fail('connectionRefused', `${where}: ${err.code === 'ECONNREFUSED' ? 'connection refused (nothing listens on that port)' : err.message}`, err, {
            errno: err.code,
          }),
        );
      } else if (err.level === 'client-timeout') {
        reject(fail('connectTimeout', `${where}: ${err.message}`, err, { limit: opts.timeoutMs }));
      } else {
        reject(fail('connectionLost', `${where}: ${err.message}`, err));
      }
    });
  });
  client.connect(config);
  await ready;

  const ended = new Promise<void>((resolve) => client.once('close', () => resolve()));
  client.on('error', () => {
    // After 'ready' a socket error ends the connection; 'close' follows, and each exec sees its channel close.
  });

  return {
    ended,
    exec(command: string): Promise<RemoteProcess> {
      return new Promise((resolve, reject) => {
        client.exec(command, (err, ch) => {
          if (err) return reject(fail('connectionLost', `${where}: cannot run a command: ${err.message}`, err));
          resolve(wrapChannel(ch));
        });
      });
    },
    upload: (localDir, remoteDir) => upload(client, localDir, remoteDir, where),
    close() {
      client.end();
    },
  };
}

function wrapChannel(ch: ClientChannel): RemoteProcess {
  let exit: RemoteExit = { code: null, signal: null };
  ch.on('exit', (code: number | null, signal?: string) => {
    exit = { code: typeof code === 'number' ? code : null, signal: signal ?? null };
  });
  const closed = new Promise<RemoteExit>((resolve) => ch.once('close', () => resolve(exit)));
  return {
    onStdout: (f) => void ch.on('data', (b: Buffer) => f(b)),
    onStderr: (f) => void ch.stderr.on('data', (b: Buffer) => f(b)),
    write: (text) => void ch.write(text),
    end: () => void ch.end(),
    closed,
  };
}

/** SFTP status codes (draft-ietf-secsh-filexfer-02). */
const SFTP_NO_SUCH_FILE = 2;
const SFTP_PERMISSION_DENIED = 3;

async function upload(client: ssh2.Client, localDir: string, remoteDir: string, where: string): Promise<UploadResult> {
  const sftp = await new Promise<SFTPWrapper>((resolve, reject) => client.sftp((err, s) => (err ? reject(err) : resolve(s))));
  const result: UploadResult = { files: 0, bytes: 0, skipped: [] };
  const sftpError = (e: unknown, what: string): ChanError => {
    const code = (e as { code?: number }).code;
    return new ChanError(code === SFTP_PERMISSION_DENIED ? 'permissionDenied' : 'uploadFailed', `${where}: SFTP ${what}: ${(e as Error).message}`, {
      cause: e,
      details: { phase: 'upload', sftpStatus: code },
    });
  };
  const mkdir = (dir: string): Promise<void> =>
    new Promise((resolve, reject) => {
      sftp.mkdir(dir, { mode: 0o700 }, (err) => {
        if (!err) return resolve();
        // An existing folder fails as a generic failure; look before calling it an error.
        sftp.stat(dir, (e2, st) => (!e2 && st.isDirectory() ? resolve() : reject(sftpError(err, `mkdir ${dir}`))));
      });
    });
  const mkdirp = async (dir: string): Promise<void> => {
    const parts = dir.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join('/');
      if (p === '' || p === '.' || p === '~') continue;
      await mkdir(p);
    }
  };
  const put = (local: string, remote: string, mode: number): Promise<void> =>
    new Promise((resolve, reject) => {
      sftp.fastPut(local, remote, { mode: mode & 0o777 }, (err) => (err ? reject(sftpError(err, `put ${remote}`)) : resolve()));
    });
  const walk = async (local: string, remote: string): Promise<void> => {
    await mkdir(remote);
    for (const name of (await readdir(local)).sort()) {
      const l = path.join(local, name);
      const r = `${remote}/${name}`;
      const st = await lstat(l);
      if (st.isDirectory()) await walk(l, r);
      else if (st.isFile()) {
        await put(l, r, st.mode);
        result.files++;
        result.bytes += st.size;
      } else result.skipped.push(l);
    }
  };
  try {
    await mkdirp(path.posix.dirname(remoteDir));
    await walk(localDir, remoteDir);
  } catch (e) {
    if (e instanceof ChanError) throw e;
    const code = (e as { code?: number | string }).code;
    if (typeof code === 'number' && code !== SFTP_NO_SUCH_FILE) throw sftpError(e, 'upload');
    throw new ChanError('uploadFailed', `${where}: upload of ${localDir}: ${(e as Error).message}`, { cause: e, details: { phase: 'upload' } });
  } finally {
    sftp.end();
  }
  return result;
}
