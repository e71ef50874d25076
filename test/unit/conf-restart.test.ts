/** The `{restart, [...]}` service option (worker isolation's supervisor strategy) in the conf. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChanError } from '../../src/errors.ts';
import { parseConfig, redactConfig } from '../../src/conf/load.ts';
import { DEFAULT_RESTART } from '../../src/conf/schema.ts';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/conf');
const CONF = path.join(FIXTURES, 'test.conf');
const conf = (opts: string) => `{port, 1234}.\n{module_path, "handlers"}.\n{service, s, password, none, mfa, echo, start, notUsed, ${opts}}.`;

async function refused(text: string, pattern: RegExp): Promise<void> {
  await assert.rejects(parseConfig(text, CONF), (e: unknown) => {
    assert.ok(e instanceof ChanError);
    assert.equal(e.code, 'badConf');
    assert.equal(e.details.line, 3);
    assert.match(e.message, pattern);
    return true;
  });
}

describe('conf - restart strategy', () => {
  it('defaults to intensity 5 in 10000 ms', async () => {
    const c = await parseConfig(conf('[{isolation, worker}]'), CONF);
    assert.deepEqual(c.services.get('s')!.restart, { intensity: 5, periodMs: 10_000 });
    assert.deepEqual(DEFAULT_RESTART, { intensity: 5, periodMs: 10_000 });
  });

  it('reads intensity and period_ms, each optional, and shows them in the redacted conf', async () => {
    const c = await parseConfig(conf('[{isolation, worker}, {restart, [{intensity, 0}, {period_ms, 500}]}]'), CONF);
    assert.deepEqual(c.services.get('s')!.restart, { intensity: 0, periodMs: 500 });
    assert.deepEqual(redactConfig(c).services[0].restart, { intensity: 0, periodMs: 500 });
    const only = await parseConfig(conf('[{isolation, worker}, {restart, [{period_ms, 60000}]}]'), CONF);
    assert.deepEqual(only.services.get('s')!.restart, { intensity: 5, periodMs: 60_000 });
  });

  it('refuses restart on an inline service, unknown options, and bad values, naming the line', async () => {
    await refused(conf('[{restart, [{intensity, 1}]}]'), /restart applies to worker-isolated services only/);
    await refused(conf('[{isolation, worker}, {restart, [{intensity, -1}]}]'), /restart intensity must be an integer/);
    await refused(conf('[{isolation, worker}, {restart, [{period_ms, 0}]}]'), /restart period_ms must be an integer/);
    await refused(conf('[{isolation, worker}, {restart, [{max_restarts, 1}]}]'), /unknown restart option max_restarts/);
    await refused(conf('[{isolation, worker}, {restart, permanent}]'), /restart must be a list of \{Name, Value\} tuples/);
  });
});
