#!/usr/bin/env node
// The lib_chan CLI. Service modules may be TypeScript, so tsx's loader is registered first.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
if (code !== 'keep-running') {
  process.exitCode = code;
  // A one-shot command is done: a peer that never finishes closing must not keep it alive.
  setTimeout(() => process.exit(code), 2000).unref();
}
