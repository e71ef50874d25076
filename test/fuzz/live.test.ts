/**
 * The server's handshake state machines (legacy and secure) and channel
 * parsers, fed recorded real client traffic, mutated, over real sockets:
 * the server never crashes or throws anything unhandled, closes every bad
 * connection itself with a logged reason, and still serves a good client.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LiveFuzzer, livePlan } from './targets.ts';

test('fuzz live server - mutated legacy and secure traffic: no crash, every connection closed with a logged reason, good clients served', async () => {
  const unhandled: unknown[] = [];
  const onError = (e: unknown): void => void unhandled.push(e);
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
  const fz = await LiveFuzzer.start();
  try {
    await fz.runAll(fc.sample(livePlan, { numRuns: 240, seed: 106 }), 48);
    await fz.checkStillServes();
    assert.deepEqual(fz.stats.problems, []);
    assert.deepEqual(unhandled, []);
    assert.equal(fz.stats.inputs, 240);
    assert.ok(fz.stats.loggedIn > 20, `inputs that got past the login: ${fz.stats.loggedIn}`);
    // The mutations reach several distinct refusals, and logins that end by the idle timer.
    assert.ok(Object.keys(fz.stats.outcomes).length >= 5, JSON.stringify(fz.stats.outcomes));
  } finally {
    await fz.close();
    process.off('uncaughtException', onError);
    process.off('unhandledRejection', onError);
  }
});
