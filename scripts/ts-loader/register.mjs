// The repository's own TypeScript loader for its tests (`node --import ./scripts/ts-loader/register.mjs`):
// a load hook that hands Node esbuild's output for each .ts file, cached on disk by content. It does what
// tsx did for the suite at less cost per process (tsx's hooks resolve every specifier themselves and carry
// a CommonJS loader the tests never use: about 0.3 s of CPU in each of the suite's ~40 processes, on a
// machine where the suite is CPU-bound). tsx stays what users and `npm run bench` run with.
import { register } from 'node:module';

// Stack traces name the .ts line (esbuild writes an inline source map).
process.setSourceMapsEnabled(true);
// Tells the server's handler loader (conf/handler-module.ts) that .ts handlers already load here.
globalThis[Symbol.for('lib-chan.tsxRegistered')] = true;
// Service worker threads start from plain JavaScript and register this same hook (server/worker-boot.mjs).
process.env.LIB_CHAN_TS_HOOKS = new URL('./hooks.mjs', import.meta.url).href;
register('./hooks.mjs', import.meta.url);
