/**
 * Node-only: key files and the known-hosts file (formats in keys.ts).
 *
 * - A secret key file is created with mode 0600 and never overwritten; it is
 *   refused at load time when group or others may read it (badConf telling
 *   the user to `chmod 600 <file>`), as ssh refuses an open private key.
 *   It is also refused when another user owns it (root excepted), as ssh does.
 * - The known-hosts file pins each server's identity key on first use. A
 *   different key later is serverKeyMismatch naming the host, both
 *   fingerprints and the file and line to edit; the file is not touched.
 *   Nothing is ever re-pinned silently. A known-hosts file (or its
 *   directory) that others may write, or that another user owns, is refused:
 *   whoever can write it chooses which servers the client trusts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChanError } from '../errors.ts';
import { bytesEqual } from '../wire/bytes.ts';
import { type CryptoProvider, type KeyPair, tweetnaclProvider } from './crypto.ts';
import {
  type KeyKind,
  KEY_KINDS,
  decodePublicKey,
  canonicalHostPort,
  encodeSecretKeyFile,
  fingerprint,
  formatKnownHostLine,
  keyPairFromSecret,
  lookupKnownHost,
  parseKnownHosts,
  parseSecretKeyFile,
  serverKeyMismatchError,
} from './keys.ts';

const SECRET_BYTES = 32;
/** Permission bits for group and others. */
const GROUP_OTHER = 0o077;
/** Write permission for others. */
const OTHER_WRITE = 0o002;

const POSIX = process.platform !== 'win32';

/** Owned by someone other than this user and root (a file another account could have planted). */
function foreignOwner(st: fs.Stats): boolean {
  const uid = process.getuid?.();
  return POSIX && uid !== undefined && st.uid !== uid && st.uid !== 0;
}

function fsError(err: unknown, file: string, what: string): ChanError {
  const code = (err as NodeJS.ErrnoException)?.code ?? 'error';
  return new ChanError('badConf', `${file}: cannot ${what} (${code})`, { details: { file }, cause: err });
}

/**
 * Create a new secret key file (mode 0600; an existing file is an error,
 * never overwritten) and return its key pair.
 */
export function generateKeyFile(file: string, kind: KeyKind, provider: CryptoProvider = tweetnaclProvider): KeyPair {
  const secret = provider.randomBytes(SECRET_BYTES);
  const text = encodeSecretKeyFile(kind, secret, provider);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    fs.writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ChanError('badConf', `${file} already exists; refusing to overwrite a key (move it away first)`, { details: { file } });
    }
    throw fsError(err, file, 'write');
  }
  return keyPairFromSecret(kind, secret, provider);
}

/**
 * Load a secret key file. Refused (badConf) when group or others have any
 * permission on it, on systems with POSIX modes.
 */
export function loadKeyFile(file: string, kind: KeyKind, provider: CryptoProvider = tweetnaclProvider): KeyPair {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw fsError(err, file, 'open the key file');
  }
  try {
    const st = fs.fstatSync(fd);
    if (POSIX && (st.mode & GROUP_OTHER) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
      throw new ChanError('badConf', `${file}: ${KEY_KINDS[kind].what} file is accessible by group or others (mode ${mode}); run: chmod 600 ${file}`, {
        details: { file, mode },
      });
    }
    if (foreignOwner(st)) {
      throw new ChanError('badConf', `${file}: ${KEY_KINDS[kind].what} file belongs to another user (uid ${st.uid}); use a key file of your own`, {
        details: { file, uid: st.uid },
      });
    }
    const text = fs.readFileSync(fd, 'utf8');
    return keyPairFromSecret(kind, parseSecretKeyFile(kind, text, file), provider);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Trust on first use: 'match' when `file` pins `publicKey` for `hostport`;
 * 'new' when the host is not in the file, after appending a line that pins
 * it (the file and its directory are created when missing); and
 * serverKeyMismatch, leaving the file unchanged, when the host is pinned to
 * another key.
 */
export function checkKnownHost(
  file: string,
  hostport: string,
  publicKey: Uint8Array,
  provider: CryptoProvider = tweetnaclProvider,
  firstUse: FirstUse = {},
): 'match' | 'new' {
  if (/\s/.test(hostport) || hostport === '') throw new ChanError('badArgument', `host "${hostport}" cannot be written to a known-hosts file`);
  const text = readKnownHosts(file);
  const found = lookupKnownHost(parseKnownHosts(text).entries, hostport, publicKey);
  if (found.status === 'match') return 'match';
  if (found.status === 'mismatch') {
    throw serverKeyMismatchError(hostport, found.entry.keyText, publicKey, { file, line: found.entry.line }, provider);
  }
  const fp = fingerprint(publicKey, provider);
  if (firstUse.refuse) {
    throw new ChanError(
      'unknownServerKey',
      `${hostport} presented key ${fp}, which ${file} does not list, and trust on first use is off: pin the key (serverKey, or lib_chan status ${hostport} to add it) after checking it with the server's operator`,
      {
        details: { peer: hostport, file, fingerprint: fp },
      },
    );
  }
  // May throw to refuse: then nothing is written.
  firstUse.onNew?.({ hostport, publicKey, fingerprint: fp, file });
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const sep = text === '' || text.endsWith('\n') ? '' : '\n';
    fs.appendFileSync(file, sep + formatKnownHostLine(hostport, publicKey), { mode: 0o644 });
  } catch (err) {
    throw fsError(err, file, 'append to the known-hosts file');
  }
  return 'new';
}

