/** `lib-chan names`: the gateways and services of a registry, like `epmd -names` and `consul members`. */
import { type GatewayRecord, type Instance } from '../registry/registry.ts';
import { openRegistry } from '../registry/open.ts';
import { EXIT, UsageError, type Command } from './command.ts';

export const namesCommand: Command = {
  summary: 'list the gateways and services of a registry (endpoints, health, key fingerprints)',
  usage: 'lib-chan names [--registry URL] [SERVICE] [--json]',
  options: { registry: { type: 'string', short: 'r' }, json: { type: 'boolean' } },
  help: [
    "URL: local: (the default: this host's gateways), local:NAME, etcd://host:port[,host:port...]/prefix, or dns+srv://[server:port]/zone",
    '(also from LIB_CHAN_REGISTRY). With SERVICE, only the instances of that service (the only form DNS SRV can answer).',
    'Fingerprints are what the gateways published: hints to compare, never proof (clients check keys against their pin or known-hosts).',
  ].join('\n'),
  async run(v, pos) {
    if (pos.length > 1) throw new UsageError('expected at most one SERVICE');
    const url = (v.registry as string | undefined) ?? process.env.LIB_CHAN_REGISTRY ?? 'local:';
    const registry = await openRegistry(url);
    try {
      if (pos.length === 1) {
        const found = await registry.resolve(pos[0]);
        process.stdout.write(v.json ? `${JSON.stringify(found, null, 2)}\n` : formatInstances(url, pos[0], found));
        return found.length ? EXIT.ok : EXIT.failed;
      }
      const gateways = (await registry.list()).sort((a, b) => a.id.localeCompare(b.id));
      process.stdout.write(v.json ? `${JSON.stringify(gateways, null, 2)}\n` : formatGateways(url, gateways));
      return EXIT.ok;
    } finally {
      await registry.close();
    }
  },
};

/** Terminal output: registry data is attacker-controllable, so control characters are shown escaped. */
function clean(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

export function formatGateways(url: string, gateways: readonly GatewayRecord[]): string {
  const lines = [`registry ${clean(url)}: ${gateways.length} gateway${gateways.length === 1 ? '' : 's'}`];
  for (const g of gateways) {
    lines.push(`gateway ${clean(g.id)}  host ${clean(g.host)}  pid ${g.pid}  load ${g.load}  key ${clean(g.fingerprint ?? '(none)')}`);
    lines.push(
      `  endpoints ${[g.endpoints.tcp, g.endpoints.ws]
        .filter(Boolean)
        .map((e) => clean(e!))
        .join('  ')}`,
    );
    const width = Math.max(0, ...g.services.map((s) => s.name.length));
    for (const s of g.services) {
      lines.push(
        `  ${clean(s.name).padEnd(width)}  ${s.health}${s.singleton ? `  singleton${s.fencingToken ? ` (token ${clean(s.fencingToken)})` : ''}` : ''}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

function formatInstances(url: string, service: string, found: readonly Instance[]): string {
  const lines = [`registry ${clean(url)}: ${found.length} instance${found.length === 1 ? '' : 's'} of ${clean(service)}`];
  for (const i of found) {
    const srv = i.priority !== undefined ? `  priority ${i.priority} weight ${i.weight}` : '';
    lines.push(`  ${clean(i.host)}:${i.port}  ${i.health}  load ${i.load}${srv}  key ${clean(i.fingerprint ?? '(none)')}  ${clean(i.id)}`);
  }
  return `${lines.join('\n')}\n`;
}
