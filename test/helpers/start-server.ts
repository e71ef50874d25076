/**
 * A server on 127.0.0.1, port 0, from a conf written into a temp dir, with
 * its JSON log lines captured so tests can assert the logged reasons.
 */
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { startServer, type Server } from '../../src/server/server.ts';
import { deadline } from './latch.ts';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const HANDLERS = path.join(REPO, 'test/fixtures/handlers');
export const NAME_SERVER = path.join(REPO, 'examples/name_server');
export const CHAT = path.join(REPO, 'examples/chat');

export type LogLine = Record<string, unknown> & { event?: string; msg?: string; level: number };

export interface TestServer {
  server: Server;
  port: number;
  dir: string;
  logs: LogLine[];
  /** Resolves with the first log line (already logged or to come) that matches. */
  waitForLog(pred: (l: LogLine) => boolean, what?: string, ms?: number): Promise<LogLine>;
  close(): Promise<void>;
}

/** WebSocket listener every test server has unless told otherwise (the suites run over TCP and WebSocket). */
export const TEST_WEBSOCKET = '[{port, 0}, {path, "/chan"}]';

/**
 * The conf: `body` is the service lines etc.; port, bind, module_path and identity are added,
 * and `{websocket, opts.websocket}` (TEST_WEBSOCKET by default; false for none).
 */
export async function startTestServer(body: string, opts: { identity?: boolean; extra?: string; websocket?: string | false } = {}): Promise<TestServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lib_chan-test-'));
  const conf = [
    '{port, 0}.',
    '{bind, "127.0.0.1"}.',
    `{module_path, ["${NAME_SERVER}", "${CHAT}", "${HANDLERS}"]}.`,
    opts.identity === false ? '' : '{identity, "server.key"}.',
    opts.extra ?? '',
    opts.websocket === false ? '' : `{websocket, ${opts.websocket ?? TEST_WEBSOCKET}}.`,
    body,
  ].join('\n');
  const file = path.join(dir, 'lib_chan.conf');
  writeFileSync(file, conf);
  const logs: LogLine[] = [];
  const waiters: { pred: (l: LogLine) => boolean; resolve(l: LogLine): void }[] = [];
  const logger = pino(
    { level: 'debug' },
    {
      write(s: string) {
        const line = JSON.parse(s) as LogLine;
        logs.push(line);
        for (let i = waiters.length - 1; i >= 0; i--) {
          if (waiters[i].pred(line)) {
            waiters[i].resolve(line);
            waiters.splice(i, 1);
          }
        }
      },
    },
  );
  const server = await startServer({ conf: file, logger });
  return {
    server,
    port: server.port,
    dir,
    logs,
    waitForLog(pred, what = 'a log line', ms = 5000) {
      const found = logs.find(pred);
      if (found) return Promise.resolve(found);
      // A timeout names what the server logged last, so a failure on a loaded machine says what it was doing.
      const recent = (): string =>
        logs
          .slice(-8)
          .map(({ level: _l, time: _t, pid: _p, hostname: _h, ...rest }) => JSON.stringify(rest).slice(0, 240))
          .join('; ');
      return deadline(new Promise<LogLine>((resolve) => waiters.push({ pred, resolve })), ms, what, recent);
    },
    async close() {
      await server.close(200);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
