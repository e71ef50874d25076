// First module of a service worker thread (plain JavaScript on purpose): it
// registers tsx's loader in this thread, so the worker entry and TypeScript
// service modules load as they do on the main thread, then runs the entry.
// (Node 20 does not carry the main thread's loader hooks into a worker, and
// `--import tsx` in a worker's execArgv does not apply to its main module.)
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entryUrl);
