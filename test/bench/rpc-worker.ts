/**
 * A load-generator thread for the bench; two of these stand in for the
 * Erlang client VM's two schedulers. Mode 'rpc': `conns` channels, each
 * doing sequential `{lookup, joe}` rpcs until the deadline. Mode 'login':
 * `conns` loops of connect + login + close. Posts the count.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { connect } from '../../src/client/node.ts';
import type { Channel } from '../../src/chan/channel.ts';
import { atom, tuple } from '../../src/wire/etf/term.ts';
import { fromHex } from '../../src/wire/bytes.ts';

const {
  port,
  key,
  protocol,
  conns,
  ms,
  mode = 'rpc',
} = workerData as {
  port: number;
  key: string | null;
  protocol: 'legacy' | 'secure';
  conns: number;
  ms: number;
  mode?: 'rpc' | 'login';
};
const LOOKUP = tuple(atom('lookup'), atom('joe'));
const open = (): Promise<Channel> =>
  connect('127.0.0.1', port, 'nameServer', 'ABXy45', [], { protocol, serverKey: key ? fromHex(key) : undefined, knownHosts: false });

const chans = mode === 'rpc' ? await Promise.all(Array.from({ length: conns }, open)) : [];
for (const ch of chans) await ch.rpc(LOOKUP);
if (mode === 'login') {
  // Warm up this thread's code paths as the rpc mode does with its first rpc.
  const ch = await open();
  ch.close();
  await ch.closed;
}
parentPort!.postMessage({ ready: true });
parentPort!.once('message', async () => {
  let count = 0;
  const end = performance.now() + ms;
  if (mode === 'login') {
    await Promise.all(
      Array.from({ length: conns }, async () => {
        while (performance.now() < end) {
          const ch = await open();
          ch.close();
          await ch.closed;
          count++;
        }
      }),
    );
  } else {
    await Promise.all(
      chans.map(async (ch) => {
        while (performance.now() < end) {
          await ch.rpc(LOOKUP);
          count++;
        }
      }),
    );
    for (const ch of chans) ch.close();
  }
  parentPort!.postMessage({ count });
});
