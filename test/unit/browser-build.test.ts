/** The browser bundle: builds, holds no Node built-in or global, and the check catches one that sneaks in. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildBrowser, REPO } from '../../scripts/build-browser.ts';

describe('browser build', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lib_chan-build-'));
  const outfile = path.join(dir, 'out.js');

  test('src/browser.ts bundles with tweetnacl and no Node code', async () => {
    const r = await buildBrowser({ outfile });
    assert.ok(r.inputs.some((i) => i.includes('tweetnacl')));
    assert.ok(r.inputs.includes('src/transport/ws-client.ts'));
    for (const i of r.inputs) assert.doesNotMatch(i, /-node\.ts$|src\/server\/|src\/transport\/(tcp|ws-server)\.ts$|node_modules\/ws\//, i);
  });

  test('a node:* import fails the build', async () => {
    await assert.rejects(buildBrowser({ outfile, entry: path.join(REPO, 'test/fixtures/browser-build/imports-node.ts') }), /node:fs/);
  });

  test('a Node global fails the build', async () => {
    await assert.rejects(buildBrowser({ outfile, entry: path.join(REPO, 'test/fixtures/browser-build/uses-buffer.ts') }), /Node global "Buffer"/);
  });

  test.after(() => rmSync(dir, { recursive: true, force: true }));
});
