/**
 * The metrics endpoint: Prometheus text from a per-server registry, scraped
 * after known traffic; every counter is asserted by value.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ChanError } from '../../src/errors.ts';
import { atom, tuple } from '../../src/wire/etf/term.ts';
import { TRANSPORTS } from '../helpers/transports.ts';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import { deadline } from '../helpers/latch.ts';
import { until } from '../helpers/ops-client.ts';

const tcp = TRANSPORTS[0];
const isCode = (code: string) => (e: unknown) => e instanceof ChanError && e.code === code;

/** Parsed exposition: `name{a="x",b="y"}` (labels sorted) -> value. */
type Scrape = Map<string, number>;

function parse(text: string): Scrape {
  const out: Scrape = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `exposition line: ${line}`);
    const labels = m[2]
      ? [...m[2].matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)]
          .map((x) => `${x[1]}="${x[2]}"`)
          .sort()
          .join(',')
      : '';
    out.set(labels ? `${m[1]}{${labels}}` : m[1], Number(m[3]));
  }
  return out;
}

function value(s: Scrape, name: string, labels: Record<string, string> = {}): number {
  const l = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  return s.get(l ? `${name}{${l}}` : name) ?? 0;
}

/** Sum of a metric over every label set matching `labels`. */
function sum(s: Scrape, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const [k, v] of s) {
    const base = k.split('{')[0];
    if (base !== name) continue;
    if (Object.entries(labels).every(([lk, lv]) => k.includes(`${lk}="${lv}"`))) total += v;
  }
  return total;
}

