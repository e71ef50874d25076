/**
 * Main module of a gateway's helper process (`{processes, N}`, see
 * processes.ts): reads the same conf as the primary, accepts on the
 * listening socket the primary sent, runs logins, serves the channels of
 * `{state, per_process}` services and hands the others to the primary.
 * It stops when the primary says so, when the primary is gone (the IPC
 * channel closes), or on SIGTERM/SIGINT (which a terminal or a service
 * manager sends to every process of the gateway): drain, then exit.
 */
import type net from 'node:net';
import { loadConfig } from '../conf/load.ts';
import { wipe } from '../wire/bytes.ts';
import { createLogger } from './log.ts';
import { Server } from './server.ts';
import type { FromHelper, ToHelper } from './processes.ts';

let server: Server | undefined;
let stopping: Promise<void> | undefined;

function tell(msg: FromHelper, socket?: net.Socket): void {
  // A message with a socket waits for the previous one's acknowledgement: it is serialised when it leaves, so a
  // hand-over's session keys are wiped here only once it has left (or failed to).
  process.send?.(msg, socket, {}, () => {
    if (msg.kind === 'handOff' && msg.keys) {
      wipe(msg.keys.sendKey);
      wipe(msg.keys.receiveKey);
    }
  });
}

async function start(msg: Extract<ToHelper, { kind: 'start' }>, listener: net.Server): Promise<void> {
  try {
    const config = await loadConfig(msg.conf);
    const logger = createLogger({ level: msg.logLevel }).child({ process: msg.index });
    server = await Server.start({
      config,
      logger,
      helper: { listener, processes: msg.processes, handOff: (socket, m) => tell(m, socket) },
    });
    tell({ kind: 'ready' });
  } catch (e) {
    tell({ kind: 'failed', message: (e as Error).message });
    process.exitCode = 1;
    if (process.connected) process.disconnect();
  }
}

function stop(graceMs?: number): Promise<void> {
  stopping ??= (async () => {
    await server?.close(graceMs);
    if (process.connected) process.disconnect();
    // What the server opened is closed; timers a handler left behind must not keep a stopped gateway alive.
    process.exit(process.exitCode ?? 0);
  })();
  return stopping;
}

process.on('message', (msg: ToHelper, handle: unknown) => {
  if (msg.kind === 'start') void start(msg, handle as net.Server);
  else if (msg.kind === 'reload') server?.reload().catch(() => {});
  else if (msg.kind === 'close') void stop(msg.graceMs);
});
process.on('disconnect', () => void stop());
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
