/**
 * One client process of the load test (forked by load.ts, which sends it one
 * job over IPC and gets the results back the same way):
 *
 * - legit: N channels (a mix of secure and legacy) to the counting service,
 *   each in a loop of 0-4 casts `{inc, Key}` then one rpc, until the
 *   deadline; then each asks `{count, Key}`, which must equal its casts.
 * - abuse: N loops of one misbehaviour each (garbage frames, wrong
 *   passwords, stalled handshakes, a reader that stops reading), each
 *   attempt ended by the server; outcomes counted by kind.
 * - idle: N authenticated secure channels that say nothing, held until told
 *   to stop (the memory measurement).
 */
import net from 'node:net';
import { ChanError } from '../../src/errors.ts';
import type { Channel } from '../../src/chan/channel.ts';
import { encodeFrame } from '../../src/wire/frame.ts';
import { encodeTerm } from '../../src/wire/etf/encode.ts';
import { atom, tuple } from '../../src/wire/etf/term.ts';
import { clientStart } from '../../src/auth/secure/handshake.ts';
import { connectFrom } from '../helpers/ops-client.ts';

export interface LegitJob {
  kind: 'legit';
  port: number;
  serverKey: string;
  password: string;
  count: number;
  /** Source addresses, used round robin (per-address limits and the login guard are per address). */
  addresses: string[];
  legacyShare: number;
  deadline: number;
  thinkMs: number;
  keyPrefix: string;
}

export interface AbuseJob {
  kind: 'abuse';
  port: number;
  serverKey: string;
  count: number;
  addresses: string[];
  deadline: number;
}

export interface IdleJob {
  kind: 'idle';
  port: number;
  serverKey: string;
  password: string;
  service: string;
  count: number;
  addresses: string[];
}

export type Job = LegitJob | AbuseJob | IdleJob;

export interface LegitResult {
  kind: 'legit';
  connected: number;
  connectErrors: Record<string, number>;
  casts: number;
  rpcs: number;
  rpcErrors: Record<string, number>;
  handled: number;
  /** Channels whose final count differs from the casts they sent. */
  mismatched: number;
  latencies: number[];
}

export interface AbuseResult {
  kind: 'abuse';
  attempts: Record<string, number>;
  outcomes: Record<string, number>;
}

const bump = (m: Record<string, number>, k: string, n = 1): void => void (m[k] = (m[k] ?? 0) + n);
const codeOf = (e: unknown): string => (e instanceof ChanError ? e.code : e instanceof Error ? e.message.slice(0, 40) : String(e));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Open `count` channels, `parallel` at a time. */
async function openMany(
  count: number,
  parallel: number,
  open: (i: number) => Promise<Channel>,
  errors: Record<string, number>,
): Promise<(Channel | undefined)[]> {
  const out: (Channel | undefined)[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const i = next++;
        try {
          out[i] = await open(i);
        } catch (e) {
          bump(errors, codeOf(e));
        }
      }
    }),
  );
  return out;
}

async function legit(job: LegitJob): Promise<LegitResult> {
  const r: LegitResult = { kind: 'legit', connected: 0, connectErrors: {}, casts: 0, rpcs: 0, rpcErrors: {}, handled: 0, mismatched: 0, latencies: [] };
  const legacyEvery = job.legacyShare > 0 ? Math.round(1 / job.legacyShare) : 0;
  const chans = await openMany(
    job.count,
    50,
    (i) =>
      connectFrom(job.addresses[i % job.addresses.length], job.port, 'counter', job.password, [], {
        protocol: legacyEvery > 0 && i % legacyEvery === 0 ? 'legacy' : 'secure',
        serverKey: job.serverKey,
        limits: { rpcTimeoutMs: 60_000, connectTimeoutMs: 30_000 },
      }),
    r.connectErrors,
  );
  r.connected = chans.filter(Boolean).length;
  await Promise.all(
    chans.map(async (ch, i) => {
      if (!ch) return;
      const key = `${job.keyPrefix}-${i}`;
      let casts = 0;
      let broken = false;
      while (Date.now() < job.deadline && !broken) {
        const k = Math.floor(Math.random() * 5);
        try {
          for (let j = 0; j < k; j++) {
            ch.cast(tuple(atom('inc'), key));
            casts++;
          }
          const t0 = performance.now();
          await ch.rpc(atom('ping'));
          r.latencies.push(performance.now() - t0);
          r.rpcs++;
        } catch (e) {
          bump(r.rpcErrors, codeOf(e));
          broken = true;
        }
        if (job.thinkMs > 0) await sleep(Math.random() * job.thinkMs);
      }
      r.casts += casts;
      try {
        const n = (await ch.rpc(tuple(atom('count'), key))) as number;
        r.handled += n;
        if (n !== casts) r.mismatched++;
      } catch (e) {
        bump(r.rpcErrors, `final count: ${codeOf(e)}`);
        r.mismatched++;
      }
      ch.close();
    }),
  );
  return r;
}

