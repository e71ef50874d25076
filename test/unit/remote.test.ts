/**
 * The pieces of `lib-chan remote` that need no SSH server: known_hosts matching, argument
 * parsing, bounded remote lines, shell quoting, and the README tables of stages and codes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  appendKnownHost,
  fingerprint,
  hostsFieldMatches,
  keyTypeOfBlob,
  knownKeyTypes,
  parseKnownHosts,
  readKnownHosts,
  verifyHostKey,
} from '../../src/cli/remote/known-hosts.ts';
import { LastLines, LineSplitter, printable } from '../../src/cli/remote/lines.ts';
import { firstWord, shQuote, startScript, statusScript, stopScript } from '../../src/cli/remote/script.ts';
import { parseDuration, parseTarget } from '../../src/cli/remote/command.ts';
import { REMOTE_FAILURES, renderRemoteTable, renderStageTable } from '../../src/cli/remote/stages.ts';
import { ERROR_CODES } from '../../src/errors.ts';
import { UsageError } from '../../src/cli/command.ts';

/** An SSH public key blob: string type, then bytes (enough for matching; not a real key). */
function blob(type: string, fill: number): Uint8Array {
  const t = Buffer.from(type);
  const b = Buffer.alloc(4 + t.length + 4 + 32, fill);
  b.writeUInt32BE(t.length, 0);
  t.copy(b, 4);
  b.writeUInt32BE(32, 4 + t.length);
  return new Uint8Array(b);
}
const b64 = (u: Uint8Array): string => Buffer.from(u).toString('base64');

test('known_hosts: plain, [host]:port, wildcard, negation, hashed, @revoked, @cert-authority', () => {
  const k1 = blob('ssh-ed25519', 1);
  const k2 = blob('ssh-ed25519', 2);
  const k3 = blob('ecdsa-sha2-nistp256', 3);
  const salt = randomBytes(20);
  const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[db.example]:2222').digest('base64')}`;
  const text = [
    '# comment',
    '',
    `gw.example,10.0.0.1 ssh-ed25519 ${b64(k1)}`,
    `[gw.example]:2222 ssh-ed25519 ${b64(k2)} a comment`,
    `*.lan,!evil.lan ecdsa-sha2-nistp256 ${b64(k3)}`,
    `${hashed} ssh-ed25519 ${b64(k1)}`,
    `@revoked old.example ssh-ed25519 ${b64(k2)}`,
    `@cert-authority *.example ssh-ed25519 ${b64(k3)}`,
    'broken line',
  ].join('\n');
  const e = parseKnownHosts(text);
  assert.equal(e.length, 6);

  assert.deepEqual(verifyHostKey(e, 'gw.example', 22, k1), { result: 'match', line: 3 });
  assert.deepEqual(verifyHostKey(e, '10.0.0.1', 22, k1), { result: 'match', line: 3 });
  // Another port is another entry: k1 is pinned for port 22 only.
  assert.deepEqual(verifyHostKey(e, 'gw.example', 2222, k2), { result: 'match', line: 4 });
  assert.deepEqual(verifyHostKey(e, 'gw.example', 2222, k1), { result: 'mismatch', knownTypes: ['ssh-ed25519'], lines: [4], pinned: [fingerprint(k2)] });
  assert.deepEqual(verifyHostKey(e, 'GW.EXAMPLE', 22, k1).result, 'match', 'host names are case-insensitive');
  assert.equal(verifyHostKey(e, 'box.lan', 22, k3).result, 'match');
  assert.equal(verifyHostKey(e, 'evil.lan', 22, k3).result, 'unknown', 'a negated pattern excludes the host');
  assert.equal(verifyHostKey(e, 'db.example', 2222, k1).result, 'match', 'hashed entry');
  assert.equal(verifyHostKey(e, 'db.example', 22, k1).result, 'unknown', 'the hash covers the port');
  assert.deepEqual(verifyHostKey(e, 'old.example', 22, k2), { result: 'revoked', line: 7 });
  assert.equal(verifyHostKey(e, 'any.example', 22, k3).result, 'unknown', '@cert-authority lines pin nothing');
  assert.deepEqual(knownKeyTypes(e, 'gw.example', 22), ['ssh-ed25519']);
  assert.equal(hostsFieldMatches('a?c', 'abc'), true);
  assert.equal(hostsFieldMatches('a.c', 'abc'), false, 'a dot is literal');
});

