/**
 * Opening a registry from its URL: each backend module is imported only
 * when its URL is used (etcd's client, the etcd3 package, only for etcd://),
 * and apart from registry.ts, which the backends build on.
 */
import { parseRegistryUrl, type Registry } from './registry.ts';

/**
 * Open a registry from its URL; etcd's client is imported only now, and only
 * for etcd:// URLs. `watch`: keep a watched cache (long-lived clients).
 */
export async function openRegistry(url: string, opts: { watch?: boolean; onEvent?: (action: string) => void } = {}): Promise<Registry> {
  const p = parseRegistryUrl(url);
  switch (p.kind) {
    case 'etcd': {
      const { EtcdRegistry } = await import('./etcd.ts');
      return EtcdRegistry.open(url, p, opts);
    }
    case 'local': {
      const { LocalRegistry } = await import('./local.ts');
      return new LocalRegistry(url, p);
    }
    case 'dns+srv': {
      const { DnsSrvRegistry } = await import('./dns-srv.ts');
      return new DnsSrvRegistry(url, p);
    }
  }
}
