import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mailbox } from '../../src/chan/mailbox.ts';
import { CallTable } from '../../src/chan/calls.ts';
import { ChanError } from '../../src/errors.ts';

test('mailbox delivers in order to a waiting consumer and to a late one', async () => {
  const m = new Mailbox<number>(10);
  const first = m.next();
  m.push(1);
  m.push(2);
  m.push(3);
  m.end();
  const got = [(await first).value];
  for await (const x of m) got.push(x);
  assert.deepEqual(got, [1, 2, 3]);
});

test('mailbox refuses past its bound instead of growing', () => {
  const m = new Mailbox<number>(2);
  assert.equal(m.push(1), true);
  assert.equal(m.push(2), true);
  assert.equal(m.push(3), false);
  assert.equal(m.size, 2);
});

test('mailbox iteration ends when ended, after the queued items', async () => {
  const m = new Mailbox<string>(5);
  m.push('a');
  m.end();
  const got: string[] = [];
  for await (const x of m) got.push(x);
  assert.deepEqual(got, ['a']);
});

test('call table settles by id, ignores unknown ids, and rejects all on close', async () => {
  const t = new CallTable();
  const a = t.allocateId();
  const b = t.allocateId();
  assert.notEqual(a, b);
  const pa = t.add(a, 10_000, () => new ChanError('timeout', 'a'));
  const pb = t.add(b, 10_000, () => new ChanError('timeout', 'b'));
  assert.equal(t.settle(a, { value: 'x' }), true);
  assert.equal(t.settle(a, { value: 'again' }), false);
  assert.equal(await pa, 'x');
  t.rejectAll(new ChanError('connectionLost', 'gone'));
  await assert.rejects(pb, (e: unknown) => e instanceof ChanError && e.code === 'connectionLost');
  assert.equal(t.size, 0);
});

test('call table times a call out with the error its factory makes', async () => {
  const t = new CallTable();
  const err = new ChanError('timeout', 'late');
  let fired = false;
  await assert.rejects(t.add(t.allocateId(), 1, () => err, () => (fired = true)), (e: unknown) => e === err);
  assert.equal(fired, true);
  assert.equal(t.size, 0);
});
