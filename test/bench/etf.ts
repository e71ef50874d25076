/**
 * Micro-benchmark of the ETF codec on the name server's messages and a 64 KiB binary.
 * Run: node --import tsx test/bench/etf.ts   (not part of npm test; prints ops/s only)
 */
import { decodeTerm } from '../../src/wire/etf/decode.ts';
import { encodeTerm } from '../../src/wire/etf/encode.ts';
import { atom, tuple, type Term } from '../../src/wire/etf/term.ts';

const binary = new Uint8Array(64 * 1024);
for (let i = 0; i < binary.length; i++) binary[i] = (i * 31) & 0xff;

const CASES: [string, Term][] = [
  ['{lookup,joe}', tuple(atom('lookup'), atom('joe'))],
  ['{ok,"writing a book"}', tuple(atom('ok'), 'writing a book')],
  ['{store,joe,"writing a book"}', tuple(atom('store'), atom('joe'), 'writing a book')],
  ['64 KiB binary', binary],
];

/** Run `fn` for about `ms` milliseconds (after a warm-up) and return calls per second. */
function opsPerSecond(fn: () => unknown, ms = 1000): number {
  const warm = performance.now() + 200;
  while (performance.now() < warm) fn();
  let n = 0;
  let batch = 64;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < batch; i++) fn();
    n += batch;
    now = performance.now();
    if (batch < 65536 && now - start < ms / 10) batch *= 2;
  }
  return (n * 1000) / (now - start);
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US').padStart(13);
console.log(`${'term'.padEnd(30)}${'bytes'.padStart(8)}${'encode ops/s'.padStart(14)}${'decode ops/s'.padStart(14)}`);
for (const [name, term] of CASES) {
  const bytes = encodeTerm(term);
  let sink = 0;
  const enc = opsPerSecond(() => {
    sink += encodeTerm(term).length;
  });
  const dec = opsPerSecond(() => {
    if (decodeTerm(bytes) !== undefined) sink++;
  });
  if (sink < 0) console.log(sink);
  console.log(`${name.padEnd(30)}${String(bytes.length).padStart(8)} ${fmt(enc)} ${fmt(dec)}`);
}