async function scrape(ts: TestServer): Promise<Scrape> {
  const res = await fetch(`http://127.0.0.1:${ts.server.metricsPort}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parse(await res.text());
}

const SERVICES = `
{service, echo, password, "pw", mfa, echo, start, notUsed}.
{service, thrower, password, none, mfa, echo, throwOnMessage, notUsed}.
{service, narrow, password, none, mfa, echo, ignore, notUsed, [{limits, [{maxInflightRpcs, 1}]}]}.
{service, locked, password, "right", mfa, echo, start, notUsed}.
{service, wfragile, password, none, mfa, spin, start, notUsed, [{isolation, worker}]}.
`;

describe('metrics endpoint', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer(SERVICES, { extra: '{metrics, [{port, 0}]}.\n{limits, [{maxLoginFailures, 2}]}.' });
  });
  after(async () => {
    await ts.close();
  });

  test('off by default; on loopback by default; only GET /metrics', async () => {
    const plain = await startTestServer('{service, echo, password, none, mfa, echo, start, notUsed}.', { websocket: false });
    try {
      assert.equal(plain.server.metricsPort, 0);
      assert.equal(plain.server.metrics, undefined);
    } finally {
      await plain.close();
    }
    assert.ok(ts.server.metrics);
    assert.match(ts.server.metrics.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const res = await fetch(`http://127.0.0.1:${ts.server.metricsPort}/other`);
    assert.equal(res.status, 404);
    await res.text();
    const log = await ts.waitForLog((l) => l.event === 'metricsListening', 'metricsListening log');
    assert.equal(log.url, ts.server.metrics.url);
  });

  test('counters after known traffic', async () => {
    const base = await scrape(ts);
    const d = (s: Scrape, name: string, labels: Record<string, string> = {}) => value(s, name, labels) - value(base, name, labels);
    const dsum = (s: Scrape, name: string, labels: Record<string, string> = {}) => sum(s, name, labels) - sum(base, name, labels);

    // Two good logins (secure and legacy), three rpcs and two casts on the secure one.
    const a = await tcp.connect(ts, 'echo', 'pw');
    const b = await tcp.connect(ts, 'echo', 'pw', [], { protocol: 'legacy' });
    for (let i = 0; i < 3; i++) await a.rpc(tuple(atom('n'), i));
    a.cast(atom('c1'));
    a.cast(atom('c2'));
    await b.rpc(atom('legacy'));
    await a.rpc(atom('sync')); // the casts are in before we scrape
    // A handler crash, a limit hit on a channel, a worker crash.
    const t = await tcp.connect(ts, 'thrower', null);
    await assert.rejects(t.rpc(atom('boom'), { timeoutMs: 5000 }));
    const n = await tcp.connect(ts, 'narrow', null);
    const calls = [n.rpc(1, { timeoutMs: 5000 }), n.rpc(2, { timeoutMs: 5000 })].map((p) => p.catch(() => undefined));
    await deadline(n.closed, 5000, 'narrow channel to close');
    await Promise.all(calls);
    const w = await tcp.connect(ts, 'wfragile', null);
    await assert.rejects(w.rpc(atom('uncaught'), { timeoutMs: 10_000 }));
    await ts.waitForLog((l) => l.event === 'channelClosed' && l.service === 'narrow', 'narrow closed log');
    await ts.waitForLog((l) => l.event === 'channelClosed' && l.service === 'thrower', 'thrower closed log');
    await ts.waitForLog((l) => l.event === 'channelClosed' && l.service === 'wfragile', 'wfragile closed log');
    // Failed logins: unknown service, and wrong passwords until a lock-out (maxLoginFailures 2); last, as the lock-out is the address's, for every service.
    await assert.rejects(tcp.connect(ts, 'nope', 'x'), isCode('badService'));
    await assert.rejects(tcp.connect(ts, 'locked', 'wrong'), isCode('authFail'));
    await assert.rejects(tcp.connect(ts, 'locked', 'wrong'), isCode('authFail'));
    await assert.rejects(tcp.connect(ts, 'locked', 'right'), isCode('limitExceeded'));
    // The refused connections are gone from the server before it is scraped.
    await until(() => ts.server.connectionCount === 2, 'the refused connections to close');

    const s = await scrape(ts);
    // 2 echo + badService + 3 locked + thrower + narrow + wfragile.
    assert.equal(d(s, 'lib_chan_connections_accepted_total', { listener: 'tcp' }), 9);
    assert.equal(value(s, 'lib_chan_connections'), 2, 'the two echo channels are open');
    assert.equal(value(s, 'lib_chan_channels', { service: 'echo' }), 2);
    assert.equal(dsum(s, 'lib_chan_handshakes_total', { result: 'ack' }), 5);
    assert.equal(d(s, 'lib_chan_handshakes_total', { result: 'ack', method: 'legacy' }), 1);
    assert.equal(d(s, 'lib_chan_handshakes_total', { result: 'ack', method: 'secure-password' }), 1);
    assert.equal(dsum(s, 'lib_chan_handshakes_total', { result: 'badService' }), 1);
    assert.equal(dsum(s, 'lib_chan_handshakes_total', { result: 'authFail' }), 2);
    assert.equal(dsum(s, 'lib_chan_handshakes_total', { result: 'rateLimited' }), 1);
    assert.equal(d(s, 'lib_chan_login_failures_total'), 2);
    assert.equal(d(s, 'lib_chan_login_lockouts_total'), 1);
    assert.equal(d(s, 'lib_chan_login_refused_locked_total'), 1);
    // Open channels are counted live: secure 4 rpcs + 2 casts in, 4 replies out; legacy 1 and 1.
    assert.equal(d(s, 'lib_chan_messages_in_total', { service: 'echo' }), 7);
    assert.equal(d(s, 'lib_chan_messages_out_total', { service: 'echo' }), 5);
    assert.ok(d(s, 'lib_chan_bytes_in_total', { service: 'echo' }) > 7 * 4);
    assert.ok(d(s, 'lib_chan_bytes_out_total', { service: 'echo' }) > 5 * 4);
    assert.equal(d(s, 'lib_chan_rpc_duration_seconds_count', { service: 'echo' }), 4, 'secure calls only');
    assert.ok(d(s, 'lib_chan_rpc_duration_seconds_sum', { service: 'echo' }) > 0);
    assert.equal(d(s, 'lib_chan_rpc_duration_seconds_bucket', { service: 'echo', le: '+Inf' }), 4);
    assert.equal(d(s, 'lib_chan_handler_crashes_total', { service: 'thrower' }), 1);
    assert.equal(d(s, 'lib_chan_handler_crashes_total', { service: 'wfragile' }), 1);
    assert.equal(d(s, 'lib_chan_worker_crashes_total', { service: 'wfragile', reason: 'uncaught' }), 1);
    assert.equal(d(s, 'lib_chan_limit_hits_total', { limit: 'maxInflightRpcs' }), 1);
    assert.equal(d(s, 'lib_chan_limit_hits_total', { limit: 'maxLoginFailures' }), 1);
    assert.equal(value(s, 'lib_chan_service_up', { service: 'wfragile' }), 1, 'restarted, so still up');
    assert.ok(value(s, 'process_resident_memory_bytes') > 0, 'default process metrics');

    // Closing moves the live counts into the totals: they never go down.
    const bytesOpen = value(s, 'lib_chan_bytes_in_total', { service: 'echo' });
    a.close();
    b.close();
    await ts.waitForLog((l) => l.event === 'channelClosed' && l.service === 'echo' && l.reason === 'peerClosed', 'echo closed');
    await deadline(
      (async () => {
        while (ts.server.channelCount > 0) await new Promise((r) => setImmediate(r));
      })(),
      5000,
      'every channel to close',
    );
    const after = await scrape(ts);
    assert.equal(value(after, 'lib_chan_channels', { service: 'echo' }), 0);
    assert.equal(d(after, 'lib_chan_messages_in_total', { service: 'echo' }), 7 + 1, "plus the secure client's close record");
    assert.ok(value(after, 'lib_chan_bytes_in_total', { service: 'echo' }) > bytesOpen);
    assert.equal(d(after, 'lib_chan_messages_out_total', { service: 'echo' }), 5);
  });

  test('a connection refused at accept is counted by reason and as a limit hit', async () => {
    const small = await startTestServer('{service, echo, password, none, mfa, echo, start, notUsed}.', {
      websocket: false,
      extra: '{metrics, [{port, 0}, {bind, "127.0.0.1"}]}.\n{limits, [{maxConnectionsPerAddress, 1}]}.',
    });
    try {
      const first = await tcp.connect(small, 'echo', null);
      await assert.rejects(tcp.connect(small, 'echo', null));
      first.close();
      const s = await scrape(small);
      assert.equal(value(s, 'lib_chan_connections_refused_total', { reason: 'maxConnectionsPerAddress', listener: 'tcp' }), 1);
      assert.equal(value(s, 'lib_chan_limit_hits_total', { limit: 'maxConnectionsPerAddress' }), 1);
      assert.equal(value(s, 'lib_chan_connections_accepted_total', { listener: 'tcp' }), 1);
      // Two servers in one process: each its own registry.
      const other = await scrape(ts);
      assert.equal(value(other, 'lib_chan_connections_refused_total', { reason: 'maxConnectionsPerAddress', listener: 'tcp' }), 0);
    } finally {
      await small.close();
    }
  });
});
