/**
 * The registry: where gateways publish what they serve and clients find
 * them by service name. One interface, three backends chosen by URL:
 *
 * - `local:` / `local:NAME` / `local://127.0.0.1:PORT`: the gateways of one
 *   host share a table held by one of them (local.ts).
 * - `etcd://host:port[,host:port...]/prefix`: records under an etcd lease per
 *   gateway process (etcd.ts; the etcd3 client is imported only here, lazily).
 * - `dns+srv://[server:port]/zone`: read-only, SRV records `_service._tcp.zone`
 *   (dns-srv.ts).
 *
 * The registry is never trusted for identity: a record's fingerprint is a
 * hint; the client still checks the key against its pin or known-hosts entry.
 */
import { ChanError } from '../errors.ts';

/** A service's health, as grpc.health.v1 names it. */
export const HEALTH = ['serving', 'draining', 'not_serving'] as const;
export type Health = (typeof HEALTH)[number];

export interface ServiceEntry {
  name: string;
  health: Health;
  /** `{singleton, true}`: served by one gateway at a time (the elected one is `serving`). */
  singleton?: boolean;
  /** The elected gateway's fencing token (the election key's revision), for a singleton. */
  fencingToken?: string;
}

/** What one gateway process publishes. */
export interface GatewayRecord {
  /** Unique per process: `host/pid/random`. */
  id: string;
  /** os.hostname() of the gateway (a client on the same host prefers it). */
  host: string;
  pid: number;
  /** `tcp://host:port` and, when the conf has a WebSocket listener, `ws://host:port/path`. */
  endpoints: { tcp?: string; ws?: string };
  /** `lcsk1:...` public key text of the server identity: a hint, never trusted. */
  serverKey?: string;
  /** SHA512:... fingerprint of `serverKey`, for people (lib-chan names). */
  fingerprint?: string;
  services: ServiceEntry[];
  /** Open connections when last published: the load a client compares. */
  load: number;
  startedAt: number;
}

/** One place to connect to for a service. */
export interface Instance {
  /** Gateway id, or `host:port` for a DNS SRV record. */
  id: string;
  host: string;
  port: number;
  /** The WebSocket endpoint, when published. */
  ws?: string;
  health: Health;
  load: number;
  /** The gateway's host name (local preference); undefined for SRV records. */
  gatewayHost?: string;
  serverKey?: string;
  fingerprint?: string;
  /** DNS SRV priority (lower first) and weight. */
  priority?: number;
  weight?: number;
}

/** Registry events a gateway logs and counts: registered, lost, reregistered, elected, demoted, ... */
export interface RegistryEvents {
  event(name: string, fields?: Record<string, unknown>): void;
}

/** A campaign for a singleton service: tells the gateway when it leads and when it must stop. */
export interface CampaignHandlers {
  /** Elected: serve the singleton, with this fencing token. */
  elected(token: string): void;
  /** No longer the leader (lost, resigned, or the lease not renewed for a good part of the TTL). */
  demoted(reason: string): void;
}

/** A gateway's membership: its record kept published, re-registered after any loss, until close. */
export interface Membership {
  /** Replace the published record (the backend keeps retrying until it is stored). */
  publish(record: GatewayRecord): Promise<void>;
  /** Stand for a singleton service; handlers fire as leadership comes and goes. */
  campaign(service: string, handlers: CampaignHandlers): void;
  /** Give up a singleton campaign (reload removed it, or stopping). */
  resign(service: string): Promise<void>;
  /** Leave: `revoke` deletes the record at once (graceful stop); otherwise it expires. */
  close(opts?: { revoke?: boolean }): Promise<void>;
}

export interface Registry {
  readonly url: string;
  readonly kind: 'local' | 'etcd' | 'dns+srv';
  /** Every gateway (not for dns+srv, which can only resolve one service). */
  list(): Promise<GatewayRecord[]>;
  /** Where `service` is offered, any health (the client filters and orders). */
  resolve(service: string): Promise<Instance[]>;
  /** Gateways only: join with this record. */
  join(record: GatewayRecord, events: RegistryEvents, opts: { ttlMs: number }): Promise<Membership>;
  close(): Promise<void>;
}

export interface ParsedRegistryUrl {
  kind: 'local' | 'etcd' | 'dns+srv';
  /** etcd: `host:port` list; dns+srv: the server (empty: the system's); local://: one `host:port`. */
  hosts: string[];
  /** etcd: key prefix (no trailing /); dns+srv: zone; local: table name. */
  path: string;
}

const HOSTPORT = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):\d{1,5}$/;

