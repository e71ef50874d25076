/**
 * docs/protocol.md is the spec; its ```kat blocks are known-answer vectors.
 * This test parses them and recomputes every output from the inputs with
 * each provider, so the spec and the code stay together.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tweetnaclProvider } from '../../src/auth/crypto.ts';
import { nodeCryptoOnlyProvider, nodeProvider } from '../../src/auth/crypto-node.ts';
import { legacyResponse } from '../../src/auth/legacy.ts';
import { RESULT_CODES, clientStart, encodeRefusal, serverOnHello } from '../../src/auth/secure/handshake.ts';
import { RECORD_KIND } from '../../src/auth/secure/record.ts';
import { PROTOCOL_NAME } from '../../src/auth/secure/schedule.ts';
import { fromHex, toHex } from '../../src/wire/bytes.ts';
import { type SecureKatInput, SERVER_IDENTITY, computeSecureKat } from './auth-fixtures.ts';

const SPEC = fs.readFileSync(fileURLToPath(new URL('../../docs/protocol.md', import.meta.url)), 'utf8');

interface KatBlock {
  name: string;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
}

/** ```kat name=N blocks: `key = value` lines, long values continued on indented lines, `# inputs` / `# outputs` sections. */
function parseKatBlocks(md: string): KatBlock[] {
  const blocks: KatBlock[] = [];
  for (const m of md.matchAll(/^```kat name=(\S+)\n([\s\S]*?)^```$/gm)) {
    const block: KatBlock = { name: m[1], inputs: {}, outputs: {} };
    let section = block.inputs;
    let last: string | undefined;
    for (const line of m[2].split('\n')) {
      if (line.trim() === '') continue;
      if (line.startsWith('#')) {
        if (line.startsWith('# outputs')) section = block.outputs;
        continue;
      }
      if (/^\s/.test(line)) {
        assert.ok(last, `${block.name}: continuation line without a key`);
        section[last] += line.trim();
        continue;
      }
      const kv = /^(\w+) =(?: (.*))?$/.exec(line);
      assert.ok(kv, `${block.name}: cannot parse line "${line}"`);
      last = kv[1];
      section[last] = (kv[2] ?? '').trim();
    }
    blocks.push(block);
  }
  return blocks;
}

const BLOCKS = parseKatBlocks(SPEC);

test('kat - docs/protocol.md has the vectors this test knows how to check', () => {
  const names = BLOCKS.map((b) => b.name);
  for (const want of ['secure-v1-password', 'secure-v1-key', 'secure-v1-none-badService', 'refusal-versionUnsupported', 'legacy-trace-S1', 'legacy-latin1']) {
    assert.ok(names.includes(want), `missing kat block ${want}`);
  }
  assert.equal(new Set(names).size, names.length, 'kat names are unique');
});

for (const block of BLOCKS.filter((b) => b.name.startsWith('secure-'))) {
  test(`kat - ${block.name}: every output recomputed with every provider present (tweetnacl, node:crypto alone, sodium-native)`, () => {
    const input = { ...block.inputs } as unknown as SecureKatInput;
    // nodeProvider is sodium-native's when it loads; node:crypto alone is the fallback without it.
    for (const provider of new Set([tweetnaclProvider, nodeCryptoOnlyProvider, nodeProvider])) {
      const got = computeSecureKat(input, provider);
      assert.deepEqual(Object.keys(block.outputs).sort(), Object.keys(got).sort(), `${block.name}: the spec lists exactly the outputs`);
      for (const [key, want] of Object.entries(block.outputs)) {
        assert.equal(got[key], want, `${block.name} ${key} (${provider.name})`);
      }
    }
  });
}

test('kat - refusal-versionUnsupported', () => {
  const b = BLOCKS.find((x) => x.name === 'refusal-versionUnsupported')!;
  const versions = Array.from(fromHex(b.inputs.versions));
  assert.equal(toHex(encodeRefusal('versionUnsupported', versions)), b.outputs.message);
  const hello = clientStart().out;
  hello[4] = fromHex(b.inputs.hello_version)[0];
  assert.equal(toHex(serverOnHello({ identity: SERVER_IDENTITY }, hello).out), b.outputs.message);
});

for (const block of BLOCKS.filter((b) => b.name.startsWith('legacy-'))) {
  test(`kat - ${block.name}`, () => {
    const { challenge, password, password_latin1_hex: latin1 } = block.inputs;
    assert.equal(legacyResponse(challenge, latin1 !== undefined ? fromHex(latin1) : password), block.outputs.response);
  });
}

test('spec - the result table and record kinds in docs/protocol.md match the code', () => {
  for (const [name, v] of Object.entries(RESULT_CODES)) {
    const row = new RegExp(`^\\| ${v.byte} +\\| \`${name}\` +\\| ${v.error ? `\`${v.error}\`` : '\\(none: session\\)'} +\\|`, 'm');
    assert.match(SPEC, row, `result ${name}`);
  }
  for (const [name, kind] of Object.entries(RECORD_KIND)) {
    assert.match(SPEC, new RegExp(`^\\| ${kind} +\\| \`${name}\` +\\|`, 'm'), `record kind ${name}`);
  }
  assert.ok(SPEC.includes(`"${PROTOCOL_NAME}"`), 'protocol name');
});
