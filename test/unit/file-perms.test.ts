/**
 * Issue 10, finding 10: file permissions the server and the CLI check.
 * `lib_chan check` refuses the 0644 identity key that `start` refuses; a
 * conf that others may write is refused (it names the code the server
 * runs); a conf holding plaintext passwords that group or others may read
 * gives a warning; key files and known_hosts owned by another user are
 * refused.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChanError } from '../../src/errors.ts';
import { loadConfig } from '../../src/conf/load.ts';
import { COMMANDS } from '../../src/cli/commands.ts';
import { checkKnownHost, generateKeyFile, loadKeyFile } from '../../src/auth/keys-node.ts';
import { HANDLERS } from '../helpers/start-server.ts';

const isBadConf = (e: unknown) => e instanceof ChanError && e.code === 'badConf';
let dir: string;
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lib_chan-perms-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function conf(name: string, body: string, mode: number): string {
  const file = path.join(dir, name);
  writeFileSync(file, `{port, 0}.\n{module_path, ["${HANDLERS}"]}.\n${body}\n`);
  chmodSync(file, mode);
  return file;
}

test('a conf that others may write is refused', async () => {
  await assert.rejects(loadConfig(conf('open.conf', '{service, s, password, none, mfa, echo, start, x}.', 0o666)), isBadConf);
});

test('a readable conf with a plaintext password warns (confReadable); 0600, or no plaintext password, does not', async () => {
  const readable = await loadConfig(conf('readable.conf', '{service, s, password, "Secret-1", mfa, echo, start, x}.', 0o644));
  assert.equal(readable.warnings?.length, 1);
  assert.equal(readable.warnings![0].event, 'confReadable');
  assert.deepEqual(readable.warnings![0].services, ['s']);
  assert.doesNotMatch(readable.warnings![0].message, /Secret-1/);
  assert.equal((await loadConfig(conf('private.conf', '{service, s, password, "Secret-1", mfa, echo, start, x}.', 0o600))).warnings, undefined);
  assert.equal((await loadConfig(conf('nopw.conf', '{service, s, password, none, mfa, echo, start, x}.', 0o644))).warnings, undefined);
});

test('lib_chan check refuses an identity key that group or others may read, as start does', async () => {
  const key = path.join(dir, 'server.key');
  generateKeyFile(key, 'server');
  const file = conf('keyed.conf', `{identity, "${key}"}.\n{service, s, password, none, mfa, echo, start, x}.`, 0o600);
  let out = '';
  const io = { stdout: { write: (t: string) => (out += t) }, stderr: { write: () => true }, stdin: (async function* () {})(), env: {} };
  assert.equal(await COMMANDS.check.run({ conf: file }, [], io), 0);
  assert.match(out, /: OK/);
  chmodSync(key, 0o644);
  await assert.rejects(COMMANDS.check.run({ conf: file }, [], io), isBadConf);
});

test('key files and known_hosts owned by another user are refused', { skip: process.getuid?.() !== 0 && 'needs root to chown a file to another user' }, () => {
  const key = path.join(dir, 'theirs.key');
  generateKeyFile(key, 'client');
  chownSync(key, 4242, 4242);
  assert.throws(() => loadKeyFile(key, 'client'), isBadConf);
  const kh = path.join(dir, 'their_known_hosts');
  writeFileSync(kh, '');
  chownSync(kh, 4242, 4242);
  assert.throws(() => checkKnownHost(kh, 'h:1', new Uint8Array(32)), isBadConf);
});
