/** Busy polling (src/transport/busy-poll.ts) and its conf term `{busy_poll, Microseconds}`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BusyPoll } from '../../src/transport/busy-poll.ts';
import { parseConfig, redactConfig } from '../../src/conf/load.ts';
import { ChanError } from '../../src/errors.ts';
import { deadline } from '../helpers/latch.ts';

const turnOfTheLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Resolves once `cond()` holds, checked once per turn of the loop. */
async function untilTrue(cond: () => boolean, what: string): Promise<void> {
  await deadline(
    (async () => {
      while (!cond()) await turnOfTheLoop();
    })(),
    10_000,
    what,
  );
}

test('busy poll - off (0 µs): a poke keeps nothing awake', async () => {
  const p = new BusyPoll(0);
  p.poke();
  assert.equal(p.active, false);
  await turnOfTheLoop();
  assert.equal(p.turns, 0);
});

test('busy poll - a poke keeps the loop turning until the window has passed since the last poke, then it sleeps', async () => {
  const p = new BusyPoll(2_000);
  const poked = performance.now(); // before the poke: the window runs from a later instant
  p.poke();
  assert.equal(p.active, true);
  await untilTrue(() => !p.active, 'the end of the window');
  assert.ok(performance.now() - poked >= 2, 'not before the window has passed');
  assert.ok(p.turns >= 1);
});

test('busy poll - many pokes in one tick make one chain of turns, not one each', async () => {
  const p = new BusyPoll(60_000_000);
  for (let i = 0; i < 100; i++) p.poke();
  await turnOfTheLoop();
  const first = p.turns;
  if (first !== 1) p.setWindow(0); // a failure must not leave the loop spinning for a minute
  assert.equal(first, 1);
  // A reload that turns it off ends the chain at its next turn.
  p.setWindow(0);
  assert.equal(p.microseconds, 0);
  await untilTrue(() => !p.active, 'the chain to end');
  const turns = p.turns;
  p.poke();
  await turnOfTheLoop();
  assert.equal(p.turns, turns, 'a poke while off does nothing');
});

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/conf');
const CONF = path.join(FIXTURES, 'test.conf');
const conf = (...lines: string[]) =>
  ['{port, 1234}.', '{module_path, "handlers"}.', ...lines, '{service, s, password, none, mfa, echo, start, notUsed}.'].join('\n');

test('conf - {busy_poll, Microseconds}: off by default, 0 to 10,000 µs, logged with the conf', async () => {
  assert.equal((await parseConfig(conf(), CONF)).busyPollUs, 0);
  assert.equal(new BusyPoll(1001).microseconds, 1001);
  const c = await parseConfig(conf('{busy_poll, 100}.'), CONF);
  assert.equal(c.busyPollUs, 100);
  assert.equal(redactConfig(c).busyPollUs, 100);
  for (const bad of ['-1', '10001', 'fast', '"100"']) {
    await assert.rejects(parseConfig(conf(`{busy_poll, ${bad}}.`), CONF), (e: unknown) => {
      assert.ok(e instanceof ChanError && e.code === 'badConf', String(e));
      assert.match(e.message, /busy_poll must be an integer from 0 to 10000 \(microseconds\)/);
      return true;
    });
  }
});
