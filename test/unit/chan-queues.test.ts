import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mailbox } from '../../src/chan/mailbox.ts';
import { CallTable, type CallOwner } from '../../src/chan/calls.ts';
import { ChanError } from '../../src/errors.ts';

/** A call's owner for the table alone: its timeout error from `make`, and `onTimedOut` told of the timeout. */
const owner = (make: () => ChanError, onTimedOut: (id: number) => void = () => {}): CallOwner => ({ timeoutError: make, callTimedOut: onTimedOut });

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
  const pa = t.add(
    owner(() => new ChanError('timeout', 'a')),
    a,
    10_000,
    'ta',
  );
  const pb = t.add(
    owner(() => new ChanError('timeout', 'b')),
    b,
    10_000,
    'tb',
  );
  assert.equal(t.resolve(a, 'x'), true);
  assert.equal(t.resolve(a, 'again'), false);
  assert.equal(t.reject(a, new ChanError('closed', 'late')), false);
  assert.equal(await pa, 'x');
  t.rejectAll(new ChanError('connectionLost', 'gone'));
  await assert.rejects(pb, (e: unknown) => e instanceof ChanError && e.code === 'connectionLost');
  assert.equal(t.size, 0);
});

test('call table times a call out with the error its factory makes', async () => {
  const t = new CallTable();
  const err = new ChanError('timeout', 'late');
  let fired = false;
  await assert.rejects(
    t.add(
      owner(
        () => err,
        () => (fired = true),
      ),
      t.allocateId(),
      1,
      'x',
    ),
    (e: unknown) => e === err,
  );
  assert.equal(fired, true);
  assert.equal(t.size, 0);
});

test('call table: one timer for any number of waiting calls, each still timing out on its own deadline', async () => {
  const real = globalThis.setTimeout;
  let timers = 0;
  globalThis.setTimeout = ((...a: Parameters<typeof setTimeout>) => {
    timers++;
    return real(...a);
  }) as typeof setTimeout;
  const t = new CallTable();
  let long: Promise<unknown>[];
  try {
    long = Array.from({ length: 256 }, () =>
      t.add(
        owner(() => new ChanError('timeout', 'long')),
        t.allocateId(),
        60_000,
        'long',
      ),
    );
  } finally {
    globalThis.setTimeout = real;
  }
  assert.equal(timers, 1, `256 calls with one timeout armed ${timers} timers`);
  // A shorter call added later times out first; the long ones still wait.
  const err = new ChanError('timeout', 'short');
  await assert.rejects(
    t.add(
      owner(() => err),
      t.allocateId(),
      1,
      'short',
    ),
    (e: unknown) => e === err,
  );
  assert.equal(t.size, 256);
  t.rejectAll(new ChanError('closed', 'done'));
  for (const p of long) await assert.rejects(p, (e: unknown) => e instanceof ChanError && e.code === 'closed');
});

/**
 * Adds the three calls as if at one instant: on a loaded machine the loop can
 * stall between two add()s for longer than the timeouts differ (CI saw 'b'
 * made 15 ms after 'c', so its deadline really was later), which would make
 * the expected order a matter of timing.
 */
function addAtOneInstant(add: (name: string, ms: number) => Promise<unknown>): Promise<unknown[]> {
  const t0 = performance.now();
  Object.defineProperty(performance, 'now', { value: () => t0, configurable: true, writable: true });
  try {
    return Promise.all([add('c', 30), add('a', 1), add('b', 15)]);
  } finally {
    delete (performance as { now?: unknown }).now;
  }
}

test('call table: calls with different timeouts expire in deadline order, and the table is empty after', async () => {
  const t = new CallTable();
  const order: string[] = [];
  const add = (name: string, ms: number): Promise<unknown> =>
    t
      .add(
        owner(() => new ChanError('timeout', name)),
        t.allocateId(),
        ms,
        name,
      )
      .catch((e: ChanError) => void order.push(e.message));
  await addAtOneInstant(add);
  assert.deepEqual(order, ['a', 'b', 'c']);
  assert.equal(t.size, 0);
});

test('call table: a timer that fires late times out every due call in deadline order', async () => {
  const t = new CallTable();
  const order: string[] = [];
  const add = (name: string, ms: number): Promise<unknown> =>
    t
      .add(
        owner(() => new ChanError('timeout', name)),
        t.allocateId(),
        ms,
        name,
      )
      .catch((e: ChanError) => void order.push(e.message));
  const all = addAtOneInstant(add);
  // The loop is blocked past every deadline before the table's timer can run.
  const until = performance.now() + 40;
  while (performance.now() < until);
  await all;
  assert.deepEqual(order, ['a', 'b', 'c']);
});

test('call table: its timer holds the process open only while a call waits', async () => {
  const t = new CallTable();
  const timeouts = (): number => process.getActiveResourcesInfo().filter((x) => x === 'Timeout').length;
  const before = timeouts();
  const id = t.allocateId();
  const p = t.add(
    owner(() => new ChanError('timeout', 'x')),
    id,
    60_000,
    'x',
  );
  assert.equal(timeouts(), before + 1);
  t.resolve(id, 1);
  await p;
  assert.equal(timeouts(), before);
});
