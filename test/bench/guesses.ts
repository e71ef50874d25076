/**
 * Online guessing with address rotation (issue 10, finding 4): how many
 * passwords per second an attacker gets checked against one service, and
 * whether it finds a planted one, when it rotates its source address over
 * 127.0.x.y (Linux routes all of 127/8 to lo) and treats "no ack within
 * --give-up ms" as a failure (it never waits for a slowed-down answer).
 *
 *   node --import tsx test/bench/guesses.ts [--seconds 5] [--concurrency 32] [--give-up 60] [--legacy]
 *
 * The server runs in this process with the default login limits;
 * "checkedInWindow" is the server's own count of passwords it compared
 * (failures plus a success) while the attack ran, so refusals without a
 * check (rateLimited) are not guesses; "checkedIncludingAbandoned" adds the
 * abandoned attempts still queued when the attack stopped.
 * Never part of npm test.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { startServer } from '../../src/server/server.ts';
import { ChanError } from '../../src/errors.ts';
import { connectFrom } from '../helpers/ops-client.ts';
import { HANDLERS } from '../helpers/start-server.ts';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const seconds = arg('seconds', 5);
const concurrency = arg('concurrency', 32);
const giveUpMs = arg('give-up', 60);
const protocol = process.argv.includes('--legacy') ? 'legacy' : 'secure';
const PLANTED = 700;

const dir = mkdtempSync(path.join(os.tmpdir(), 'lib_chan-guesses-'));
const file = path.join(dir, 'lib_chan.conf');
writeFileSync(
  file,
  [
    '{port, 0}.',
    '{bind, "127.0.0.1"}.',
    '{identity, "server.key"}.',
    `{module_path, ["${HANDLERS}"]}.`,
    // {legacy, allow} with its own legacy password where the conf loader wants one (the bench measures the guard, not the policy).
    protocol === 'legacy' ? '{legacy, allow}.' : '',
    `{service, vault, password, "guess-${PLANTED}", mfa, echo, start, notUsed${protocol === 'legacy' ? ', [{auth, [legacy]}]' : ''}}.`,
  ].join('\n'),
);
const server = await startServer({ conf: file, logger: pino({ level: 'silent' }) });
const port = server.port;

let next = 0;
let addr = 0;
const outcome = { found: -1, answeredFail: 0, rateLimited: 0, gaveUp: 0, other: 0, attempts: 0 };
const startFailures = server.guard.counts.failures;
let successes = 0;
const t0 = Date.now();
const end = t0 + seconds * 1000;

async function loop(): Promise<void> {
  while (Date.now() < end && outcome.found < 0) {
    const guess = next++;
    const a = addr++;
    const local = `127.0.${1 + ((a >> 8) % 254)}.${1 + (a % 254)}`;
    outcome.attempts++;
    const attempt = connectFrom(local, port, 'vault', `guess-${guess}`, [], { protocol, serverKey: server.publicKey, limits: { connectTimeoutMs: 10_000 } });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const gaveUp = new Promise<'gaveUp'>((r) => (timer = setTimeout(() => r('gaveUp'), giveUpMs)));
    const r = await Promise.race([
      attempt.then(
        (ch) => ch,
        (e: unknown) => e,
      ),
      gaveUp,
    ]);
    clearTimeout(timer);
    if (r === 'gaveUp') {
      outcome.gaveUp++;
      // Abandoned: whatever it turns into later, the attacker has moved on.
      void attempt.then(
        (ch) => {
          successes++;
          ch.close();
        },
        () => {},
      );
    } else if (r instanceof ChanError) {
      if (r.code === 'authFail') outcome.answeredFail++;
      else if (r.code === 'limitExceeded') outcome.rateLimited++;
      else outcome.other++;
    } else if (r instanceof Error) {
      outcome.other++;
    } else {
      outcome.found = guess;
      successes++;
      (r as { close(): void }).close();
    }
  }
}

await Promise.all(Array.from({ length: concurrency }, loop));
const elapsed = (Date.now() - t0) / 1000;
const checkedInWindow = server.guard.counts.failures - startFailures + successes;
// Let abandoned attempts finish so the server's count is complete.
await new Promise((r) => setTimeout(r, 2500));
const checked = server.guard.counts.failures - startFailures + successes;
console.log(
  JSON.stringify({
    protocol,
    seconds: Number(elapsed.toFixed(2)),
    concurrency,
    giveUpMs,
    attempts: outcome.attempts,
    attemptsPerSec: Math.round(outcome.attempts / elapsed),
    checkedInWindow,
    checkedPerSec: Number((checkedInWindow / elapsed).toFixed(1)),
    checkedIncludingAbandoned: checked,
    foundPlanted: outcome.found >= 0,
    answeredFail: outcome.answeredFail,
    rateLimited: outcome.rateLimited,
    gaveUp: outcome.gaveUp,
    other: outcome.other,
  }),
);
await server.close(100);
rmSync(dir, { recursive: true, force: true });
