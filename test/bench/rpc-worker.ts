/**
 * A load-generator thread for the bench: `conns` channels, each doing
 * sequential `{lookup, joe}` rpcs until the deadline; posts the count. Two of
 * these stand in for the Erlang client VM's two schedulers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { connect } from '../../src/client/node.ts';
import { atom, tuple } from '../../src/wire/etf/term.ts';
import { fromHex } from '../../src/wire/bytes.ts';

const { port, key, protocol, conns, ms } = workerData as { port: number; key: string | null; protocol: 'legacy' | 'secure'; conns: number; ms: number };
const LOOKUP = tuple(atom('lookup'), atom('joe'));
const chans = await Promise.all(
  Array.from({ length: conns }, () => connect('127.0.0.1', port, 'nameServer', 'ABXy45', [], { protocol, serverKey: key ? fromHex(key) : undefined, knownHosts: false })),
);
for (const ch of chans) await ch.rpc(LOOKUP);
parentPort!.postMessage({ ready: true });
parentPort!.once('message', async () => {
  let count = 0;
  const end = performance.now() + ms;
  await Promise.all(chans.map(async (ch) => {
    while (performance.now() < end) {
      await ch.rpc(LOOKUP);
      count++;
    }
  }));
  for (const ch of chans) ch.close();
  parentPort!.postMessage({ count });
});
