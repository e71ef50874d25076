/**
 * A gateway's registration (`{registry, URL}` in the conf): what it
 * publishes, kept current, and how it leaves.
 *
 * - The record: endpoints (TCP, and WebSocket when the conf has a listener),
 *   the server key and its fingerprint (hints for clients, never trusted),
 *   every service with its health, and the open connections as its load.
 * - Health: `serving`; `not_serving` for a worker service that gave up after
 *   its restart intensity, and for a singleton this gateway does not lead;
 *   `draining` for everything once a graceful stop began.
 * - Kept current: checked every second (cheap: the record is rebuilt and
 *   compared) and published when it changed; a reload re-publishes at once.
 *   The backend keeps retrying when the registry is away; the gateway keeps
 *   serving meanwhile.
 * - Singletons: each `{singleton, true}` service campaigns; logins to it are
 *   refused (as for a service that is down) unless this gateway leads, and
 *   its channels are closed when it stops leading. The handler finds the
 *   fencing token in `mm.fencingToken`.
 * - Leaving: drain() publishes `draining` (and waits for the registry to
 *   take it, bounded) before the listener closes; stop() revokes the lease.
 *
 * Address published: the conf's bind address, or os.hostname() when it binds
 * every interface (0.0.0.0 / ::); LIB_CHAN_ADVERTISE_HOST overrides both.
 */
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { encodePublicKey, fingerprint, formatHostPort } from '../auth/keys.ts';
import { nodeProvider } from '../auth/crypto-node.ts';
import { type GatewayRecord, type Health, type Membership, type Registry, type ServiceEntry } from '../registry/registry.ts';
import { openRegistry } from '../registry/open.ts';
import type { SocketSide } from '../chan/socket-side.ts';
import type { ServerConfig } from '../conf/schema.ts';
import type { Logger } from './log.ts';
import type { ServiceRegistry } from './services.ts';

/** Longest a graceful stop waits for the registry to take `draining`. */
const DRAIN_PUBLISH_TIMEOUT_MS = 2_000;
/** How often the record is rebuilt and compared (load, worker services that gave up). */
const REFRESH_MS = 1_000;

/** What the registration reads from its server. */
export interface RegisteredServer {
  readonly config: ServerConfig;
  readonly services: ServiceRegistry;
  readonly port: number;
  readonly wsPort: number;
  readonly publicKey: Uint8Array | undefined;
  readonly connectionCount: number;
  readonly log: Logger;
  openChannels(): Iterable<SocketSide>;
  readonly metrics?: { registryEvent(action: string): void };
}

export class GatewayRegistration {
  readonly id = `${os.hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`;
  private readonly startedAt = Date.now();
  private membership: Membership | undefined;
  private draining = false;
  private readonly leading = new Map<string, string>();
  private readonly campaigning = new Set<string>();
  private published = '';
  private timer: ReturnType<typeof setInterval> | undefined;

  private constructor(
    private readonly server: RegisteredServer,
    readonly registry: Registry,
  ) {}

  /** Join the conf's registry (undefined when the conf names none). A registry that is away is retried in the background. */
  static async start(server: RegisteredServer): Promise<GatewayRegistration | undefined> {
    const url = server.config.registry;
    if (!url) return undefined;
    const reg = new GatewayRegistration(server, await openRegistry(url));
    reg.adopt(server.services);
    const record = reg.record();
    reg.published = JSON.stringify(record);
    reg.membership = await reg.registry.join(record, { event: (name, fields) => reg.onEvent(name, fields) }, { ttlMs: server.config.limits.registryTtlMs });
    reg.syncCampaigns();
    reg.timer = setInterval(() => void reg.update(), REFRESH_MS);
    reg.timer.unref();
    return reg;
  }

  private onEvent(action: string, fields: Record<string, unknown> = {}): void {
    const quiet = action === 'peerLeft' || action === 'leaseRenewed';
    this.server.log[
      action === 'registryUnreachable' || action === 'leaseLost' || action === 'demoted' || action === 'holderLost' ? 'warn' : quiet ? 'debug' : 'info'
    ]({ event: 'registry', action, registry: this.registry.url, gateway: this.id, ...fields }, `registry: ${action}`);
    this.server.metrics?.registryEvent(action);
  }

