/**
 * Read-only discovery through DNS SRV (`dns+srv://[server:port]/zone`):
 * a service `S` is looked up as `_S._tcp.zone` with node:dns, so Consul's
 * DNS interface (which answers only passing instances) or any DNS that
 * publishes SRV records works. DNS carries no health, key or load: every
 * record is `serving`, and the client's pin or known-hosts entry decides
 * trust as always. Names are case-folded by DNS, so a service found this
 * way must be a valid lower-case DNS label.
 */
import { Resolver } from 'node:dns/promises';
import { ChanError } from '../errors.ts';
import type { GatewayRecord, Instance, Membership, ParsedRegistryUrl, Registry } from './registry.ts';

/** Most SRV records used from one answer. */
const MAX_SRV_RECORDS = 256;
const DNS_TIMEOUT_MS = 2_000;

export class DnsSrvRegistry implements Registry {
  readonly kind = 'dns+srv' as const;
  private readonly resolver: Resolver;
  private readonly zone: string;

  constructor(
    readonly url: string,
    p: ParsedRegistryUrl,
  ) {
    this.resolver = new Resolver({ timeout: DNS_TIMEOUT_MS, tries: 2 });
    if (p.hosts.length) this.resolver.setServers(p.hosts);
    this.zone = p.path;
  }

  async list(): Promise<GatewayRecord[]> {
    throw new ChanError('badArgument', `registry ${this.url}: DNS SRV cannot list every gateway; resolve one service (lib-chan names --registry URL SERVICE)`);
  }

  async resolve(service: string): Promise<Instance[]> {
    const label = service.toLowerCase();
    if (!/^[a-z0-9_-]{1,63}$/.test(label)) {
      throw new ChanError('badArgument', `service "${service.slice(0, 80)}" is not a DNS label, so it cannot be found through DNS SRV`);
    }
    const name = `_${label}._tcp.${this.zone}`;
    let records;
    try {
      records = await this.resolver.resolveSrv(name);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') return [];
      throw new ChanError('connectionRefused', `registry ${this.url}: SRV lookup of ${name} failed (${code ?? (e as Error).message})`, {
        cause: e,
        details: { registry: this.url },
      });
    }
    return records.slice(0, MAX_SRV_RECORDS).map((r) => ({
      id: `${r.name}:${r.port}`,
      host: r.name,
      port: r.port,
      health: 'serving' as const,
      load: 0,
      priority: r.priority,
      weight: r.weight,
    }));
  }

  async join(): Promise<Membership> {
    throw new ChanError('badConf', `registry ${this.url}: DNS SRV is read-only; a gateway registers in local: or etcd://`);
  }

  async close(): Promise<void> {
    this.resolver.cancel();
  }
}