test('known_hosts: key type, fingerprint as ssh prints it, --accept-new appends one readable line', () => {
  const k = blob('ssh-ed25519', 7);
  assert.equal(keyTypeOfBlob(k), 'ssh-ed25519');
  assert.equal(keyTypeOfBlob(new Uint8Array([0, 0, 0, 200, 1])), '', 'a length past the end is not a type');
  assert.match(fingerprint(k), /^SHA256:[A-Za-z0-9+/]{43}$/);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lib_chan-kh-'));
  try {
    const file = path.join(dir, 'sub', 'known_hosts');
    assert.deepEqual(readKnownHosts(file), [], 'a missing file pins nothing');
    appendKnownHost(file, '127.0.0.1', 2222, k);
    writeFileSync(file, `${readFileSync(file, 'utf8')}no-newline.example ssh-ed25519 ${b64(blob('ssh-ed25519', 9))}`);
    appendKnownHost(file, 'h.example', 22, k);
    const lines = readFileSync(file, 'utf8').split('\n');
    assert.equal(lines[0], `[127.0.0.1]:2222 ssh-ed25519 ${b64(k)}`);
    assert.equal(lines[2], `h.example ssh-ed25519 ${b64(k)}`);
    assert.equal(verifyHostKey(readKnownHosts(file), '127.0.0.1', 2222, k).result, 'match');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('targets and durations', () => {
  assert.deepEqual(parseTarget('gw'), { user: undefined, host: 'gw', port: undefined });
  assert.deepEqual(parseTarget('ops@gw.example:2222'), { user: 'ops', host: 'gw.example', port: 2222 });
  assert.deepEqual(parseTarget('[::1]:22'), { user: undefined, host: '::1', port: 22 });
  for (const bad of ['', 'a@', 'h:0', 'h:70000', 'h:x', 'a b']) assert.throws(() => parseTarget(bad), UsageError, bad);
  assert.equal(parseDuration('--x', '5s', 'remoteBootTimeoutMs'), 5_000);
  assert.equal(parseDuration('--x', '250ms', 'remoteBootTimeoutMs'), 250);
  assert.equal(parseDuration('--x', '1.5s', 'remoteBootTimeoutMs'), 1_500);
  assert.equal(parseDuration('--x', '2m', 'remoteBootTimeoutMs'), 120_000);
  assert.equal(parseDuration('--x', '300', 'remoteBootTimeoutMs'), 300, 'a bare number is milliseconds');
  assert.equal(parseDuration('--x', undefined, 'remoteStartupTimeoutMs'), 20_000, 'the default comes from LIMITS');
  for (const bad of ['5 s', 's', '-1s', '1h', '0']) assert.throws(() => parseDuration('--x', bad, 'remoteBootTimeoutMs'), UsageError, bad);
});

test('remote lines: split across chunks and UTF-8 boundaries, long lines cut, only the last N kept', () => {
  const got: Array<[string, boolean]> = [];
  const s = new LineSplitter(8, (l, cut) => got.push([l, cut]));
  const bytes = Buffer.from('ab\r\ncé\n0123456789abc\nlast');
  for (const b of bytes) s.push(new Uint8Array([b]));
  s.end();
  assert.deepEqual(got, [
    ['ab', false],
    ['cé', false],
    ['01234567', true],
    ['last', false],
  ]);
  const last = new LastLines(2);
  for (const l of ['1', '2', '3']) last.add(l);
  assert.deepEqual(last.lines, ['2', '3']);
  assert.equal(printable('ok \u001b[31mred\u0007'), 'ok \\x1b[31mred\\x07', 'no escape sequence reaches the terminal');
});

test('shell quoting survives sh, and the program of a command line is found', () => {
  const args = ["it's", '$HOME', '"q"', 'a b', '', '\\', '`x`'];
  const r = spawnSync('sh', ['-c', `printf '%s\\n' ${args.map(shQuote).join(' ')}`], { encoding: 'utf8' });
  assert.deepEqual(r.stdout.split('\n').slice(0, -1), args);
  assert.equal(firstWord('lib-chan'), 'lib-chan');
  assert.equal(firstWord('  FOO=1 BAR=2 /opt/lc/bin/lib-chan --x'), '/opt/lc/bin/lib-chan');
  assert.equal(firstWord("'/path with space/node' main.ts"), '/path with space/node');
});

test('every remote failure code is an error code, with its own exit status; the README tables are the rendered ones', () => {
  const exits = Object.values(REMOTE_FAILURES).map((f) => f.exit);
  assert.equal(new Set(exits).size, exits.length, 'one exit status per code');
  for (const code of Object.keys(REMOTE_FAILURES)) assert.ok(Object.hasOwn(ERROR_CODES, code), code);
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = (name: string): string => readme.split(`<!-- ${name}:start -->`)[1]?.split(`<!-- ${name}:end -->`)[0]?.trim() ?? '';
  assert.equal(section('remote-stages'), renderStageTable());
  assert.equal(section('remote-codes'), renderRemoteTable());
});

test('the stop and status scripts never take 0, 1 or a non-number for the group to signal', () => {
  for (const pid of [0, 1, -1, 1.5, Number.NaN]) {
    assert.throws(() => stopScript({ nonce: 'n', pid, lstart: 'x', graceTenths: 1 }), RangeError, String(pid));
    assert.throws(() => statusScript({ nonce: 'n', pid, lstart: 'x', dir: 'd', lines: 1 }), RangeError, String(pid));
  }
  // The watcher of the start script reads the group from the log; a bad one is refused there too.
  const r = spawnSync(
    'sh',
    [
      '-c',
      startScript({ nonce: 'n', dir: 'd', command: 'true', args: [], infoLogs: false, graceTenths: 1, removeOnFailure: [] })
        .split('\n')
        .find((l) => l.includes('BADPID'))!
        .replace('  case', 'N=n; pg=1; case'),
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.stdout.trim(), 'n BADPID 1');
});