  /** Gate the singleton services of `services` (called before they take logins, on start and reload). */
  adopt(services: ServiceRegistry): void {
    for (const [name, svc] of services) {
      if (!svc.config.singleton) continue;
      svc.gate = () =>
        this.leading.has(name)
          ? undefined
          : `it is a singleton and this gateway is not its elected one (${this.registry.url}); connect by name to find the one that is`;
    }
  }

  /** The fencing token of a singleton this gateway leads. */
  fencingToken(service: string): string | undefined {
    return this.leading.get(service);
  }

  private health(name: string): Health {
    if (this.draining) return 'draining';
    const svc = this.server.services.get(name);
    if (!svc || svc.supervisor?.unavailable() !== undefined) return 'not_serving';
    if (svc.config.singleton && !this.leading.has(name)) return 'not_serving';
    return 'serving';
  }

  record(): GatewayRecord {
    const cfg = this.server.config;
    const advertise = process.env.LIB_CHAN_ADVERTISE_HOST || (cfg.bind === '0.0.0.0' || cfg.bind === '::' ? os.hostname() : cfg.bind);
    const endpoints: GatewayRecord['endpoints'] = { tcp: `tcp://${formatHostPort(advertise, this.server.port)}` };
    if (cfg.websocket && this.server.wsPort) {
      const wsHost = cfg.websocket.bind === '0.0.0.0' || cfg.websocket.bind === '::' ? advertise : cfg.websocket.bind;
      endpoints.ws = `${cfg.websocket.tls ? 'wss' : 'ws'}://${formatHostPort(wsHost, this.server.wsPort)}${cfg.websocket.path}`;
    }
    const services: ServiceEntry[] = [...this.server.services.values()].map((s) => {
      const e: ServiceEntry = { name: s.config.name, health: this.health(s.config.name) };
      if (s.config.singleton) {
        e.singleton = true;
        const token = this.leading.get(s.config.name);
        if (token) e.fencingToken = token;
      }
      return e;
    });
    const key = this.server.publicKey;
    const rec: GatewayRecord = {
      id: this.id,
      host: os.hostname(),
      pid: process.pid,
      endpoints,
      services,
      load: this.server.connectionCount,
      startedAt: this.startedAt,
    };
    if (key) {
      rec.serverKey = encodePublicKey('server', key);
      rec.fingerprint = fingerprint(key, nodeProvider);
    }
    return rec;
  }

  /** Publish the record when it changed (health, load, services after a reload). */
  async update(): Promise<void> {
    if (!this.membership) return;
    this.syncCampaigns();
    const rec = this.record();
    const text = JSON.stringify(rec);
    if (text === this.published) return;
    this.published = text;
    this.server.log.debug(
      {
        event: 'registry',
        action: 'published',
        registry: this.registry.url,
        gateway: this.id,
        services: rec.services.map((s) => `${s.name}:${s.health}`),
        load: rec.load,
      },
      'registry: published',
    );
    await this.membership.publish(rec);
  }

  /** Campaign for every singleton of the current services; resign the ones a reload removed. */
  private syncCampaigns(): void {
    const m = this.membership;
    if (!m || this.draining) return;
    const wanted = new Set([...this.server.services.values()].filter((s) => s.config.singleton).map((s) => s.config.name));
    for (const name of wanted) {
      if (this.campaigning.has(name)) continue;
      this.campaigning.add(name);
      m.campaign(name, {
        elected: (token) => {
          this.leading.set(name, token);
          void this.update();
        },
        demoted: () => {
          this.leading.delete(name);
          // Stop serving at once: the next leader may start as soon as our key expires.
          for (const mm of this.server.openChannels()) if (mm.service === name) mm.close('demoted');
          void this.update();
        },
      });
    }
    for (const name of [...this.campaigning]) {
      if (wanted.has(name)) continue;
      this.campaigning.delete(name);
      void m.resign(name);
    }
  }

  /** Graceful stop, first step: every service `draining`, taken by the registry (bounded) before the listener closes. */
  async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    for (const name of [...this.campaigning]) await this.membership?.resign(name);
    this.campaigning.clear();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.update(), new Promise((r) => (timer = setTimeout(r, DRAIN_PUBLISH_TIMEOUT_MS)))]);
    clearTimeout(timer);
  }

  /** Last step: leave (revoke: the record goes at once; else it expires after the TTL). */
  async stop(opts: { revoke?: boolean } = { revoke: true }): Promise<void> {
    clearInterval(this.timer);
    const m = this.membership;
    this.membership = undefined;
    await m?.close(opts);
    await this.registry.close();
  }
}