/** Check and split a registry URL; a bad one is badArgument naming what is wrong. */
export function parseRegistryUrl(url: string): ParsedRegistryUrl {
  const bad = (why: string): ChanError =>
    new ChanError(
      'badArgument',
      `registry URL "${url.slice(0, 200)}": ${why} (expected local:[NAME], local://127.0.0.1:PORT, etcd://host:port[,host:port...]/prefix or dns+srv://[server:port]/zone)`,
    );
  if (url.length > 2048) throw bad('longer than 2048 characters');
  if (url === 'local:' || url === 'local') return { kind: 'local', hosts: [], path: 'default' };
  let m = /^local:\/\/([^/]+)\/?$/.exec(url);
  if (m) {
    if (!HOSTPORT.test(m[1])) throw bad('local:// takes one host:port');
    return { kind: 'local', hosts: [m[1]], path: m[1] };
  }
  m = /^local:([A-Za-z0-9_.-]{1,64})$/.exec(url);
  if (m) return { kind: 'local', hosts: [], path: m[1] };
  m = /^etcd:\/\/([^/]+)(\/.*)?$/.exec(url);
  if (m) {
    const hosts = m[1].split(',');
    if (hosts.some((h) => !HOSTPORT.test(h))) throw bad('every etcd endpoint must be host:port');
    const prefix = (m[2] ?? '/lib_chan').replace(/\/+$/, '') || '/lib_chan';
    if (!/^\/[A-Za-z0-9_./-]*$/.test(prefix)) throw bad('the prefix may hold letters, digits and _ . / - only');
    return { kind: 'etcd', hosts, path: prefix };
  }
  m = /^dns\+srv:\/\/([^/]*)\/([A-Za-z0-9_.-]+)\/?$/.exec(url);
  if (m) {
    if (m[1] !== '' && !HOSTPORT.test(m[1])) throw bad('the DNS server must be host:port');
    return { kind: 'dns+srv', hosts: m[1] === '' ? [] : [m[1]], path: m[2].toLowerCase() };
  }
  throw bad('unknown form');
}

/** Instances of `service` from gateway records (etcd and local). */
export function instancesFrom(records: readonly GatewayRecord[], service: string): Instance[] {
  const out: Instance[] = [];
  for (const r of records) {
    const s = r.services.find((x) => x.name === service);
    const tcp = r.endpoints.tcp ? /^tcp:\/\/(.+):(\d+)$/.exec(r.endpoints.tcp) : null;
    if (!s || !tcp) continue;
    out.push({
      id: r.id,
      host: tcp[1].replace(/^\[(.*)\]$/, '$1'),
      port: Number(tcp[2]),
      ws: r.endpoints.ws,
      health: s.health,
      load: r.load,
      gatewayHost: r.host,
      serverKey: r.serverKey,
      fingerprint: r.fingerprint,
    });
  }
  return out;
}

/** Largest record a backend accepts (bounded before parsing: the registry is shared, so hostile). */
export const MAX_RECORD_BYTES = 64 * 1024;

/** A record read from a registry, checked field by field; undefined when malformed. */
export function parseRecord(text: string): GatewayRecord | undefined {
  if (text.length > MAX_RECORD_BYTES) return undefined;
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof j !== 'object' || j === null) return undefined;
  const o = j as Record<string, unknown>;
  const str = (v: unknown, max = 512): v is string => typeof v === 'string' && v.length <= max;
  if (!str(o.id) || !str(o.host) || typeof o.pid !== 'number' || typeof o.load !== 'number' || typeof o.startedAt !== 'number') return undefined;
  const ep = o.endpoints as Record<string, unknown> | undefined;
  if (typeof ep !== 'object' || ep === null) return undefined;
  const endpoints: GatewayRecord['endpoints'] = {};
  if (ep.tcp !== undefined) {
    if (!str(ep.tcp) || !/^tcp:\/\/.+:\d+$/.test(ep.tcp)) return undefined;
    endpoints.tcp = ep.tcp;
  }
  if (ep.ws !== undefined) {
    if (!str(ep.ws) || !/^wss?:\/\//.test(ep.ws)) return undefined;
    endpoints.ws = ep.ws;
  }
  if (!Array.isArray(o.services) || o.services.length > 1000) return undefined;
  const services: ServiceEntry[] = [];
  for (const s of o.services as unknown[]) {
    const e = s as Record<string, unknown>;
    if (typeof e !== 'object' || e === null || !str(e.name, 255) || !(HEALTH as readonly unknown[]).includes(e.health)) return undefined;
    const entry: ServiceEntry = { name: e.name, health: e.health as Health };
    if (e.singleton === true) entry.singleton = true;
    if (str(e.fencingToken, 40)) entry.fencingToken = e.fencingToken;
    services.push(entry);
  }
  const rec: GatewayRecord = { id: o.id, host: o.host, pid: o.pid, endpoints, services, load: o.load, startedAt: o.startedAt };
  if (str(o.serverKey, 200)) rec.serverKey = o.serverKey;
  if (str(o.fingerprint, 200)) rec.fingerprint = o.fingerprint;
  return rec;
}

/** Jittered exponential backoff: attempt 0 -> about base, doubling up to max; never the same for two processes. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
