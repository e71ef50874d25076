/**
 * What the middle-man costs, inline and in a worker (not part of npm test):
 * process CPU per sequential secure rpc (client and server in this process,
 * worker threads included: CPU time, so a busy shared machine skews it less
 * than a rate), and heap per idle secure channel (client and server).
 *
 *   node --expose-gc --import tsx test/bench/mm-cost.ts      # N=900 idle channels by default
 */
import { startTestServer } from '../helpers/start-server.ts';
import { connect } from '../../src/client/node.ts';
import { atom, tuple } from '../../src/wire/etf/term.ts';

const N = Number(process.env.N ?? 900);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const ts = await startTestServer(
  `
{service, e, password, none, mfa, echo, start, notUsed}.
{service, w, password, none, mfa, echo, start, notUsed, [{isolation, worker}]}.
`,
  { websocket: false, extra: `{log_level, warn}.\n{limits, [{maxConnectionsPerAddress, ${N + 10}}]}.` },
);
const open = (svc: string) => connect('127.0.0.1', ts.port, svc, null, [], { serverKey: ts.server.publicKey });
const msg = tuple(atom('lookup'), atom('joe'));
try {
  for (const svc of ['e', 'w']) {
    const ch = await open(svc);
    for (let i = 0; i < 2000; i++) await ch.rpc(msg);
    const per: number[] = [];
    for (let r = 0; r < 5; r++) {
      const c0 = process.cpuUsage();
      const n = 10000;
      for (let i = 0; i < n; i++) await ch.rpc(msg);
      const c = process.cpuUsage(c0);
      per.push((c.user + c.system) / n);
    }
    per.sort((a, b) => a - b);
    console.log(`${svc === 'e' ? 'inline' : 'worker'}: process CPU per secure rpc ${per[2].toFixed(1)} µs (median of 5 x 10000)`);
    ch.close();
  }
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const chans = [];
  for (let i = 0; i < N; i++) chans.push(await open('e'));
  for (const c of chans) await c.rpc(1);
  gc();
  gc();
  console.log(`inline: heap per idle secure channel, client and server: ${((process.memoryUsage().heapUsed - before) / N).toFixed(0)} B (${N} channels)`);
  for (const c of chans) c.close();
} finally {
  await ts.close();
}
