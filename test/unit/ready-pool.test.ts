import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReadyPool, READY_POOL_SIZE } from '../../src/auth/ready-pool-node.ts';

/** One turn of the event loop: immediates queued before this one have run. */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

function counterPool(size?: number) {
  let made = 0;
  const disposed: number[] = [];
  const pool = new ReadyPool(
    () => ++made,
    (n: number) => void disposed.push(n),
    size,
  );
  return { pool, disposed, made: () => made };
}

test('ready pool - starts empty, makes on demand, then refills one item per turn up to its size', async () => {
  const { pool, made } = counterPool(3);
  assert.equal(pool.available, 0);
  assert.equal(pool.take(), 1);
  assert.equal(pool.available, 0, 'nothing is made inside take() beyond the item handed out');
  await turn();
  assert.equal(pool.available, 1);
  await turn();
  await turn();
  await turn();
  assert.equal(pool.available, 3, 'never more than its size');
  assert.equal(made(), 4);
  // Ready items go out oldest first and are never handed out twice.
  const seen = new Set<number>();
  for (let i = 0; i < 20; i++) {
    const n = pool.take();
    assert.ok(!seen.has(n), `item ${n} handed out twice`);
    seen.add(n);
    if (i % 3 === 0) await turn();
  }
  pool.close();
});

test('ready pool - close() disposes of every waiting item; take() still works, without refilling', async () => {
  const { pool, disposed } = counterPool();
  pool.take();
  for (let i = 0; i < READY_POOL_SIZE + 2; i++) await turn();
  assert.equal(pool.available, READY_POOL_SIZE);
  pool.close();
  assert.equal(pool.available, 0);
  assert.deepEqual(disposed, [2, 3, 4, 5]);
  const n = pool.take();
  assert.equal(n, 6);
  await turn();
  assert.equal(pool.available, 0, 'a closed pool does not refill');
});

test('ready pool - close() between a take and its refill stops the refill', async () => {
  const { pool, made } = counterPool();
  pool.take();
  pool.close();
  await turn();
  await turn();
  assert.equal(made(), 1);
  assert.equal(pool.available, 0);
});
