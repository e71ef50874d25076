/** `lib-chan keygen`, `passwd` and `status`: keys, password hashes, and a look at a live server. */
import { readFile } from 'node:fs/promises';
import { nodeProvider } from '../auth/crypto-node.ts';
import { generateKeyFile, checkKnownHost } from '../auth/keys-node.ts';
import { encodePublicKey, fingerprint, formatHostPort } from '../auth/keys.ts';
import { hashPassword } from '../auth/password-hash-node.ts';
import { clientOnReply, clientStart } from '../auth/secure/handshake.ts';
import { ChanError } from '../errors.ts';
import { connectTcp } from '../transport/tcp.ts';
import { DEFAULT_LIMITS } from '../limits.ts';
import { FrameWaiter, withDeadline } from '../client/frame-waiter.ts';
import { defaultKnownHostsFile } from '../client/secure-node.ts';
import { EXIT, UsageError, type CliIO, type Command } from './command.ts';

export const keygenCommand: Command = {
  summary: 'create a key file (server identity, or a client login key) and print its public key',
  usage: 'lib-chan keygen --out FILE [--client]',
  options: { out: { type: 'string', short: 'o' }, client: { type: 'boolean' } },
  help: [
    'Writes a new secret key file with mode 0600 (an existing file is never overwritten) and prints',
    'the public key in its copyable text form, and its fingerprint.',
    '  server key (default): name it in the conf with {identity, "FILE"}; clients pin the printed lcsk1:... key.',
    "  --client: an Ed25519 login key; list the printed lcck1:... key in the service's {client_keys, [...]}",
    '            and connect with { clientKeyFile: FILE } (or lib-chan call --client-key FILE).',
  ].join('\n'),
  async run(v, _pos, io) {
    if (typeof v.out !== 'string') throw new UsageError('--out FILE is required');
    const kind = v.client ? 'client' : 'server';
    const pair = generateKeyFile(v.out, kind, nodeProvider);
    io.stdout.write(`${encodePublicKey(kind, pair.publicKey)}\n`);
    io.stderr.write(`wrote ${v.out} (mode 0600); fingerprint ${fingerprint(pair.publicKey, nodeProvider)}\n`);
    return EXIT.ok;
  },
};

export const passwdCommand: Command = {
  summary: 'print a salted scrypt hash of a password, for the conf',
  usage: 'lib-chan passwd [--password-file F]',
  options: { 'password-file': { type: 'string' } },
  help: [
    'Reads the password from --password-file, or the first line of standard input, and prints the term',
    'to put in place of the plaintext password in a service entry:',
    '  {service, nameServer, password, {scrypt, "scrypt$..."}, mfa, mod_name_server, start_me_up, notUsed}.',
    'A hashed password works with the secure protocol only (the legacy MD5 login needs the plaintext).',
  ].join('\n'),
  async run(v, _pos, io) {
    let pw: string;
    if (typeof v['password-file'] === 'string') {
      try {
        pw = await readFile(v['password-file'], 'utf8');
      } catch (e) {
        throw new ChanError('badArgument', `--password-file ${v['password-file']}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
      }
    } else {
      if (io.stdin.isTTY) io.stderr.write('password (one line; it is echoed, prefer --password-file or a pipe): ');
      pw = await readStdin(io.stdin);
    }
    pw = pw.replace(/\r?\n$/, '');
    if (pw === '') throw new UsageError('empty password');
    io.stdout.write(`{scrypt, "${await hashPassword(pw)}"}\n`);
    return EXIT.ok;
  },
};

export const statusCommand: Command = {
  summary: 'check that a server answers, and show its identity key and how it compares with known_hosts',
  usage: 'lib-chan status HOST:PORT [--known-hosts FILE]',
  options: { 'known-hosts': { type: 'string' } },
  help: "Opens a secure handshake up to the server's proof of its key (no login), prints the key, its fingerprint and whether the known-hosts file pins it. Exit 0 when the server answers, 1 when not or when the key does not match the pin.",
  async run(v, pos, io) {
    if (pos.length !== 1) throw new UsageError('expected HOST:PORT');
    const m = /^(.*):(\d+)$/.exec(pos[0]);
    if (!m) throw new UsageError(`"${pos[0]}" is not HOST:PORT`);
    const host = m[1].replace(/^\[(.*)\]$/, '$1');
    if (Number(m[2]) < 1 || Number(m[2]) > 65535) throw new UsageError(`port ${m[2]} is not 1..65535`);
    const started = Date.now();
    const t = await connectTcp(host, Number(m[2]), { maxFrameBytes: DEFAULT_LIMITS.maxFrameBytes, timeoutMs: DEFAULT_LIMITS.connectTimeoutMs });
    const waiter = new FrameWaiter(t);
    const key = await withDeadline(t, DEFAULT_LIMITS.connectTimeoutMs, 'status', async () => {
      const hello = clientStart({ provider: nodeProvider });
      t.send(hello.out);
      const r = clientOnReply(hello.state, await waiter.next());
      return r.serverKey;
    });
    t.destroy();
    const file = (v['known-hosts'] as string | undefined) ?? defaultKnownHostsFile(io.env);
    let pin: string;
    try {
      pin =
        checkKnownHost(file, formatHostPort(host, Number(m[2])), key, nodeProvider) === 'match'
          ? `matches the pin in ${file}`
          : `was not known; now pinned in ${file}`;
    } catch (e) {
      if (e instanceof ChanError && e.code === 'serverKeyMismatch') {
        io.stdout.write(`${pos[0]}: answers (secure v1), but ${e.message}\n`);
        return EXIT.failed;
      }
      throw e;
    }
    io.stdout.write(
      `${pos[0]}: answers (secure v1) in ${Date.now() - started} ms\n  key ${encodePublicKey('server', key)}\n  fingerprint ${fingerprint(key, nodeProvider)}\n  ${pin}\n`,
    );
    return EXIT.ok;
  },
};

async function readStdin(stdin: CliIO['stdin']): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stdin) {
    chunks.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c));
    if (Buffer.concat(chunks).includes(10)) break;
  }
  return Buffer.concat(chunks).toString('utf8').split('\n')[0];
}
