/**
 * Key text forms, fingerprints, key files and known-hosts lines: the pure
 * part (no file I/O; `keys-node.ts` reads and writes the files).
 *
 * | what                          | text form                                 |
 * |-------------------------------|-------------------------------------------|
 * | server identity, public       | `lcsk1:<base64url, 32 bytes X25519>`      |
 * | client key, public            | `lcck1:<base64url, 32 bytes Ed25519>`     |
 * | secret key file line          | `lcsk1-secret:<...>` / `lcck1-secret:<...>` (32 bytes: X25519 secret / Ed25519 seed) |
 * | fingerprint (for people)      | `SHA512:<base64, first 32 bytes of SHA-512(public key)>` |
 * | known-hosts line              | `<host>:<port> lcsk1:<...>`               |
 */
import { ChanError } from '../errors.ts';
import { type CryptoProvider, type KeyPair, tweetnaclProvider } from './crypto.ts';
import { fromBase64, toBase64 } from './base64.ts';

export const KEY_KINDS = {
  /** The server's static X25519 identity (the Noise `s`). */
  server: { prefix: 'lcsk1', what: 'server identity key (X25519)' },
  /** A client's Ed25519 login key (method `key`). */
  client: { prefix: 'lcck1', what: 'client login key (Ed25519)' },
} as const;
export type KeyKind = keyof typeof KEY_KINDS;

const KEY_BYTES = 32;
const FINGERPRINT_BYTES = 32;

/** `lcsk1:...` or `lcck1:...`: the public key as one copyable word. */
export function encodePublicKey(kind: KeyKind, publicKey: Uint8Array): string {
  return `${KEY_KINDS[kind].prefix}:${toBase64(publicKey, { url: true })}`;
}

/** Parse a public key text form; badArgument naming the problem when it is not one. */
export function decodePublicKey(kind: KeyKind, text: string): Uint8Array {
  const prefix = `${KEY_KINDS[kind].prefix}:`;
  const trimmed = text.trim();
  const raw = trimmed.startsWith(prefix) ? fromBase64(trimmed.slice(prefix.length)) : null;
  if (raw === null || raw.length !== KEY_BYTES) {
    throw new ChanError(
      'badArgument',
      `not a ${KEY_KINDS[kind].what} in text form: expected "${prefix}" and 43 base64url characters, got "${trimmed.slice(0, 60)}"`,
    );
  }
  return raw;
}

/** `SHA512:<base64>` of the first 256 bits of SHA-512(key), for people to compare (like ssh's SHA256:...). */
export function fingerprint(publicKey: Uint8Array, provider: CryptoProvider = tweetnaclProvider): string {
  return `SHA512:${toBase64(provider.sha512(publicKey).subarray(0, FINGERPRINT_BYTES), { pad: false })}`;
}

/** Key pair from the 32 secret bytes of a key file (X25519 secret or Ed25519 seed). */
export function keyPairFromSecret(kind: KeyKind, secret: Uint8Array, provider: CryptoProvider = tweetnaclProvider): KeyPair {
  return kind === 'server' ? provider.x25519Keypair(secret.slice()) : provider.ed25519Keypair(secret.slice());
}

/** The text of a secret key file. It names its public key in a comment so `cat` is enough to copy it. */
export function encodeSecretKeyFile(kind: KeyKind, secret: Uint8Array, provider: CryptoProvider = tweetnaclProvider): string {
  const pair = keyPairFromSecret(kind, secret, provider);
  const pub = encodePublicKey(kind, pair.publicKey);
  return [
    `# lib_chan ${KEY_KINDS[kind].what}. SECRET: keep this file mode 600 (chmod 600 <file>).`,
    `# public: ${pub}`,
    `# fingerprint: ${fingerprint(pair.publicKey, provider)}`,
    `${KEY_KINDS[kind].prefix}-secret:${toBase64(secret, { url: true })}`,
    '',
  ].join('\n');
}

/** Parse a secret key file's text; badConf naming the file when it holds no valid key line. */
export function parseSecretKeyFile(kind: KeyKind, text: string, file = '<key>'): Uint8Array {
  const tag = `${KEY_KINDS[kind].prefix}-secret:`;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const raw = line.startsWith(tag) ? fromBase64(line.slice(tag.length)) : null;
    if (raw === null || raw.length !== KEY_BYTES) {
      throw new ChanError('badConf', `${file}:${i + 1}: not a ${KEY_KINDS[kind].what} line (expected "${tag}" and 43 base64url characters)`, {
        details: { file, line: i + 1 },
      });
    }
    return raw;
  }
  throw new ChanError('badConf', `${file}: no "${tag}" line found`, { details: { file } });
}

