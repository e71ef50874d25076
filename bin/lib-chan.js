#!/usr/bin/env node
// The lib-chan CLI (also installed as lib_chan). Compiled JavaScript: no loader
// is needed; a TypeScript service module registers tsx itself when loaded.
import { runCli } from '../lib/cli/main.js';

await runCli(process.argv.slice(2));
