/**
 * Review item of issue 10: a start that fails at any step leaves nothing
 * listening and nothing running, and the caller's config is not changed.
 * Before, a taken WebSocket port left the metrics endpoint listening and the
 * service workers (and the ephemeral key pool) alive, and the port and bind
 * overrides were written into the caller's config. Each case below is one
 * step a start can fail at after something was started.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { ChanError } from '../../src/errors.ts';
import { startServer } from '../../src/server/server.ts';
import { loadConfig } from '../../src/conf/load.ts';
import { HANDLERS } from '../helpers/start-server.ts';
import { until } from '../helpers/ops-client.ts';

const HOST = '127.0.0.1';

function listen(port = 0): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ port, host: HOST }, () => resolve(s));
  });
}
const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;
const close = (s: net.Server) => new Promise<void>((r) => s.close(() => r()));
/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const s = await listen();
  const p = portOf(s);
  await close(s);
  return p;
}
/** True when we can listen on `port` ourselves, i.e. the failed start left nothing there. */
async function isFree(port: number): Promise<boolean> {
  try {
    await close(await listen(port));
    return true;
  } catch {
    return false;
  }
}
const threads = (): number => Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN);

describe('a start that fails leaves nothing listening or running', { skip: process.platform !== 'linux' && 'counts threads in /proc/self/status' }, () => {
  let dir: string;
  let blocker: net.Server;
  let baseline: number;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'lib_chan-startfail-'));
    blocker = await listen();
    // Warm up what stays for the process's life (libuv's pool, a worker's first start), then count threads.
    const warm = await startServer({ conf: conf('warm', { tcp: 0, metrics: 0, ws: 0 }), logger: pino({ level: 'silent' }) });
    await warm.close(100);
    await new Promise((r) => setTimeout(r, 50));
    baseline = threads();
  });
  after(async () => {
    await close(blocker);
    rmSync(dir, { recursive: true, force: true });
  });

  function conf(name: string, p: { tcp: number; metrics: number; ws: number }, module = 'echo', isolation = 'worker'): string {
    const file = path.join(dir, `${name}.conf`);
    writeFileSync(
      file,
      [
        `{port, ${p.tcp}}.`,
        `{bind, "${HOST}"}.`,
        '{identity, "server.key"}.',
        `{module_path, ["${HANDLERS}"]}.`,
        `{metrics, [{port, ${p.metrics}}]}.`,
        `{websocket, [{port, ${p.ws}}, {bind, "${HOST}"}]}.`,
        `{service, w, password, none, mfa, ${module}, start, notUsed, [{isolation, ${isolation}}]}.`,
      ].join('\n'),
      { mode: 0o600 },
    );
    return file;
  }

  const cases: [string, (b: number) => { tcp: number; metrics: number; ws: number }, string?][] = [
    ['the WebSocket port is taken', (b) => ({ tcp: 0, metrics: 0, ws: b })],
    ['the metrics port is taken', (b) => ({ tcp: 0, metrics: b, ws: 0 })],
    ['the TCP port is taken', (b) => ({ tcp: b, metrics: 0, ws: 0 })],
    ['a service worker fails to load', () => ({ tcp: 0, metrics: 0, ws: 0 }), 'fails-in-worker'],
  ];
  for (const [what, ports, module] of cases) {
    test(what, async () => {
      const fixed = { tcp: await freePort(), metrics: await freePort(), ws: await freePort() };
      const p = ports(portOf(blocker));
      const use = { tcp: p.tcp || fixed.tcp, metrics: p.metrics || fixed.metrics, ws: p.ws || fixed.ws };
      await assert.rejects(
        startServer({ conf: conf(what.replace(/\W+/g, '-'), use, module), logger: pino({ level: 'silent' }) }),
        (e: unknown) => e instanceof ChanError && e.code === 'badConf',
      );
      for (const [name, port] of Object.entries(use)) {
        if (port !== portOf(blocker)) assert.ok(await isFree(port), `the ${name} port ${port} is not left listening`);
      }
      await until(() => threads() <= baseline, `the service worker to end (threads ${threads()}, baseline ${baseline})`);
    });
  }

  test("the caller's config is not changed by the port and bind overrides", async () => {
    const config = await loadConfig(conf('copy', { tcp: await freePort(), metrics: 0, ws: 0 }, 'echo', 'inline'));
    const before = { port: config.port, bind: config.bind };
    const server = await startServer({ config, port: 0, bind: HOST, logger: pino({ level: 'silent' }) });
    try {
      assert.deepEqual({ port: config.port, bind: config.bind }, before);
    } finally {
      await server.close(100);
    }
  });
});