// ---- known hosts (trust on first use) ----

export interface KnownHostEntry {
  /** `host:port` exactly as written (IPv6 as `[::1]:1234`). */
  hostport: string;
  keyText: string;
  /** 1-based line number in the file. */
  line: number;
}

export type KnownHostStatus = { status: 'match'; entry: KnownHostEntry } | { status: 'new' } | { status: 'mismatch'; entry: KnownHostEntry };

/**
 * Parse a known-hosts file: one `host:port key` per line, `#` comments and
 * blank lines ignored. Lines that do not parse are skipped (reported in
 * `bad`), as ssh does, so one damaged line cannot lock a user out silently.
 */
export function parseKnownHosts(text: string): { entries: KnownHostEntry[]; bad: number[] } {
  const entries: KnownHostEntry[] = [];
  const bad: number[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+)\s+(\S+)(\s+.*)?$/.exec(line);
    if (!m) {
      bad.push(i + 1);
      continue;
    }
    entries.push({ hostport: m[1], keyText: m[2], line: i + 1 });
  }
  return { entries, bad };
}

/**
 * The one host:port form of known_hosts, the clients and the CLI: lower
 * case, IPv6 in brackets (`[::1]:1234`, never `::1:1234`), brackets given
 * or not.
 */
export function formatHostPort(host: string, port: number): string {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return h.includes(':') ? `[${h}]:${port}` : `${h}:${port}`;
}

/**
 * A known-hosts `host:port` as formatHostPort writes it, so an entry in
 * another spelling still names its host: `::1:1234` (what clients before
 * the canonical form wrote for IPv6), `[::1]:1234`, `Example.org:1234`.
 */
export function canonicalHostPort(hostport: string): string {
  const m = /^(.*):(\d{1,5})$/.exec(hostport);
  return m ? formatHostPort(m[1], Number(m[2])) : hostport.toLowerCase();
}

export function formatKnownHostLine(hostport: string, publicKey: Uint8Array): string {
  return `${hostport} ${encodePublicKey('server', publicKey)}\n`;
}

/**
 * What the file says about `hostport` presenting `publicKey`: a line with the
 * same key is a match (a host may have several lines, as in ssh); otherwise
 * the first line for the host is a mismatch; no line is new.
 */
export function lookupKnownHost(entries: readonly KnownHostEntry[], hostport: string, publicKey: Uint8Array): KnownHostStatus {
  const text = encodePublicKey('server', publicKey);
  const want = canonicalHostPort(hostport);
  let first: KnownHostEntry | undefined;
  for (const e of entries) {
    if (canonicalHostPort(e.hostport) !== want) continue;
    if (e.keyText === text) return { status: 'match', entry: e };
    first ??= e;
  }
  return first ? { status: 'mismatch', entry: first } : { status: 'new' };
}

/** The ssh-like error for a changed server key: host, both fingerprints, and the line to edit. */
export function serverKeyMismatchError(
  hostport: string,
  oldKey: Uint8Array | string,
  newKey: Uint8Array,
  where: { file?: string; line?: number } = {},
  provider: CryptoProvider = tweetnaclProvider,
): ChanError {
  let oldFp: string;
  if (typeof oldKey === 'string') {
    try {
      oldFp = fingerprint(decodePublicKey('server', oldKey), provider);
    } catch {
      oldFp = `(unreadable key "${oldKey.slice(0, 60)}")`;
    }
  } else {
    oldFp = fingerprint(oldKey, provider);
  }
  const newFp = fingerprint(newKey, provider);
  const at = where.file ? `${where.file}${where.line ? `:${where.line}` : ''}` : 'the pin given to connect()';
  return new ChanError(
    'serverKeyMismatch',
    `WARNING: the server identity key of ${hostport} has CHANGED: someone may be intercepting the connection ` +
      `(man-in-the-middle), or the server's key was replaced. Expected ${oldFp}, got ${newFp}. ` +
      `Nothing was sent. If the change is legitimate, edit ${at} and replace the key with ${encodePublicKey('server', newKey)}.`,
    { details: { phase: 'reply', side: 'client', peer: hostport, expectedFingerprint: oldFp, actualFingerprint: newFp, file: where.file, line: where.line } },
  );
}
