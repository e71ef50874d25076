/**
 * OpenSSH known_hosts for `lib-chan remote`: is the SSH host key the server presents the one
 * the operator pinned? Reads the file format sshd(8) documents under SSH_KNOWN_HOSTS FILE FORMAT:
 * comma-separated host patterns (`*` and `?` wildcards, `!` negation, `[host]:port` for a port
 * other than 22), hashed names (`|1|salt|hash`, HMAC-SHA1), and the `@revoked` marker.
 * `@cert-authority` lines are not used (host certificates are not supported): they neither
 * match nor refuse.
 */
import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface KnownHostEntry {
  marker: 'revoked' | 'cert-authority' | undefined;
  /** The first field as written (patterns, or one hashed name). */
  hosts: string;
  keyType: string;
  /** The key blob, as in the file (base64). */
  key: string;
  line: number;
}

export type HostKeyVerdict =
  | { result: 'match'; line: number }
  | { result: 'mismatch'; knownTypes: string[]; lines: number[]; pinned: string[] }
  | { result: 'revoked'; line: number }
  | { result: 'unknown' };

export function defaultKnownHostsFile(env: Record<string, string | undefined> = process.env): string {
  return path.join(env.HOME ?? os.homedir(), '.ssh', 'known_hosts');
}

/** Bound on the file read: known_hosts files are a few KiB; a multi-MiB one is not a known_hosts file. */
const MAX_KNOWN_HOSTS_BYTES = 16 * 1024 * 1024;

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const fields = lines[i].trim().split(/\s+/);
    if (fields[0] === '' || fields[0].startsWith('#')) continue;
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') {
      marker = fields[0] === '@revoked' ? 'revoked' : 'cert-authority';
      fields.shift();
    } else if (fields[0].startsWith('@')) {
      continue; // an unknown marker: ignored, as ssh does
    }
    if (fields.length < 3) continue;
    out.push({ marker, hosts: fields[0], keyType: fields[1], key: fields[2], line: i + 1 });
  }
  return out;
}

/** The name ssh looks up: `host` on port 22, `[host]:port` otherwise. */
export function hostLookupName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function wildcard(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return re.test(name);
}

/** Does the hosts field of an entry name `name`? (A negated pattern that matches wins over the rest.) */
export function hostsFieldMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  let matched = false;
  for (const p of hosts.split(',')) {
    if (p.startsWith('!')) {
      if (wildcard(p.slice(1), name)) return false;
    } else if (wildcard(p, name)) {
      matched = true;
    }
  }
  return matched;
}

/** The key type written in an SSH public key blob (its first string). */
export function keyTypeOfBlob(blob: Uint8Array): string {
  if (blob.length < 4) return '';
  const n = new DataView(blob.buffer, blob.byteOffset, blob.byteLength).getUint32(0);
  if (n > blob.length - 4 || n > 64) return '';
  return new TextDecoder().decode(blob.subarray(4, 4 + n));
}

/** As ssh prints it: SHA256:base64 without padding. */
export function fingerprint(blob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Check the presented key against the entries for host:port. */
export function verifyHostKey(entries: KnownHostEntry[], host: string, port: number, blob: Uint8Array): HostKeyVerdict {
  const name = hostLookupName(host, port);
  const key = Buffer.from(blob).toString('base64');
  const mine = entries.filter((e) => e.marker !== 'cert-authority' && hostsFieldMatches(e.hosts, name));
  const revoked = mine.find((e) => e.marker === 'revoked' && e.key === key);
  if (revoked) return { result: 'revoked', line: revoked.line };
  const known = mine.filter((e) => e.marker === undefined);
  const hit = known.find((e) => e.key === key);
  if (hit) return { result: 'match', line: hit.line };
  if (known.length === 0) return { result: 'unknown' };
  return {
    result: 'mismatch',
    knownTypes: [...new Set(known.map((e) => e.keyType))],
    lines: known.map((e) => e.line),
    pinned: known.map((e) => fingerprint(Buffer.from(e.key, 'base64'))),
  };
}

/** The key types pinned for host:port (so the SSH negotiation asks for those first, as ssh does). */
export function knownKeyTypes(entries: KnownHostEntry[], host: string, port: number): string[] {
  const name = hostLookupName(host, port);
  return [...new Set(entries.filter((e) => e.marker === undefined && hostsFieldMatches(e.hosts, name)).map((e) => e.keyType))];
}

/** The entries of a known_hosts file; a missing file has none. */
export function readKnownHosts(file: string): KnownHostEntry[] {
  let text: string;
  try {
    const buf = readFileSync(file);
    if (buf.length > MAX_KNOWN_HOSTS_BYTES) throw new Error(`${file} is larger than ${MAX_KNOWN_HOSTS_BYTES} bytes`);
    text = buf.toString('utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return parseKnownHosts(text);
}

/** The line `--accept-new` appends (unhashed, so the operator can read what was pinned). */
export function knownHostsLine(host: string, port: number, blob: Uint8Array): string {
  return `${hostLookupName(host, port)} ${keyTypeOfBlob(blob)} ${Buffer.from(blob).toString('base64')}`;
}

export function appendKnownHost(file: string, host: string, port: number, blob: Uint8Array): string {
  const line = knownHostsLine(host, port, blob);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const cur = readFileSync(file, 'utf8');
    if (cur.length > 0 && !cur.endsWith('\n')) prefix = '\n';
  } catch {
    // a new file
  }
  appendFileSync(file, `${prefix}${line}\n`, { mode: 0o600 });
  return line;
}
