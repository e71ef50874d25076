/**
 * The etcd backend (`etcd://host:port[,host:port...]/prefix`). The `etcd3`
 * client (last released 2023) is imported only here, and only when a conf or
 * a client names an etcd registry; nothing else of ours depends on its API.
 *
 * Layout under the prefix:
 *   PREFIX/gateways/ID              JSON GatewayRecord, under the gateway's lease
 *   PREFIX/singletons/SVC/LEASEHEX  the gateway's id, under the same lease;
 *                                   the key with the lowest create revision leads,
 *                                   and that revision is the fencing token
 *
 * One lease per gateway process, kept alive by our own loop of single
 * keepalives every TTL/5 (not etcd3's TTL/3 stream), so we know when the
 * last renewal succeeded: a leader that has not renewed for TTL/2 steps down
 * by itself, before etcd can expire its key (TTL after the last renewal) and
 * elect another. A lost lease (expired, or etcd says it is gone) is granted
 * again and every key written again. `close()` of the client does not revoke
 * (CLUSTER.md), so a graceful leave revokes explicitly.
 *
 * gRPC keepalive is on (6 s; etcd's minimum is 5 s), so a dead connection is
 * noticed. Clients that keep a registry open (`watch: true`) hold a cache fed
 * by a watch; when the watch fails (a compacted revision, a lost stream) the
 * cache reads the whole prefix again and watches from there.
 */
import type * as Etcd3Module from 'etcd3';
import type { Etcd3, Lease, Watcher, IKeyValue } from 'etcd3';
import { ChanError } from '../errors.ts';
import {
  backoffMs,
  instancesFrom,
  parseRecord,
  type CampaignHandlers,
  type GatewayRecord,
  type Instance,
  type Membership,
  type ParsedRegistryUrl,
  type Registry,
  type RegistryEvents,
} from './registry.ts';

/** Deadline of one unary call to etcd. */
const CALL_TIMEOUT_MS = 3_000;
/** gRPC keepalive ping interval (etcd answers GOAWAY "too many pings" below its 5 s minimum). */
const GRPC_KEEPALIVE_MS = 6_000;
/** Most gateway records read from the prefix. */
const MAX_GATEWAYS = 10_000;

export interface EtcdOpenOptions {
  /** Keep a watched cache of the gateways (long-lived clients); else every resolve reads etcd. */
  watch?: boolean;
  /** The cache's events: `cacheSynced` (the prefix read and watched), `watchLost` (it will read again). */
  onEvent?: (action: string) => void;
}

export class EtcdRegistry implements Registry {
  readonly kind = 'etcd' as const;
  private cache: GatewayCache | undefined;
  private closed = false;

  private constructor(
    readonly url: string,
    readonly client: Etcd3,
    readonly prefix: string,
    private readonly watchWanted: boolean,
    /** Whether an error is etcd saying the lease is gone (etcd3's errors set no `name`: tell them by class). */
    readonly isLeaseGone: (e: unknown) => boolean,
    readonly onEvent: (action: string) => void = () => {},
  ) {}

