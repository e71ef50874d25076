// First module of a service worker thread (plain JavaScript on purpose). The
// installed package's worker entry is compiled JavaScript and needs no
// loader (a TypeScript handler registers tsx itself, conf/handler-module.ts);
// only this repository's own tests run the entry from its TypeScript source,
// and then tsx's loader is registered first. (Node 20 does not carry the main
// thread's loader hooks into a worker, and `--import tsx` in a worker's
// execArgv does not apply to its main module.)
import { workerData } from 'node:worker_threads';

if (workerData.entryUrl.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
  globalThis[Symbol.for('lib-chan.tsxRegistered')] = true;
}
await import(workerData.entryUrl);
