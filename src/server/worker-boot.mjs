// First module of a service worker thread, and of a gateway's other processes
// ({processes, N}: the entry's URL is their first argument). Plain JavaScript on purpose. The
// installed package's worker entry is compiled JavaScript and needs no
// loader (a TypeScript handler registers tsx itself, conf/handler-module.ts);
// only this repository's own tests and benches run the entry from its
// TypeScript source, and then a loader is registered first: the hooks the
// main thread named in LIB_CHAN_TS_HOOKS (the tests' own loader,
// scripts/ts-loader), else tsx's. (Node 20 does not carry the main thread's
// loader hooks into a worker, and `--import tsx` in a worker's execArgv does
// not apply to its main module.)
import { workerData } from 'node:worker_threads';

const entryUrl = workerData?.entryUrl ?? process.argv[2];
if (entryUrl.endsWith('.ts')) {
  const hooks = process.env.LIB_CHAN_TS_HOOKS;
  // Imported here, not at the top: module.register is Node 20.6+, and the package's .js entry never needs it.
  if (hooks) (await import('node:module')).register(hooks);
  else (await import('tsx/esm/api')).register();
  globalThis[Symbol.for('lib-chan.tsxRegistered')] = true;
}
await import(entryUrl);
