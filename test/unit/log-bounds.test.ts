/** What logs and error replies show of attacker-controlled values is bounded (issue 10, finding 8). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileMessageSchema, MAX_PROBLEM_CHARS } from '../../src/server/message-schema.ts';
import { shownName, readStartService, SHOWN_TERM_CHARS } from '../../src/server/first-frame.ts';
import { encodeTerm } from '../../src/wire/etf/encode.ts';
import { decodeTerm } from '../../src/wire/etf/decode.ts';
import { isChanError } from '../../src/errors.ts';
import { atom, tuple } from '../../src/wire/etf/term.ts';

test('log bounds - a schema problem naming a long map key is cut to MAX_PROBLEM_CHARS', async () => {
  const check = await compileMessageSchema({ type: 'object', additionalProperties: { type: 'integer' } }, 'test');
  const problem = check(new Map([['k'.repeat(100_000), 'not an integer']]));
  assert.ok(problem !== undefined);
  assert.ok(problem.length <= MAX_PROBLEM_CHARS + 3, `${problem.length} characters`);
});

test('log bounds - service names and terms from the peer are shown as bounded prefixes', () => {
  assert.equal(shownName('nameServer'), 'nameServer');
  assert.equal(shownName('x'.repeat(70_000)).length, SHOWN_TERM_CHARS + 3);
  const start = readStartService(encodeTerm(tuple(atom('startService'), 'y'.repeat(60_000), [])), {});
  assert.ok(start && start.service === undefined);
  assert.ok((start.shown ?? '').length <= SHOWN_TERM_CHARS + 3);
  // the common encoding is read without decoding ArgsC: a broken ArgsC only shows when asked for
  const bytes = encodeTerm(tuple(atom('startService'), atom('svc'), 1));
  const broken = Uint8Array.from([...bytes.subarray(0, bytes.length - 2), 0xee]);
  const lazy = readStartService(broken, {});
  assert.equal(lazy?.service, 'svc');
  assert.throws(
    () => lazy!.argsC(),
    (e: unknown) => isChanError(e, 'badTerm'),
  );
});

test('log bounds - decodeTerm({excerpt: false}) quotes no input bytes', () => {
  const bad = Uint8Array.of(131, 0xee, 0x53, 0x45, 0x43, 0x52, 0x45, 0x54);
  assert.throws(
    () => decodeTerm(bad),
    (e: unknown) => isChanError(e, 'badTerm') && /ee534543/.test(e.message),
  );
  assert.throws(
    () => decodeTerm(bad, { excerpt: false }),
    (e: unknown) => isChanError(e, 'badTerm') && !/534543/.test(e.message) && e.details.offset === 1,
  );
});
