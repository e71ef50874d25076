/**
 * The optional metrics endpoint (`{metrics, [{port, 9100}, {bind, "127.0.0.1"}]}`):
 * Prometheus text format from prom-client, one Registry per server (never the
 * global one, so several servers in one process do not collide).
 *
 * Cost on the hot path: none per frame. Bytes and messages per service are
 * the counters every middle-man keeps anyway; they are summed at scrape time
 * (closed channels' totals plus the open channels' live counters). The only
 * per-message work is the rpc latency of secure calls: one performance.now()
 * when a call arrives and one histogram observation when it is answered.
 * Everything else is counted per connection, handshake or event.
 */
import http from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ChanError } from '../errors.ts';
import { LIMITS } from '../limits.ts';
import type { ChannelStats, CloseInfo } from '../chan/middle-man.ts';
import type { SocketSide } from '../chan/socket-side.ts';
import type { LoginGuard } from './login-guard.ts';
import type { ServiceRegistry } from './services.ts';

/** What the sessions report (SessionContext.metrics). */
export interface SessionMetrics {
  /** A login ended: `result` as logged (ack, authFail, handshakeTimeout, ...); `limitKey` when a limit ended it. */
  handshake(result: string, method: string, limitKey?: unknown): void;
  /** A limit from LIMITS was crossed. */
  limitHit(key: string): void;
}

/** What the metrics read from their server at scrape time. */
export interface MetricsSource {
  readonly connectionCount: number;
  readonly services: ServiceRegistry;
  readonly guard: LoginGuard;
  openChannels(): Iterable<SocketSide>;
}

/** Seconds; from 50 µs (a loopback echo) to 10 s. */
export const RPC_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const STAT_KEYS = ['bytesIn', 'bytesOut', 'messagesIn', 'messagesOut'] as const;

export class ServerMetrics implements SessionMetrics {
  readonly registry = new Registry();
  private readonly source: MetricsSource;
  /** Totals of the channels closed so far, per service. */
  private readonly closedTotals = new Map<string, ChannelStats>();
  private readonly rpcObservers = new Map<string, (seconds: number) => void>();
  private readonly acceptedTotal: Counter<'listener'>;
  private readonly refusedTotal: Counter<'reason' | 'listener'>;
  private readonly handshakes: Counter<'result' | 'method'>;
  private readonly rpcSeconds: Histogram<'service'>;
  private readonly handlerCrashes: Counter<'service'>;
  private readonly workerCrashes: Counter<'service' | 'reason'>;
  private readonly limitHits: Counter<'limit'>;
  private readonly registryEvents: Counter<'action'>;
  private server: http.Server | undefined;

