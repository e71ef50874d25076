/** The `{processes, N}` conf term and the `{state, shared | per_process}` service option. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChanError } from '../../src/errors.ts';
import { parseConfig, redactConfig } from '../../src/conf/load.ts';
import { DEFAULT_PROCESSES, DEFAULT_SERVICE_STATE, MAX_PROCESSES, resolveProcesses } from '../../src/conf/schema.ts';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/conf');
const CONF = path.join(FIXTURES, 'test.conf');
const conf = (...lines: string[]) => ['{port, 1234}.', '{module_path, "handlers"}.', ...lines].join('\n');
const svc = (opts = '') => `{service, s, password, none, mfa, echo, start, notUsed${opts}}.`;

async function refused(text: string, line: number, pattern: RegExp): Promise<ChanError> {
  let err: ChanError | undefined;
  await assert.rejects(parseConfig(text, CONF), (e: unknown) => {
    assert.ok(e instanceof ChanError, `expected a ChanError, got ${String(e)}`);
    assert.equal(e.code, 'badConf');
    assert.equal(e.details.file, CONF);
    assert.equal(e.details.line, line, e.message);
    assert.match(e.message, new RegExp(`^${CONF.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${line}:\\d+: `));
    assert.match(e.message, pattern);
    err = e;
    return true;
  });
  return err!;
}

describe('conf - processes', () => {
  it('defaults to 1 process', async () => {
    const c = await parseConfig(conf(svc()), CONF);
    assert.equal(c.processes, 1);
    assert.equal(DEFAULT_PROCESSES, 1);
    assert.equal(redactConfig(c).processes, 1);
  });

  it('reads a number from 1 to 256, or auto, and shows it in the redacted conf', async () => {
    for (const n of [1, 4, MAX_PROCESSES]) assert.equal((await parseConfig(conf(`{processes, ${n}}.`), CONF)).processes, n);
    const auto = await parseConfig(conf(`{processes, auto}.`, svc()), CONF);
    assert.equal(auto.processes, 'auto');
    assert.equal(redactConfig(auto).processes, 'auto');
  });

  it('refuses 0, 257, an atom other than auto, a float, a string, and a second term, naming the line', async () => {
    const expect = /processes must be an integer from 1 to 256 or the atom auto \(one process per core\), as in \{processes, 4\}/;
    await refused(conf('{processes, 0}.'), 3, new RegExp(`${expect.source}, found 0$`));
    await refused(conf('{processes, 257}.'), 3, new RegExp(`${expect.source}, found 257$`));
    await refused(conf('{processes, many}.'), 3, new RegExp(`${expect.source}, found 'many'$`));
    await refused(conf('{processes, 2.0}.'), 3, expect);
    await refused(conf('{processes, "4"}.'), 3, expect);
    await refused(conf('{processes, [4]}.'), 3, expect);
    await refused(conf('{processes, 4, auto}.'), 3, /processes must be written \{processes, Value\}/);
    const twice = await refused(
      conf('{processes, 4}.', svc(), '{processes, auto}.'),
      5,
      /\{processes, \.\.\.\} is given twice \(first at line 3\); give it once/,
    );
    assert.equal(twice.details.firstLine, 3);
  });

  it('resolveProcesses: a number as it is; auto is one per core from 4 cores, 1 below', () => {
    assert.equal(resolveProcesses(1, 16), 1);
    assert.equal(resolveProcesses(3, 2), 3, 'an explicit number is not second-guessed');
    assert.equal(resolveProcesses(256), 256);
    assert.equal(resolveProcesses('auto', 1), 1);
    assert.equal(resolveProcesses('auto', 2), 1);
    assert.equal(resolveProcesses('auto', 3), 1);
    assert.equal(resolveProcesses('auto', 4), 4);
    assert.equal(resolveProcesses('auto', 16), 16);
    assert.equal(resolveProcesses('auto', 1024), MAX_PROCESSES, 'auto stays within what {processes, N} may ask for');
    const here = resolveProcesses('auto');
    assert.ok(Number.isInteger(here) && here >= 1 && here <= MAX_PROCESSES, String(here));
  });
});

describe('conf - service state', () => {
  it('defaults to shared, and shows the state in the redacted conf', async () => {
    const c = await parseConfig(conf(svc(), svc().replace('service, s,', 'service, t,').replace('}.', ', []}.')), CONF);
    assert.equal(DEFAULT_SERVICE_STATE, 'shared');
    assert.deepEqual(
      [...c.services.values()].map((s) => s.state),
      ['shared', 'shared'],
    );
    assert.deepEqual(
      redactConfig(c).services.map((s) => s.state),
      ['shared', 'shared'],
    );
  });

  it('reads {state, shared} and {state, per_process}, beside other options', async () => {
    const shared = await parseConfig(conf(svc(', [{state, shared}]')), CONF);
    assert.equal(shared.services.get('s')!.state, 'shared');
    const mine = await parseConfig(conf('{processes, 4}.', svc(', [{isolation, worker}, {state, per_process}]')), CONF);
    const s = mine.services.get('s')!;
    assert.equal(s.state, 'per_process');
    assert.equal(s.isolation, 'worker');
    assert.equal(redactConfig(mine).services[0].state, 'per_process');
  });

  it('refuses another atom, a string, and the option given twice, naming the service and line', async () => {
    const bad = await refused(conf(svc(', [{state, private}]')), 3, /service s: state must be one of the atoms shared, per_process, found 'private'$/);
    assert.equal(bad.details.service, 's');
    await refused(conf(svc(', [{state, "shared"}]')), 3, /service s: state must be one of the atoms shared, per_process/);
    await refused(conf(svc(',\n  [{state, shared}, {state, per_process}]')), 4, /state is given twice/);
  });
});
