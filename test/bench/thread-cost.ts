/**
 * The per-message cost of crossing a worker thread (issue 13, point 3), the
 * floor under any design that keeps handlers in one thread and sockets in
 * others. A worker echoes messages back to the main thread; bursts of 256
 * messages of 32 bytes (a small rpc's payload) are in flight at a time.
 *
 *   clone      one postMessage per message, the bytes copied (structured clone)
 *   transfer   one postMessage per message, its ArrayBuffer transferred
 *   batch64    64 messages per postMessage (an array of Uint8Arrays, cloned)
 *   packed64   64 messages packed into one transferred ArrayBuffer per postMessage
 *
 * Prints µs per message, round trip (wall time and the process's CPU, both
 * threads). `node --import tsx --conditions=lib-chan-src test/bench/thread-cost.ts [seconds]`
 */
import { Worker } from 'node:worker_threads';

const SECONDS = Number(process.argv[2] ?? 1);
const BURST = 256;
const SIZE = 32;
type Mode = 'clone' | 'transfer' | 'batch64' | 'packed64';

const ECHO = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => {
  if (m instanceof Uint8Array) parentPort.postMessage(m, m.buffer.byteLength === m.byteLength ? [m.buffer] : []);
  else if (Array.isArray(m)) parentPort.postMessage(m);
  else parentPort.postMessage(m, [m.buf]);
});`;

export async function threadCost(mode: Mode, seconds: number): Promise<{ wallUs: number; cpuUs: number }> {
  const w = new Worker(ECHO, { eval: true });
  let back = 0;
  let wake: (() => void) | undefined;
  w.on('message', (m: unknown) => {
    back += m instanceof Uint8Array ? 1 : Array.isArray(m) ? m.length : (m as { n: number }).n;
    if (back >= BURST) wake?.();
  });
  const burst = async (): Promise<void> => {
    back = 0;
    const done = new Promise<void>((r) => (wake = r));
    if (mode === 'clone' || mode === 'transfer') {
      for (let i = 0; i < BURST; i++) {
        const m = new Uint8Array(SIZE);
        w.postMessage(m, mode === 'transfer' ? [m.buffer] : []);
      }
    } else if (mode === 'batch64') {
      for (let i = 0; i < BURST; i += 64) w.postMessage(Array.from({ length: 64 }, () => new Uint8Array(SIZE)));
    } else {
      for (let i = 0; i < BURST; i += 64) {
        const buf = new ArrayBuffer(64 * (SIZE + 4));
        w.postMessage({ n: 64, buf }, [buf]);
      }
    }
    await done;
  };
  for (let i = 0; i < 20; i++) await burst(); // warm up
  let n = 0;
  const u0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    await burst();
    n += BURST;
  }
  const wall = performance.now() - t0;
  const u = process.cpuUsage(u0);
  await w.terminate();
  return { wallUs: (wall * 1000) / n, cpuUs: (u.user + u.system) / n };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const mode of ['clone', 'transfer', 'batch64', 'packed64'] as const) {
    const r = await threadCost(mode, SECONDS);
    process.stdout.write(`${mode.padEnd(9)} ${r.wallUs.toFixed(2)} µs/message wall, ${r.cpuUs.toFixed(2)} µs CPU (both threads)\n`);
  }
}
