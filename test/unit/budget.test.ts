import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChanError } from '../../src/errors.ts';
import { Mailbox } from '../../src/chan/mailbox.ts';
import { MemoryBudget, type BudgetHolder } from '../../src/server/budget.ts';

test('mailbox - bounded by bytes as well as count; taking an item frees its bytes', async () => {
  const m = new Mailbox<string>(10, 100);
  assert.ok(m.push('a', 60));
  assert.ok(!m.push('b', 41), 'over maxBytes');
  assert.equal(m.fullByCount(), false);
  assert.ok(m.push('b', 40));
  assert.equal(m.bytes, 100);
  assert.deepEqual(await m.next(), { value: 'a', done: false });
  assert.equal(m.bytes, 40);
  assert.ok(m.push('c', 60));
  m.clear();
  assert.equal(m.bytes, 0);
  const byCount = new Mailbox<number>(2);
  assert.ok(byCount.push(1) && byCount.push(2));
  assert.ok(!byCount.push(3));
  assert.ok(byCount.fullByCount());
});

test('memory budget - sheds the biggest holders until the total is under the limit, once each', () => {
  const holders: (BudgetHolder & { bytes: number; shedWith?: ChanError })[] = [];
  const mk = (peer: string, bytes: number) => {
    const h = {
      peer,
      bytes,
      shedWith: undefined as ChanError | undefined,
      get bufferedBytes() {
        return this.shedWith ? 0 : this.bytes;
      },
      shed(e: ChanError) {
        this.shedWith = e;
      },
    };
    holders.push(h);
    return h;
  };
  const logged: string[] = [];
  const b = new MemoryBudget(
    100,
    () => holders,
    (h) => logged.push(h.peer),
  );
  const small = mk('small', 10);
  const big = mk('big', 60);
  const mid = mk('mid', 50);
  assert.equal(b.held(), 120);
  assert.equal(b.check(), 60);
  assert.deepEqual(logged, ['big']);
  assert.equal(big.shedWith?.code, 'limitExceeded');
  assert.equal(big.shedWith?.details.key, 'maxBufferedBytes');
  assert.equal(mid.shedWith, undefined);
  assert.equal(small.shedWith, undefined);
  // noted traffic triggers the check once the slack (limit/16 here) has moved
  mid.bytes = 200;
  for (let i = 0; i < 7; i++) b.note(1);
  assert.deepEqual(logged, ['big', 'mid']);
  assert.equal(b.shedCount, 2);
});