/** One raw connection from `localAddress`; resolves with how it ended. */
function rawAttempt(port: number, localAddress: string, write: (s: net.Socket) => void, opts: { read?: boolean; giveUpMs?: number } = {}): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress });
    let got = 0;
    let done = false;
    const finish = (how: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve(how);
    };
    const timer = setTimeout(() => finish('stillOpen'), opts.giveUpMs ?? 15_000);
    s.on('connect', () => {
      write(s);
      if (opts.read === false) {
        // Stop reading; after a while read again, to see that the server has closed the connection.
        s.pause();
        setTimeout(() => s.resume(), 3000);
      }
    });
    s.on('data', (b) => void (got += b.length));
    s.on('error', (e: NodeJS.ErrnoException) => finish(`error:${e.code ?? e.message}`));
    s.on('close', () => finish(got > 0 ? 'closedByServer(after reply)' : 'closedByServer'));
  });
}

const ABUSES = ['garbageFrame', 'badTerm', 'wrongPasswordSecure', 'wrongPasswordLegacy', 'stalledHandshake', 'stalledHello', 'slowReader'] as const;

async function abuse(job: AbuseJob): Promise<AbuseResult> {
  const r: AbuseResult = { kind: 'abuse', attempts: {}, outcomes: {} };
  await Promise.all(
    Array.from({ length: job.count }, async (_, i) => {
      const what = ABUSES[i % ABUSES.length];
      const addr = job.addresses[i % job.addresses.length];
      while (Date.now() < job.deadline) {
        bump(r.attempts, what);
        let how: string;
        try {
          how = await attempt(what, addr, job);
        } catch (e) {
          how = codeOf(e);
        }
        bump(r.outcomes, `${what}: ${how}`);
        await sleep(20);
      }
    }),
  );
  return r;
}

async function attempt(what: (typeof ABUSES)[number], addr: string, job: AbuseJob): Promise<string> {
  switch (what) {
    case 'garbageFrame':
      return rawAttempt(job.port, addr, (s) => s.write(Buffer.from([0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8])));
    case 'badTerm':
      return rawAttempt(job.port, addr, (s) => s.write(encodeFrame(new Uint8Array([131, 108, 0xff, 0xff, 0xff, 0xff, 97]))));
    case 'stalledHandshake':
      return rawAttempt(job.port, addr, () => {});
    case 'stalledHello':
      return rawAttempt(job.port, addr, (s) => s.write(encodeFrame(clientStart().out).subarray(0, 20)));
    case 'slowReader':
      return rawAttempt(
        job.port,
        addr,
        (s) => {
          s.write(encodeFrame(encodeTerm(tuple(atom('startService'), atom('flood'), []))));
          s.write(encodeFrame(encodeTerm(tuple(atom('flood'), 400, 65536))));
        },
        { read: false },
      );
    case 'wrongPasswordSecure':
    case 'wrongPasswordLegacy': {
      try {
        const ch = await connectFrom(addr, job.port, 'counter', 'not-the-password', [], {
          protocol: what === 'wrongPasswordLegacy' ? 'legacy' : 'secure',
          serverKey: job.serverKey,
        });
        ch.close();
        return 'loggedIn(!)';
      } catch (e) {
        return codeOf(e);
      }
    }
  }
}

let idleChannels: (Channel | undefined)[] = [];

async function idle(job: IdleJob): Promise<{ kind: 'idle'; connected: number; errors: Record<string, number> }> {
  const errors: Record<string, number> = {};
  idleChannels = await openMany(
    job.count,
    100,
    (i) =>
      connectFrom(job.addresses[i % job.addresses.length], job.port, job.service, job.password, [], {
        serverKey: job.serverKey,
        limits: { connectTimeoutMs: 60_000 },
      }),
    errors,
  );
  return { kind: 'idle', connected: idleChannels.filter(Boolean).length, errors };
}

process.on('message', (msg: { cmd: 'run'; job: Job } | { cmd: 'stop' }) => {
  if (msg.cmd === 'stop') {
    for (const ch of idleChannels) ch?.close();
    setTimeout(() => process.exit(0), 500).unref();
    process.disconnect?.();
    return;
  }
  const run = msg.job.kind === 'legit' ? legit(msg.job) : msg.job.kind === 'abuse' ? abuse(msg.job) : idle(msg.job);
  run.then(
    (result) => process.send!({ type: 'done', result }),
    (e: unknown) => process.send!({ type: 'failed', error: e instanceof Error ? e.stack : String(e) }),
  );
});
process.send!({ type: 'ready' });
