import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/conf/load.ts';
import { shareLoginBudgets } from '../../src/server/processes.ts';

const CONF = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/conf/test.conf');

test('{processes, N}: the login guard budgets are split between the processes, on a copy of the conf', async () => {
  const conf = await parseConfig(
    [
      '{port, 0}.',
      '{module_path, "handlers"}.',
      '{limits, [{maxLoginFailures, 5}, {loginGuessesPerSecond, 10}, {maxServiceLoginFailures, 9}]}.',
      '{service, a, password, "x", mfa, echo, start, notUsed}.',
      '{service, b, password, "x", mfa, echo, start, notUsed, [{limits, [{loginGuessesPerSecond, 1}, {maxQueuedBytes, 4096}]}]}.',
    ].join('\n'),
    CONF,
  );
  const config = shareLoginBudgets(conf, 4);
  assert.equal(config.limits.maxLoginFailures, 2);
  assert.equal(config.limits.loginGuessesPerSecond, 3);
  assert.equal(config.limits.maxServiceLoginFailures, 3);
  const a = config.services.get('a')!.limits;
  const b = config.services.get('b')!.limits;
  // A service without limits of its own shares the conf's (not divided twice); one with its own is divided
  // too, never below 1, and the limits that are no guess budget stay as written.
  assert.equal(a.loginGuessesPerSecond, 3);
  assert.equal(b.loginGuessesPerSecond, 1);
  assert.equal(b.maxQueuedBytes, 4096);
  // The conf it was given is left as it was (Server.start's caller may hold it).
  assert.equal(conf.limits.maxLoginFailures, 5);
  assert.equal(conf.services.get('b')!.limits.loginGuessesPerSecond, 1);
  assert.equal(conf.services.get('a')!.limits.loginGuessesPerSecond, 10);
  const one = await parseConfig('{port, 0}.\n{limits, [{maxLoginFailures, 5}]}.', CONF);
  assert.equal(shareLoginBudgets(one, 1).limits.maxLoginFailures, 5);
});
