import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tweetnaclProvider } from '../../src/auth/crypto.ts';
import { checkKnownHost, generateKeyFile, knownHostKey, knownHostsChecker, loadKeyFile } from '../../src/auth/keys-node.ts';
import {
  decodePublicKey,
  encodePublicKey,
  encodeSecretKeyFile,
  fingerprint,
  formatHostPort,
  parseKnownHosts,
  parseSecretKeyFile,
} from '../../src/auth/keys.ts';
import { hashPassword, verifyPasswordHash } from '../../src/auth/password-hash-node.ts';
import { isPasswordHash, parsePasswordHash } from '../../src/auth/password-hash.ts';
import { ChanError, isChanError } from '../../src/errors.ts';
import { clientOnReply, clientStart, serverOnHello } from '../../src/auth/secure/handshake.ts';
import { SERVER_IDENTITY, seq } from './auth-fixtures.ts';

const made: string[] = [];
function tmpdir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lib-chan-keys-'));
  made.push(dir);
  return dir;
}
after(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

const KEY_A = tweetnaclProvider.x25519Keypair(seq(32, 1)).publicKey;
const KEY_B = tweetnaclProvider.x25519Keypair(seq(32, 2)).publicKey;

test('keys - public key text forms round-trip; bad text is badArgument', () => {
  const text = encodePublicKey('server', KEY_A);
  assert.match(text, /^lcsk1:[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(decodePublicKey('server', text), KEY_A);
  assert.match(encodePublicKey('client', KEY_A), /^lcck1:/);
  for (const bad of ['', 'lcsk1:', text.slice(0, -1), text.replace('lcsk1', 'lcck1'), `${text}AA`, 'lcsk1:!!!']) {
    assert.throws(
      () => decodePublicKey('server', bad),
      (e) => isChanError(e, 'badArgument'),
      bad,
    );
  }
  assert.match(fingerprint(KEY_A), /^SHA512:[A-Za-z0-9+/]{43}$/);
  assert.notEqual(fingerprint(KEY_A), fingerprint(KEY_B));
  assert.equal(formatHostPort('::1', 1234), '[::1]:1234');
  assert.equal(formatHostPort('example.org', 1234), 'example.org:1234');
});

test('keys - a generated key file is mode 0600, loads back, and is never overwritten', () => {
  const dir = tmpdir();
  const file = path.join(dir, 'sub', 'server.key');
  const pair = generateKeyFile(file, 'server');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(loadKeyFile(file, 'server'), pair);
  assert.match(fs.readFileSync(file, 'utf8'), new RegExp(encodePublicKey('server', pair.publicKey)));
  assert.throws(
    () => generateKeyFile(file, 'server'),
    (e) => isChanError(e, 'badConf'),
  );
  assert.deepEqual(loadKeyFile(file, 'server'), pair);
  const clientFile = path.join(dir, 'client.key');
  const client = generateKeyFile(clientFile, 'client');
  assert.equal(client.secretKey.length, 64);
  assert.deepEqual(loadKeyFile(clientFile, 'client'), client);
  assert.throws(
    () => loadKeyFile(clientFile, 'server'),
    (e) => isChanError(e, 'badConf'),
  );
});

test('keys - a key file readable by group or others is refused, naming chmod 600', { skip: process.platform === 'win32' }, () => {
  const file = path.join(tmpdir(), 'server.key');
  fs.writeFileSync(file, encodeSecretKeyFile('server', seq(32, 5)), { mode: 0o644 });
  fs.chmodSync(file, 0o644);
  assert.throws(
    () => loadKeyFile(file, 'server'),
    (e) => isChanError(e, 'badConf') && e.message.includes(`chmod 600 ${file}`) && e.details.file === file,
  );
  fs.chmodSync(file, 0o640);
  assert.throws(
    () => loadKeyFile(file, 'server'),
    (e) => isChanError(e, 'badConf'),
  );
  fs.chmodSync(file, 0o600);
  assert.deepEqual(loadKeyFile(file, 'server').secretKey, seq(32, 5));
  assert.throws(
    () => loadKeyFile(path.join(path.dirname(file), 'missing.key'), 'server'),
    (e) => isChanError(e, 'badConf'),
  );
});

test('keys - a damaged key file is badConf with file and line', () => {
  assert.throws(
    () => parseSecretKeyFile('server', '# c\nlcsk1-secret:abc\n', 'k.key'),
    (e) => isChanError(e, 'badConf') && e.details.line === 2,
  );
  assert.throws(
    () => parseSecretKeyFile('server', '# only comments\n', 'k.key'),
    (e) => isChanError(e, 'badConf'),
  );
});

test('known hosts - knownHostKey gives the key listed for a host (a hint to compute es ahead), else undefined', () => {
  const dir = tmpdir();
  const file = path.join(dir, 'known_hosts');
  assert.equal(knownHostKey(file, 'example.org:1234'), undefined, 'no file');
  checkKnownHost(file, 'example.org:1234', KEY_A);
  checkKnownHost(file, 'other.org:1234', KEY_B);
  assert.deepEqual(knownHostKey(file, 'example.org:1234'), KEY_A);
  assert.deepEqual(knownHostKey(file, 'other.org:1234'), KEY_B);
  assert.equal(knownHostKey(file, 'example.org:1235'), undefined, 'the port is part of the name');
  fs.appendFileSync(file, 'broken.org:1 not-a-key\n');
  assert.equal(knownHostKey(file, 'broken.org:1'), undefined, 'a malformed key is no hint (checkKnownHost reports it)');
  assert.equal(knownHostKey(dir, 'example.org:1234'), undefined, 'unreadable (a directory)');
});

test('known hosts - the checker trusts the key it was given as listed only when that very key is presented', () => {
  const file = path.join(tmpdir(), 'known_hosts');
  checkKnownHost(file, 'example.org:1234', KEY_A);
  const listed = knownHostKey(file, 'example.org:1234');
  fs.rmSync(file);
  // The same key: a match from the read before connecting, the file is not touched (it would be re-created by a TOFU append).
  knownHostsChecker(file, 'example.org:1234', undefined, listed)(KEY_A);
  assert.equal(fs.existsSync(file), false);
  // Another key: checked against the file as it is now (here: gone, so first use, appended).
  knownHostsChecker(file, 'example.org:1234', undefined, listed)(KEY_B);
  assert.deepEqual(knownHostKey(file, 'example.org:1234'), KEY_B);
  // And against a file that lists the host with another key: serverKeyMismatch.
  assert.throws(
    () => knownHostsChecker(file, 'example.org:1234', undefined, KEY_A)(KEY_A.map((b) => b ^ 1)),
    (e) => isChanError(e, 'serverKeyMismatch'),
  );
});

test('known hosts - new host is pinned, the same key matches, another key is serverKeyMismatch and the file is unchanged', () => {
  const file = path.join(tmpdir(), 'known_hosts');
  assert.equal(checkKnownHost(file, 'example.org:1234', KEY_A), 'new');
  assert.equal(fs.readFileSync(file, 'utf8'), `example.org:1234 ${encodePublicKey('server', KEY_A)}\n`);
  assert.equal(checkKnownHost(file, 'example.org:1234', KEY_A), 'match');
  assert.equal(checkKnownHost(file, 'other.org:1234', KEY_B), 'new');
  assert.equal(checkKnownHost(file, 'example.org:1235', KEY_B), 'new', 'the port is part of the name');
  const before = fs.readFileSync(file, 'utf8');
  assert.throws(
    () => checkKnownHost(file, 'example.org:1234', KEY_B),
    (e) => {
      assert.ok(e instanceof ChanError);
      assert.equal(e.code, 'serverKeyMismatch');
      assert.equal(e.details.peer, 'example.org:1234');
      assert.equal(e.details.file, file);
      assert.equal(e.details.line, 1);
      assert.ok(e.message.includes(fingerprint(KEY_A)), 'names the old fingerprint');
      assert.ok(e.message.includes(fingerprint(KEY_B)), 'names the new fingerprint');
      assert.ok(e.message.includes(`${file}:1`), 'names the file and line to edit');
      return true;
    },
  );
  assert.equal(fs.readFileSync(file, 'utf8'), before, 'never re-pinned');
  assert.equal(parseKnownHosts(before).entries.length, 3);
});

test('known hosts - comments, blank and damaged lines; a missing final newline is repaired on append', () => {
  const file = path.join(tmpdir(), 'known_hosts');
  fs.writeFileSync(file, `# pins\n\ngarbage\n[::1]:1234 ${encodePublicKey('server', KEY_A)}`);
  assert.deepEqual(parseKnownHosts(fs.readFileSync(file, 'utf8')).bad, [3]);
  assert.equal(checkKnownHost(file, '[::1]:1234', KEY_A), 'match');
  assert.equal(checkKnownHost(file, 'h:1', KEY_B), 'new');
  assert.match(fs.readFileSync(file, 'utf8'), /\n\[::1\]:1234 lcsk1:\S+\nh:1 lcsk1:\S+\n$/);
});

test('known hosts - as checkKey of a handshake: first use pins, a changed server is stopped before auth', () => {
  const file = path.join(tmpdir(), 'known_hosts');
  const connect = (identity = SERVER_IDENTITY) => {
    const c = clientStart();
    const s = serverOnHello({ identity }, c.out);
    return clientOnReply(c.state, s.out, { checkKey: knownHostsChecker(file, 'srv:1234') });
  };
  connect();
  connect();
  const other = tweetnaclProvider.x25519Keypair(seq(32, 0x55));
  assert.throws(
    () => connect(other),
    (e) => isChanError(e, 'serverKeyMismatch'),
  );
  assert.equal(parseKnownHosts(fs.readFileSync(file, 'utf8')).entries.length, 1);
});

test('password hash - scrypt format, verify right and wrong, bounds refuse a hostile conf', async () => {
  const fast = { N: 1024, r: 8, p: 1 };
  const h = await hashPassword('ABXy45', fast);
  assert.match(h, /^scrypt\$1024\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
  assert.ok(isPasswordHash(h));
  assert.equal(await verifyPasswordHash('ABXy45', h), true);
  assert.equal(await verifyPasswordHash(new TextEncoder().encode('ABXy45'), h), true);
  assert.equal(await verifyPasswordHash('ABXy46', h), false);
  assert.notEqual(await hashPassword('ABXy45', fast), h, 'fresh salt');
  const parsed = parsePasswordHash(h);
  assert.deepEqual([parsed.N, parsed.r, parsed.p, parsed.salt.length, parsed.hash.length], [1024, 8, 1, 16, 32]);
  const salt = h.split('$')[4];
  const hash = h.split('$')[5];
  for (const bad of [
    `scrypt$${2 ** 21}$8$1$${salt}$${hash}`, // N too large
    `scrypt$1000$8$1$${salt}$${hash}`, // not a power of two
    `scrypt$1048576$32$16$${salt}$${hash}`, // work and memory
    `scrypt$1024$8$1$${salt}`, // missing field
    `scrypt$1024$8$1$!!$${hash}`, // bad base64
    `scrypt$1024$8$1$AAAA$${hash}`, // salt too short
    `bcrypt$1024$8$1$${salt}$${hash}`,
    'ABXy45',
  ]) {
    await assert.rejects(verifyPasswordHash('ABXy45', bad), (e) => isChanError(e, 'badArgument'), bad);
  }
  await assert.rejects(hashPassword('x', { N: 2 ** 22, r: 8, p: 1 }), (e) => isChanError(e, 'badArgument'));
});
