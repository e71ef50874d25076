/**
 * Issue 10, finding 9 (worker OOM on demand): one user of a worker service
 * floods a channel whose handler does not take its messages. Everything
 * posted to the worker is decoded into its heap at once, so before the fix
 * the worker ran out of workerMaxHeapMb and every channel on it closed with
 * handlerCrashed. Now the worker's mailbox budget (workerMailboxBytes, at
 * most a quarter of workerMaxHeapMb, estimated from the decoded size) sheds
 * the flooding channel with limitExceeded; the worker and its other
 * channels live on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectFrom } from '../helpers/ops-client.ts';
import { startTestServer } from '../helpers/start-server.ts';
import { deadline } from '../helpers/latch.ts';
import { atom, tuple, type Term } from '../../src/wire/etf/term.ts';
import { heapEstimate } from '../../src/server/worker-pool.ts';
import { encodeTerm } from '../../src/wire/etf/encode.ts';

test('a flood of small-in-ETF, large-in-heap casts closes the flooding channel, not the worker', async () => {
  const ts = await startTestServer(
    `
{service, hold, password, none, mfa, ops, sleeper, notUsed, [{isolation, worker}, {limits, [{workerMaxHeapMb, 16}]}]}.
`,
    { websocket: false },
  );
  try {
    const key = ts.server.publicKey;
    const bystander = await connectFrom('127.0.0.60', ts.port, 'hold', null, [], { serverKey: key });
    const threadId = ts.server.services.get('hold')!.supervisor!.currentThreadId;
    const flooder = await connectFrom('127.0.0.61', ts.port, 'hold', null, [], { serverKey: key });
    // 20,000 empty lists: 20 KB of ETF, about 640 KB once decoded. 200 of them: 128 MB, eight times the worker's heap.
    const payload: Term = Array.from({ length: 20_000 }, () => [] as Term[]);
    for (let i = 0; i < 200 && flooder.isOpen; i++) {
      flooder.cast(tuple(atom('blob'), i, payload));
      if (i % 20 === 19) await new Promise((r) => setImmediate(r));
    }
    const closed = await ts.waitForLog(
      (l) => l.event === 'channelClosed' && String(l.peer).startsWith('127.0.0.61:'),
      "the flooder's channel to close",
      20_000,
    );
    assert.equal((closed.details as { key?: string } | undefined)?.key, 'workerMailboxBytes', JSON.stringify(closed));
    assert.equal(ts.logs.filter((l) => l.event === 'workerCrashed').length, 0, 'the worker did not die');
    assert.equal(ts.server.services.get('hold')!.supervisor!.currentThreadId, threadId, 'same worker thread');
    assert.equal(bystander.isOpen, true, 'the other channel on the worker is still open');
    await deadline(flooder.closed, 5000, 'the flooder to see its close');
    bystander.close();
  } finally {
    await ts.close();
  }
});

test('heapEstimate: nested empty lists cost far more than their ETF bytes, a binary about its length', () => {
  const lists: Term = Array.from({ length: 1000 }, () => [] as Term[]);
  assert.ok(heapEstimate(lists, encodeTerm(lists).length) >= 30 * 1000);
  const bin = new Uint8Array(100_000);
  const est = heapEstimate(bin, encodeTerm(bin).length);
  assert.ok(est >= 100_000 && est < 101_000);
});
