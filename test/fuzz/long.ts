/**
 * `npm run fuzz`: the fuzz targets of targets.ts for a long time, in rounds
 * (each target gets a batch with a fresh seed), then a report of how many
 * inputs each target tried and what was found.
 *
 *   FUZZ_SECONDS   total time (default 300)
 *   FUZZ_INPUTS    stop after this many inputs in total instead (default: no limit)
 *   FUZZ_SEED      first seed (default: the clock); a finding prints its seed and case
 *   FUZZ_TARGETS   comma-separated subset of: frames,termLimits,hostileTerms,complexity,compressed,conf,live
 *
 * Exit 0 when nothing was found, 1 otherwise.
 */
import fc from 'fast-check';
import {
  LiveFuzzer,
  PATHOLOGICAL_CONFS,
  checkComplexityCase,
  complexityCase,
  checkCompressedCase,
  checkConfText,
  checkFrameCase,
  checkHostileTermCase,
  checkTermLimitCase,
  compressedCase,
  confCase,
  confText,
  frameCase,
  hostileTermCase,
  livePlan,
  termLimitCase,
} from './targets.ts';

const seconds = Number(process.env.FUZZ_SECONDS ?? 300);
const maxInputs = process.env.FUZZ_INPUTS === undefined ? Infinity : Number(process.env.FUZZ_INPUTS);
let seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const firstSeed = seed;
const wanted = new Set((process.env.FUZZ_TARGETS ?? 'frames,termLimits,hostileTerms,complexity,compressed,conf,live').split(','));

interface Tally {
  inputs: number;
  findings: string[];
  ms: number;
}

const tallies: Record<string, Tally> = {};
const tally = (name: string): Tally => (tallies[name] ??= { inputs: 0, findings: [], ms: 0 });
let total = 0;

/** Unhandled errors anywhere in the process are findings too (the live server runs in it). */
const unhandled: string[] = [];
process.on('uncaughtException', (e) => void unhandled.push(`uncaughtException: ${e instanceof Error ? e.stack : String(e)}`));
process.on('unhandledRejection', (e) => void unhandled.push(`unhandledRejection: ${e instanceof Error ? e.stack : String(e)}`));

function syncBatch<T>(name: string, arb: fc.Arbitrary<T>, check: (c: T) => void, runs: number): void {
  if (!wanted.has(name)) return;
  const t = tally(name);
  const s = seed++;
  const t0 = performance.now();
  let n = 0;
  const r = fc.check(
    fc.property(arb, (c) => {
      n++;
      check(c);
    }),
    { numRuns: runs, seed: s },
  );
  t.ms += performance.now() - t0;
  t.inputs += n;
  total += n;
  if (r.failed)
    t.findings.push(
      `seed ${s}: ${r.errorInstance instanceof Error ? r.errorInstance.message : String(r.errorInstance)}\n  case: ${fc.stringify(r.counterexample)}`,
    );
}

async function confBatch(runs: number): Promise<void> {
  if (!wanted.has('conf')) return;
  const t = tally('conf');
  const s = seed++;
  const t0 = performance.now();
  let n = 0;
  const r = await fc.check(
    fc.asyncProperty(confCase, async (c) => {
      n++;
      await checkConfText(confText(c));
    }),
    { numRuns: runs, seed: s },
  );
  t.ms += performance.now() - t0;
  t.inputs += n;
  total += n;
  if (r.failed)
    t.findings.push(
      `seed ${s}: ${r.errorInstance instanceof Error ? r.errorInstance.message : String(r.errorInstance)}\n  case: ${fc.stringify(r.counterexample)}`,
    );
}

async function liveBatch(fz: LiveFuzzer, runs: number): Promise<void> {
  const t = tally('live');
  const s = seed++;
  const t0 = performance.now();
  const before = fz.stats.problems.length;
  const plans = fc.sample(livePlan, { numRuns: runs, seed: s });
  await fz.runAll(plans, 48);
  t.ms += performance.now() - t0;
  t.inputs += runs;
  total += runs;
  for (const p of fz.stats.problems.slice(before)) t.findings.push(`seed ${s}: ${p}`);
}

const started = Date.now();
const deadline = started + seconds * 1000;
const more = (): boolean => Date.now() < deadline && total < maxInputs;

process.stdout.write(
  `lib_chan fuzz: up to ${seconds} s${Number.isFinite(maxInputs) ? ` or ${maxInputs} inputs` : ''}, first seed ${firstSeed}, targets ${[...wanted].join(',')}\n`,
);
if (wanted.has('conf')) {
  const t = tally('conf');
  for (const text of PATHOLOGICAL_CONFS) {
    try {
      await checkConfText(text);
    } catch (e) {
      t.findings.push(`pathological conf: ${(e as Error).message}`);
    }
    t.inputs++;
    total++;
  }
}
const fz = wanted.has('live') ? await LiveFuzzer.start() : undefined;
let rounds = 0;
let lastReport = Date.now();
while (more()) {
  syncBatch('frames', frameCase, checkFrameCase, 5000);
  syncBatch('termLimits', termLimitCase, checkTermLimitCase, 2000);
  syncBatch('hostileTerms', hostileTermCase, checkHostileTermCase, 1000);
  syncBatch('complexity', complexityCase, checkComplexityCase, 100);
  syncBatch('compressed', compressedCase, checkCompressedCase, 100);
  await confBatch(300);
  if (fz) await liveBatch(fz, 500);
  rounds++;
  if (Date.now() - lastReport > 30_000) {
    lastReport = Date.now();
    process.stdout.write(
      `  ${((Date.now() - started) / 1000).toFixed(0)} s: ${total.toLocaleString('en')} inputs, ${Object.values(tallies).reduce((n, t) => n + t.findings.length, 0)} findings\n`,
    );
  }
}
if (fz) {
  try {
    await fz.checkStillServes();
  } catch (e) {
    tally('live').findings.push(`after the run, a good client was not served: ${(e as Error).message}`);
  }
  await fz.close();
}

const elapsed = (Date.now() - started) / 1000;
const lines = [
  '',
  `lib_chan fuzz report: ${elapsed.toFixed(0)} s, ${rounds} rounds, seeds ${firstSeed}..${seed - 1}, node ${process.version}`,
  '',
  '| target | inputs | inputs/s | findings |',
  '|---|---:|---:|---:|',
  ...Object.entries(tallies).map(
    ([name, t]) =>
      `| ${name} | ${t.inputs.toLocaleString('en')} | ${t.ms > 0 ? Math.round(t.inputs / (t.ms / 1000)).toLocaleString('en') : '-'} | ${t.findings.length} |`,
  ),
  `| **total** | **${total.toLocaleString('en')}** | | **${Object.values(tallies).reduce((n, t) => n + t.findings.length, 0) + unhandled.length}** |`,
  '',
];
if (fz) {
  lines.push(`live server: ${fz.stats.loggedIn.toLocaleString('en')} inputs got past the login; how the server ended the connections (from its log):`);
  for (const [k, v] of Object.entries(fz.stats.outcomes).sort((a, b) => b[1] - a[1])) lines.push(`  ${k.padEnd(34)} ${v.toLocaleString('en')}`);
  lines.push('');
}
const findings = Object.entries(tallies)
  .flatMap(([name, t]) => t.findings.map((f) => `[${name}] ${f}`))
  .concat(unhandled);
lines.push(
  findings.length === 0
    ? 'Findings: none.'
    : `Findings (${findings.length}):\n${findings
        .slice(0, 50)
        .map((f) => `- ${f}`)
        .join('\n')}`,
);
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(findings.length === 0 ? 0 : 1);
