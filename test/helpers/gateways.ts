/**
 * Gateways as real `lib_chan start` processes (so they can be killed -9 or
 * sent SIGTERM), each from its own conf and dir (own identity key), with a
 * `{registry, URL}` term and the `gateway` fixture handler naming itself
 * (compiled to JavaScript: js-handlers.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jsHandlers } from './js-handlers.ts';
import { startCliServer, type CliProcess, type JsonLine } from './cli-process.ts';

export interface GatewayProcess {
  name: string;
  cli: CliProcess;
  port: number;
  publicKey: string;
  dir: string;
  /** The first registry log line with this action (already printed or to come). */
  registryEvent(action: string, ms?: number, after?: number): Promise<JsonLine>;
  stop(): Promise<void>;
}

export async function startGateway(
  name: string,
  registry: string,
  opts: { ttlMs?: number; services?: string; env?: Record<string, string> } = {},
): Promise<GatewayProcess> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `lib_chan-gw-${name}-`));
  const conf = path.join(dir, 'lib_chan.conf');
  writeFileSync(
    conf,
    [
      '{port, 0}.',
      '{bind, "127.0.0.1"}.',
      `{module_path, ["${jsHandlers()}"]}.`,
      '{identity, "server.key"}.',
      `{registry, "${registry}"}.`,
      `{limits, [{registryTtlMs, ${opts.ttlMs ?? 2000}}, {closeGraceMs, 3000}]}.`,
      opts.services ?? `{service, nameServer, password, "pw", mfa, gateway, start, "${name}"}.`,
      '',
    ].join('\n'),
  );
  const { cli, port } = await startCliServer(conf, { env: { LIB_CHAN_LOG_LEVEL: 'info', ...opts.env } });
  const loaded = cli.json.find((l) => l.event === 'configLoaded')!;
  return {
    name,
    cli,
    port,
    dir,
    publicKey: String(loaded.publicKey),
    registryEvent: (action, ms = 15_000, after = 0) =>
      cli.waitForLog((l) => cli.json.indexOf(l) >= after && l.event === 'registry' && l.action === action, `registry ${action} from ${name}`, ms),
    async stop() {
      await cli.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
