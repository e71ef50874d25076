/**
 * The browser example: starts the lib_chan server of lib_chan.conf (name
 * server and chat room, WebSocket listener on /chan) and a tiny static server
 * on loopback for the page. The static server is how the page learns, from
 * its own origin, what it must not take from the WebSocket server it is about
 * to check:
 *
 *   /                      index.html
 *   /app.js                the page script
 *   /lib_chan.browser.js   the bundle (npm run build)
 *   /server-key            the server's public key, lcsk1:... (read from its key file)
 *   /config.json           {"url": "ws://127.0.0.1:8080/chan"}
 *
 *   npm run build && node --import tsx examples/browser/serve.ts   # then open http://127.0.0.1:8000/
 *   options: --port N (static server; 0 = any), --ws-port N, --tcp-port N
 */
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodePublicKey } from 'lib-chan';
import { loadConfig, loadKeyFile, startServer, type Logger, type Server } from 'lib-chan/server';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

export interface ExampleOptions {
  /** @default examples/browser/lib_chan.conf */
  conf?: string;
  /** Static server port. @default 8000 */
  httpPort?: number;
  /** Override the conf's WebSocket port. */
  wsPort?: number;
  /** Override the conf's TCP port. */
  tcpPort?: number;
  /** Override the conf's identity key file (tests use a temp file). */
  identityFile?: string;
  logger?: Logger;
}

export interface Example {
  /** The page, e.g. http://127.0.0.1:8000/ */
  pageUrl: string;
  /** The WebSocket URL the page connects to. */
  wsUrl: string;
  serverKey: string;
  server: Server;
  close(): Promise<void>;
}

const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: path.join(HERE, 'index.html'), type: 'text/html; charset=utf-8' },
  '/index.html': { file: path.join(HERE, 'index.html'), type: 'text/html; charset=utf-8' },
  '/app.js': { file: path.join(HERE, 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/lib_chan.browser.js': { file: path.join(DIST, 'lib_chan.browser.js'), type: 'text/javascript; charset=utf-8' },
  '/lib_chan.browser.js.map': { file: path.join(DIST, 'lib_chan.browser.js.map'), type: 'application/json' },
};

export async function startExample(opts: ExampleOptions = {}): Promise<Example> {
  const state = { serverKey: '', wsUrl: '' };
  const page = http.createServer((req, res) => void respond(req, res, state));
  await new Promise<void>((resolve, reject) => {
    page.once('error', reject);
    page.listen(opts.httpPort ?? 8000, '127.0.0.1', () => resolve());
  });
  const httpPort = (page.address() as { port: number }).port;
  try {
    const config = await loadConfig(opts.conf ?? path.join(HERE, 'lib_chan.conf'));
    if (!config.websocket) throw new Error(`${config.file}: the browser example needs a {websocket, [...]} listener`);
    if (opts.tcpPort !== undefined) config.port = opts.tcpPort;
    if (opts.wsPort !== undefined) config.websocket.port = opts.wsPort;
    if (opts.identityFile !== undefined) config.identityFile = opts.identityFile;
    if (!config.identityFile) throw new Error(`${config.file}: the browser example needs {identity, File} (the page uses the secure protocol)`);
    // The page's own origin may connect, whatever port it got.
    if (config.websocket.origins) {
      config.websocket.origins = [...new Set([...config.websocket.origins, `http://127.0.0.1:${httpPort}`, `http://localhost:${httpPort}`])];
    }
    const server = await startServer({ config, logger: opts.logger });
    state.serverKey = encodePublicKey('server', loadKeyFile(config.identityFile, 'server').publicKey);
    state.wsUrl = `ws://127.0.0.1:${server.wsPort}${config.websocket.path}`;
    return {
      pageUrl: `http://127.0.0.1:${httpPort}/`,
      wsUrl: state.wsUrl,
      serverKey: state.serverKey,
      server,
      async close() {
        await Promise.all([server.close(200), new Promise((r) => page.close(r))]);
      },
    };
  } catch (e) {
    page.close();
    throw e;
  }
}

async function respond(req: http.IncomingMessage, res: http.ServerResponse, state: { serverKey: string; wsUrl: string }): Promise<void> {
  const headers = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };
  const pathname = new URL(req.url ?? '/', 'http://x').pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...headers, Allow: 'GET, HEAD' }).end();
    return;
  }
  if (pathname === '/server-key' || pathname === '/config.json') {
    if (!state.serverKey) {
      res.writeHead(503, headers).end('the lib_chan server is starting\n');
      return;
    }
    const json = pathname === '/config.json';
    res.writeHead(200, { ...headers, 'Content-Type': json ? 'application/json' : 'text/plain; charset=utf-8' });
    res.end(json ? JSON.stringify({ url: state.wsUrl }) : `${state.serverKey}\n`);
    return;
  }
  const entry = STATIC[pathname];
  if (!entry) {
    res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found\n');
    return;
  }
  try {
    const body = await readFile(entry.file);
    res.writeHead(200, { ...headers, 'Content-Type': entry.type }).end(req.method === 'HEAD' ? undefined : body);
  } catch {
    const hint = entry.file.startsWith(DIST) ? ': run npm run build first' : '';
    res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end(`${pathname} is missing${hint}\n`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name: string): number | undefined => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const ex = await startExample({ httpPort: arg('--port'), wsPort: arg('--ws-port'), tcpPort: arg('--tcp-port') });
  process.stdout.write(`open ${ex.pageUrl}  (lib_chan over ${ex.wsUrl}, server key ${ex.serverKey})\n`);
  const stop = (): void => void ex.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