/**
 * The key `file` lists first for `hostport`, or undefined (no file, no entry,
 * unreadable or malformed: checkKnownHost reports those when it matters).
 * A hint only, read before the connection exists: the client computes its
 * es with it while the reply is on its way; checkKnownHost still decides.
 */
export function knownHostKey(file: string, hostport: string): Uint8Array | undefined {
  try {
    const want = canonicalHostPort(hostport);
    const entry = parseKnownHosts(readKnownHosts(file)).entries.find((e) => canonicalHostPort(e.hostport) === want);
    return entry ? decodePublicKey('server', entry.keyText) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A `checkKey` for clientOnReply that pins through `file` (see
 * checkKnownHost). `listed`: the key knownHostKey read from the file for this
 * host just before connecting; the same key presented is a match without
 * reading the file again, anything else is checked against the file as it is now.
 */
export function knownHostsChecker(
  file: string,
  hostport: string,
  provider?: CryptoProvider,
  listed?: Uint8Array,
  firstUse?: FirstUse,
): (serverKey: Uint8Array) => void {
  return (serverKey) => {
    if (listed !== undefined && bytesEqual(listed, serverKey)) return;
    checkKnownHost(file, hostport, serverKey, provider, firstUse);
  };
}

/** What a key seen for the first time (no line for its host) is told to, before it is pinned. */
export interface FirstUse {
  /** Refuse it (unknownServerKey) instead of pinning it. */
  refuse?: boolean;
  /** Announce it; throw to refuse (nothing is written then). */
  onNew?: (info: FirstUseInfo) => void;
}

export interface FirstUseInfo {
  /** The canonical `host:port` (`[::1]:1234`) the key is pinned under. */
  hostport: string;
  publicKey: Uint8Array;
  /** `SHA512:...` (truncated), as `lib_chan status` prints it. */
  fingerprint: string;
  file: string;
}

/**
 * The known-hosts text ('' when the file does not exist), refused (badConf)
 * when others may write the file or its directory, or another user owns it.
 */
function readKnownHosts(file: string): string {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw fsError(err, file, 'read the known-hosts file');
  }
  try {
    if (POSIX) {
      const st = fs.fstatSync(fd);
      const dir = fs.statSync(path.dirname(file));
      const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
      if ((st.mode & OTHER_WRITE) !== 0) {
        throw new ChanError(
          'badConf',
          `${file}: the known-hosts file is writable by others (mode ${mode}), so anyone could pin a server key for you; run: chmod 644 ${file}`,
          { details: { file, mode } },
        );
      }
      if ((dir.mode & OTHER_WRITE) !== 0 && (dir.mode & 0o1000) === 0) {
        throw new ChanError(
          'badConf',
          `${file}: its directory is writable by others, so anyone could replace it; move it, or run: chmod o-w ${path.dirname(file)}`,
          { details: { file } },
        );
      }
      if (foreignOwner(st)) {
        throw new ChanError('badConf', `${file}: the known-hosts file belongs to another user (uid ${st.uid}); use one of your own`, {
          details: { file, uid: st.uid },
        });
      }
    }
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}