  static async open(url: string, p: ParsedRegistryUrl, opts: EtcdOpenOptions = {}): Promise<EtcdRegistry> {
    let mod: typeof Etcd3Module;
    try {
      mod = await import('etcd3');
    } catch (e) {
      throw new ChanError('badConf', `registry ${url}: the etcd3 package cannot be loaded (npm install etcd3): ${(e as Error).message}`, { cause: e });
    }
    const client = new mod.Etcd3({
      hosts: p.hosts.map((h) => `http://${h}`),
      dialTimeout: CALL_TIMEOUT_MS,
      grpcOptions: {
        'grpc.keepalive_time_ms': GRPC_KEEPALIVE_MS,
        'grpc.keepalive_timeout_ms': 2_000,
      },
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + CALL_TIMEOUT_MS }),
    });
    const leaseGone = mod.EtcdLeaseInvalidError;
    return new EtcdRegistry(url, client, p.path, opts.watch === true, (e) => e instanceof leaseGone, opts.onEvent);
  }

  key(...parts: string[]): string {
    return [this.prefix, ...parts].join('/');
  }

  /** Read every gateway record (serializable: a member without quorum still answers). */
  async readAll(): Promise<{ records: GatewayRecord[]; revision: string }> {
    // Bounded: the registry is shared, so its size is someone else's choice.
    const res = await this.client.getAll().prefix(this.key('gateways', '')).serializable(true).limit(MAX_GATEWAYS).exec();
    const records: GatewayRecord[] = [];
    for (const kv of res.kvs) {
      const r = parseRecord(kv.value.toString('utf8'));
      if (r) records.push(r);
    }
    return { records, revision: res.header.revision };
  }

  async list(): Promise<GatewayRecord[]> {
    if (this.watchWanted && !this.closed) {
      this.cache ??= new GatewayCache(this);
      const snap = await this.cache.snapshot();
      if (snap) return snap;
    }
    try {
      return (await this.readAll()).records;
    } catch (e) {
      throw unreachable(this.url, e);
    }
  }

  async resolve(service: string): Promise<Instance[]> {
    return instancesFrom(await this.list(), service);
  }

  async join(record: GatewayRecord, events: RegistryEvents, opts: { ttlMs: number }): Promise<Membership> {
    const m = new EtcdMembership(this, record, events, opts.ttlMs);
    await m.start();
    return m;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.cache?.close();
    this.client.close();
  }
}

function unreachable(url: string, e: unknown): ChanError {
  return new ChanError('connectionRefused', `registry ${url} did not answer: ${(e as Error).message}`, { cause: e, details: { registry: url } });
}

/** Gateways kept current by a watch; the prefix is read again whenever the watch fails. */
class GatewayCache {
  private records = new Map<string, GatewayRecord>();
  private watcher: Watcher | undefined;
  private fresh = false;
  private ready: Promise<void> | undefined;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(private readonly reg: EtcdRegistry) {}

  /** The current records, or undefined when the cache is not in sync (the caller reads etcd). */
  async snapshot(): Promise<GatewayRecord[] | undefined> {
    this.ready ??= this.sync();
    await this.ready.catch(() => {});
    return this.fresh ? [...this.records.values()] : undefined;
  }

  private async sync(): Promise<void> {
    if (this.stopped) return;
    const prefix = this.reg.key('gateways', '');
    try {
      const { records, revision } = await this.reg.readAll();
      this.records = new Map(records.map((r) => [r.id, r]));
      const w = await this.reg.client
        .watch()
        .prefix(prefix)
        .startRevision(String(BigInt(revision) + 1n))
        .create();
      if (this.stopped) {
        void w.cancel();
        return;
      }
      this.watcher = w;
      this.fresh = true;
      this.attempt = 0;
      this.reg.onEvent('cacheSynced');
      w.on('put', (kv: IKeyValue) => {
        const r = parseRecord(kv.value.toString('utf8'));
        if (r) this.records.set(r.id, r);
      });
      w.on('delete', (kv: IKeyValue) => void this.records.delete(kv.key.toString('utf8').slice(prefix.length)));
      // A compacted start revision, a cancelled or lost stream: events may be missing, so read again.
      const resync = (): void => {
        if (this.watcher !== w) return;
        this.fresh = false;
        this.watcher = undefined;
        void w.cancel().catch(() => {});
        this.reg.onEvent('watchLost');
        this.schedule();
      };
      w.on('error', resync);
      w.on('disconnected', resync);
    } catch {
      this.fresh = false;
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.ready = this.sync();
      },
      backoffMs(this.attempt++, 100, 2_000),
    );
    this.timer.unref?.();
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.watcher?.cancel().catch(() => {});
  }
}

interface CampaignState {
  handlers: CampaignHandlers;
  leading: boolean;
  token?: string;
}