  constructor(source: MetricsSource) {
    this.source = source;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'lib_chan_connections',
      help: 'Open connections (logging in or logged in).',
      registers,
      collect() {
        this.set(source.connectionCount);
      },
    });
    new Gauge({
      name: 'lib_chan_channels',
      help: 'Open channels (logged in), by service.',
      labelNames: ['service'],
      registers,
      collect() {
        this.reset();
        const n = new Map<string, number>();
        for (const mm of source.openChannels()) n.set(mm.service, (n.get(mm.service) ?? 0) + 1);
        for (const name of source.services.keys()) this.set({ service: name }, n.get(name) ?? 0);
      },
    });
    new Gauge({
      name: 'lib_chan_service_up',
      help: '1 when the service takes logins; 0 when a worker service is down (restart intensity exceeded).',
      labelNames: ['service'],
      registers,
      collect() {
        this.reset();
        for (const [name, s] of source.services) this.set({ service: name }, s.supervisor?.unavailable() === undefined ? 1 : 0);
      },
    });
    this.acceptedTotal = new Counter({
      name: 'lib_chan_connections_accepted_total',
      help: 'Connections accepted, by listener.',
      labelNames: ['listener'],
      registers,
    });
    this.refusedTotal = new Counter({
      name: 'lib_chan_connections_refused_total',
      help: 'Connections refused at accept, by reason and listener.',
      labelNames: ['reason', 'listener'],
      registers,
    });
    this.handshakes = new Counter({
      name: 'lib_chan_handshakes_total',
      help: 'Logins, by result (ack, authFail, badService, rateLimited, handshakeTimeout, ...) and method.',
      labelNames: ['result', 'method'],
      registers,
    });
    const stat = (key: (typeof STAT_KEYS)[number], name: string, help: string): void => {
      const totals = this.closedTotals;
      new Counter({
        name,
        help,
        labelNames: ['service'],
        registers,
        collect() {
          const sum = new Map<string, number>();
          for (const [svc, t] of totals) sum.set(svc, t[key]);
          for (const mm of source.openChannels()) sum.set(mm.service, (sum.get(mm.service) ?? 0) + mm.counters[key]);
          this.reset();
          for (const [svc, v] of sum) this.inc({ service: svc }, v);
        },
      });
    };
    stat('messagesIn', 'lib_chan_messages_in_total', 'Frames received on logged-in channels, by service.');
    stat('messagesOut', 'lib_chan_messages_out_total', 'Frames sent on logged-in channels, by service.');
    stat('bytesIn', 'lib_chan_bytes_in_total', 'Bytes received on logged-in channels (frames with their length prefix), by service.');
    stat('bytesOut', 'lib_chan_bytes_out_total', 'Bytes sent on logged-in channels (frames with their length prefix), by service.');
    this.rpcSeconds = new Histogram({
      name: 'lib_chan_rpc_duration_seconds',
      help: "Server side time from a secure call's arrival to its answer, by service.",
      labelNames: ['service'],
      buckets: RPC_BUCKETS,
      registers,
    });
    this.handlerCrashes = new Counter({
      name: 'lib_chan_handler_crashes_total',
      help: 'Channels closed because their handler threw or its worker died, by service.',
      labelNames: ['service'],
      registers,
    });
    this.workerCrashes = new Counter({
      name: 'lib_chan_worker_crashes_total',
      help: 'Service worker threads that died (watchdog, outOfMemory, uncaught, exited, startFailed, startTimeout).',
      labelNames: ['service', 'reason'],
      registers,
    });
    this.limitHits = new Counter({
      name: 'lib_chan_limit_hits_total',
      help: 'Times a limit from the limits table was crossed, by limit.',
      labelNames: ['limit'],
      registers,
    });
    this.registryEvents = new Counter({
      name: 'lib_chan_registry_events_total',
      help: 'Registry events (registered, reregistered, leaseLost, registryUnreachable, elected, demoted, revoked, ...), by action.',
      labelNames: ['action'],
      registers,
    });
    const guardCounter = (name: string, help: string, field: keyof LoginGuard['counts']): void => {
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(source.guard.counts[field]);
        },
      });
    };
    guardCounter('lib_chan_login_failures_total', 'Failed logins (wrong password or key).', 'failures');
    guardCounter('lib_chan_login_lockouts_total', 'Address prefixes locked out after maxLoginFailures.', 'lockouts');
    guardCounter('lib_chan_login_refused_locked_total', 'Logins refused because the address prefix was locked out.', 'refusedWhileLocked');
    guardCounter('lib_chan_login_checks_total', "Passwords and keys checked (each took a turn from its service's guess budget).", 'checks');
    guardCounter(
      'lib_chan_login_budget_refused_total',
      "Logins refused unchecked because their service's guess budget was spent (loginGuessesPerSecond).",
      'budgetRefused',
    );
  }

  accepted(listener: string): void {
    this.acceptedTotal.inc({ listener });
  }

  refused(reason: string, listener: string): void {
    this.refusedTotal.inc({ reason, listener });
    if (Object.hasOwn(LIMITS, reason)) this.limitHits.inc({ limit: reason });
  }

  handshake(result: string, method: string, limitKey?: unknown): void {
    this.handshakes.inc({ result, method });
    if (typeof limitKey === 'string') this.limitHit(limitKey);
  }

  limitHit(key: string): void {
    if (Object.hasOwn(LIMITS, key)) this.limitHits.inc({ limit: key });
  }

  /** A registry event of this gateway (server/registration.ts). */
  registryEvent(action: string): void {
    this.registryEvents.inc({ action });
  }

  workerCrashed(service: string, reason: string): void {
    this.workerCrashes.inc({ service, reason });
  }

  /** The observer a channel of `service` reports its secure calls' latency to (SocketSide.rpcObserver). */
  rpcObserver(service: string): (seconds: number) => void {
    let f = this.rpcObservers.get(service);
    if (f === undefined) {
      const child = this.rpcSeconds.labels({ service });
      f = (s) => child.observe(s);
      this.rpcObservers.set(service, f);
    }
    return f;
  }

  /** A channel closed: keep its totals, count a crash or a limit. Call before it leaves openChannels(). */
  channelClosed(mm: SocketSide, info: CloseInfo): void {
    let t = this.closedTotals.get(mm.service);
    if (t === undefined) {
      t = { bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0 };
      this.closedTotals.set(mm.service, t);
    }
    for (const k of STAT_KEYS) t[k] += info[k];
    if (info.reason === 'handlerCrashed') this.handlerCrashes.inc({ service: mm.service });
    const key = info.error?.details.key;
    if (typeof key === 'string') this.limitHit(key);
  }

  /** Serve GET /metrics on `bind:port` (0 = an ephemeral port). */
  listen(port: number, bind: string, file?: string): Promise<void> {
    const server = http.createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('lib_chan: metrics are at GET /metrics\n');
        return;
      }
      this.registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(body),
        (e: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${e.message}\n`),
      );
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(
          new ChanError(
            'badConf',
            `${file ?? 'conf'}: cannot serve metrics on ${bind}:${port}: ${err.code === 'EADDRINUSE' ? 'the port is already in use' : err.message}`,
            {
              cause: err,
              details: { file },
            },
          ),
        );
      });
      server.listen({ port, host: bind }, () => resolve());
    });
  }

  /** Port of the HTTP endpoint (0 when not listening). */
  get port(): number {
    const a = this.server?.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  get url(): string {
    const a = this.server?.address();
    if (typeof a !== 'object' || !a) return '';
    return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/metrics`;
  }

  close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return Promise.resolve();
    s.closeAllConnections();
    return new Promise((r) => s.close(() => r()));
  }
}