/** One gateway process in etcd: its lease, its record, its campaigns. */
class EtcdMembership implements Membership {
  private lease: Lease | undefined;
  private leaseHex = '';
  /** Date.now() of the last grant or keepalive that etcd acknowledged. */
  private lastRenewal = 0;
  private registeredOnce = false;
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private guard: ReturnType<typeof setInterval> | undefined;
  private stopped = false;
  private ticking: Promise<void> | undefined;
  private dirty = true;
  private readonly campaigns = new Map<string, CampaignState>();

  constructor(
    private readonly reg: EtcdRegistry,
    private record: GatewayRecord,
    private readonly events: RegistryEvents,
    private readonly ttlMs: number,
  ) {}

  private get ttlSec(): number {
    return Math.max(2, Math.round(this.ttlMs / 1000));
  }

  /** First registration: awaited once (a failure is logged; the loop keeps trying in the background). */
  async start(): Promise<void> {
    // The self-demotion check runs on its own timer, so a tick stuck on a black-holed connection cannot delay it.
    this.guard = setInterval(() => this.checkRenewal(), Math.max(100, Math.floor(this.ttlSec * 100)));
    this.guard.unref?.();
    await this.tick();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private tick(): Promise<void> {
    this.ticking ??= this.runTick().finally(() => {
      this.ticking = undefined;
      if (this.stopped) return;
      // Keepalive every TTL/5 while healthy; back off (but never beyond TTL/5) while etcd is away.
      const every = (this.ttlSec * 1000) / 5;
      this.schedule(this.failures === 0 ? every : Math.min(every, backoffMs(this.failures, 100, every)));
    });
    return this.ticking;
  }

  private async runTick(): Promise<void> {
    try {
      if (!this.lease) {
        await this.register();
      } else {
        await withTimeout(this.lease.keepaliveOnce({ deadline: Date.now() + CALL_TIMEOUT_MS }), CALL_TIMEOUT_MS);
        this.lastRenewal = Date.now();
        this.events.event('leaseRenewed', {});
        if (this.dirty) await this.putAll();
      }
      await this.evaluateCampaigns();
      if (this.failures > 0) this.events.event('registryReconnected', { failures: this.failures });
      this.failures = 0;
    } catch (e) {
      this.failures++;
      // Only etcd's own answer says the lease is gone. Time since the last renewal does not: a new raft leader
      // extends every lease by its TTL, so a lease survives an election that took longer than the TTL (a loaded
      // machine), and a lease that did expire while we were cut off is reported at the first keepalive that arrives.
      // (Singleton leaders still step down by time: checkRenewal.)
      if (this.reg.isLeaseGone(e)) {
        // etcd no longer has our lease: everything must be written again.
        this.dropLease('leaseLost', (e as Error).message);
      }
      if (this.failures === 1 || this.failures % 20 === 0) {
        this.events.event('registryUnreachable', { failures: this.failures, error: (e as Error).message.slice(0, 200) });
      }
    }
  }

  private dropLease(event: string, reason: string): void {
    const lease = this.lease;
    this.lease = undefined;
    this.leaseHex = '';
    lease?.release();
    this.dirty = true;
    this.events.event(event, { reason: reason.slice(0, 200) });
    for (const [service, c] of this.campaigns) this.demote(service, c, `the lease was lost (${reason.slice(0, 100)})`);
  }

  private async register(): Promise<void> {
    const lease = this.reg.client.lease(this.ttlSec, { autoKeepAlive: false });
    lease.on('lost', () => {});
    let id: string;
    try {
      id = await withTimeout(lease.grant(), CALL_TIMEOUT_MS);
    } catch (e) {
      lease.release();
      throw e;
    }
    this.lease = lease;
    this.leaseHex = BigInt(id).toString(16);
    this.lastRenewal = Date.now();
    this.dirty = true;
    await this.putAll();
    this.events.event(this.registeredOnce ? 'reregistered' : 'registered', { id: this.record.id, lease: this.leaseHex, ttlMs: this.ttlSec * 1000 });
    this.registeredOnce = true;
  }

  /** Write the record and the campaign keys under the current lease. */
  private async putAll(): Promise<void> {
    const lease = this.lease;
    if (!lease) return;
    this.dirty = false;
    // A put under a lease does not get the client's default deadline (etcd3 uses the lease's options), so give it one:
    // without quorum it would otherwise wait for ever, and this loop with it.
    const deadline = () => ({ deadline: Date.now() + CALL_TIMEOUT_MS });
    try {
      await withTimeout(lease.put(this.reg.key('gateways', this.record.id)).value(JSON.stringify(this.record)).options(deadline()).exec(), CALL_TIMEOUT_MS);
      for (const service of this.campaigns.keys())
        await withTimeout(lease.put(this.campaignKey(service)).value(this.record.id).options(deadline()).exec(), CALL_TIMEOUT_MS);
    } catch (e) {
      this.dirty = true;
      throw e;
    }
  }

  private campaignKey(service: string): string {
    return this.reg.key('singletons', service, this.leaseHex);
  }

  /** Who leads each campaign: the key with the lowest create revision. */
  private async evaluateCampaigns(): Promise<void> {
    if (!this.lease) return;
    for (const [service, c] of this.campaigns) {
      const res = await withTimeout(
        this.reg.client
          .getAll()
          .prefix(this.reg.key('singletons', service, ''))
          .sort('Create', 'Ascend')
          .limit(1)
          .exec(),
        CALL_TIMEOUT_MS,
      );
      const first = res.kvs[0];
      const mine = first !== undefined && first.key.toString('utf8') === this.campaignKey(service);
      if (mine && !c.leading && this.renewedRecently()) {
        c.leading = true;
        c.token = first.create_revision;
        this.events.event('elected', { service, fencingToken: c.token });
        c.handlers.elected(c.token);
      } else if (!mine && c.leading) {
        this.demote(service, c, 'another gateway leads');
      }
    }
  }

  private renewedRecently(): boolean {
    return Date.now() - this.lastRenewal <= (this.ttlSec * 1000) / 2;
  }

  /** Self-demotion: a leader whose lease has not been renewed for TTL/2 stops before etcd can elect another. */
  private checkRenewal(): void {
    if (this.stopped || this.renewedRecently()) return;
    for (const [service, c] of this.campaigns)
      this.demote(service, c, `the lease was not renewed for ${Date.now() - this.lastRenewal} ms (TTL ${this.ttlSec * 1000} ms)`);
  }

  private demote(service: string, c: CampaignState, reason: string): void {
    if (!c.leading) return;
    c.leading = false;
    this.events.event('demoted', { service, fencingToken: c.token, reason });
    c.handlers.demoted(reason);
  }

  async publish(record: GatewayRecord): Promise<void> {
    this.record = record;
    this.dirty = true;
    if (!this.lease || this.stopped) return;
    try {
      await this.putAll();
    } catch {
      // The loop writes it again (dirty stays set).
    }
  }

  campaign(service: string, handlers: CampaignHandlers): void {
    if (this.campaigns.has(service)) return;
    this.campaigns.set(service, { handlers, leading: false });
    this.dirty = true;
    void this.tick();
  }

  async resign(service: string): Promise<void> {
    const c = this.campaigns.get(service);
    if (!c) return;
    this.campaigns.delete(service);
    this.demote(service, c, 'resigned');
    if (this.lease) await withTimeout(this.reg.client.delete().key(this.campaignKey(service)).exec(), CALL_TIMEOUT_MS).catch(() => {});
  }

  async close(opts: { revoke?: boolean } = {}): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.guard);
    await this.ticking?.catch(() => {});
    for (const [service, c] of this.campaigns) this.demote(service, c, 'stopping');
    const lease = this.lease;
    this.lease = undefined;
    if (!lease) return;
    if (opts.revoke) {
      try {
        await withTimeout(lease.revoke({ deadline: Date.now() + CALL_TIMEOUT_MS }), CALL_TIMEOUT_MS);
        this.events.event('revoked', { id: this.record.id });
      } catch (e) {
        this.events.event('revokeFailed', { error: (e as Error).message.slice(0, 200) });
      }
    } else {
      lease.release();
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`etcd did not answer within ${ms} ms`)), ms);
    }),
  ]);
}
