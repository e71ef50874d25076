/**
 * The lib_chan server: reads the conf, checks every service's handler at
 * start-up, listens, enforces connection limits at accept time, and stops
 * gracefully (stop accepting, tell handlers to close, wait closeGraceMs,
 * then cut what is left).
 */
import net from 'node:net';
import { ChanError } from '../errors.ts';
import { loadConfig, redactConfig } from '../conf/load.ts';
import type { ServerConfig } from '../conf/schema.ts';
import type { SocketSide } from '../chan/socket-side.ts';
import { TcpTransport } from '../transport/tcp.ts';
import { LOGIN_FRAMES, type Transport } from '../transport/transport.ts';
import type { WebSocketListener } from '../transport/ws-server.ts';
import { createLogger, type Logger } from './log.ts';
import { loadServices, type ServiceRegistry } from './services.ts';
import { Session, type SessionContext } from './session.ts';
import { LoginGuard } from './login-guard.ts';
import { RandomPool } from './random-pool.ts';
import { MemoryBudget } from './budget.ts';
import { loadSecureContext, type SecureServerContext } from './secure-session.ts';
import type { ServerMetrics, MetricsSource } from './metrics.ts';
import { retireWorkers, startWorkers, stopWorkers, type SupervisorHooks } from './worker-pool.ts';
import { GatewayRegistration } from './registration.ts';
import { resolveProcesses } from '../conf/schema.ts';
import type { HandOffMessage, Login } from './hand-off.ts';
import { decodeTerm } from '../wire/etf/decode.ts';
import { decodeOptionsFor } from './decode-options.ts';
import { HelperProcesses, shareLoginBudgets, type PrimaryHost } from './processes.ts';
import { BusyPoll } from '../transport/busy-poll.ts';

export interface StartOptions {
  /** Path of lib_chan.conf. @default $HOME/.erlang_config/lib_chan.conf */
  conf?: string;
  /** An already loaded config (instead of `conf`). */
  config?: ServerConfig;
  /** Override the conf's port (0 = an ephemeral port, for tests). */
  port?: number;
  /** Override the conf's bind address. */
  bind?: string;
  logger?: Logger;
  /** @internal A helper process of `{processes, N}` (helper-entry.ts): how it accepts and hands logins over. */
  helper?: HelperRole;
}

/** @internal */
export interface HelperRole {
  /** The primary's listening socket, received over IPC. */
  listener: net.Server;
  processes: number;
  handOff: NonNullable<SessionContext['handOff']>;
}

export interface ServerStats {
  connections: number;
  channels: number;
  accepted: number;
  refusedAtAccept: number;
}

export class Server implements MetricsSource, PrimaryHost {
  config: ServerConfig;
  services: ServiceRegistry;
  readonly log: Logger;
  readonly guard: LoginGuard;
  /** maxBufferedBytes across all connections; every transport's meter (noteIo) tells it of each read and send. */
  readonly budget: MemoryBudget;
  /** `{busy_poll, Microseconds}`: the loop kept awake after I/O (off at 0). */
  readonly busyPoll: BusyPoll;
  readonly stats: ServerStats = { connections: 0, channels: 0, accepted: 0, refusedAtAccept: 0 };
  private readonly listener: net.Server;
  /** In a helper process: its role (no listener of its own, no WebSocket, metrics or registration). */
  private readonly helper: HelperRole | undefined;
  /** How many processes the gateway runs as (`{processes, N}`, resolved once at start). */
  readonly processCount: number;
  /** In the primary of a gateway of several processes: the others. */
  private helpers: HelperProcesses | undefined;
  private readonly sessions = new Set<Session>();
  private readonly channels = new Set<SocketSide>();
  /** The channels that logged in without a credential (maxAnonymousChannels). */
  private readonly anonymous = new Set<SocketSide>();
  /** Connections per address prefix (addressPrefixV4 / V6), and the key each transport was counted under. */
  private readonly perAddress = new Map<string, number>();
  private readonly countedAs = new WeakMap<Transport, string>();
  /** Accepted TCP connections until their sockets close: close() flushes, then cuts them. */
  private readonly sockets = new Set<TcpTransport>();
  private readonly forgetSocket = (t: TcpTransport): void => void this.sockets.delete(t);
  /** What every session sees of this server: one object for all connections, rebuilt on reload. */
  private sessionContext: SessionContext | undefined;
  /** The legacy login's challenges. */
  private readonly challengeRandom = new RandomPool();
  private secure: SecureServerContext | undefined;
  private stopping: Promise<void> | undefined;
  private ws: WebSocketListener | undefined;
  /** The metrics endpoint's counters, when the conf has `{metrics, [...]}` (the endpoint is not reloaded). */
  readonly metrics: ServerMetrics | undefined;
  /** Services replaced by a reload whose workers may still serve old channels. */
  private readonly retiredServices: ServiceRegistry[] = [];
  /** The registration in the conf's `{registry, URL}`, once listening. */
  registration: GatewayRegistration | undefined;
  private readonly workerHooks: SupervisorHooks = { workerCrashed: (service, reason) => this.metrics?.workerCrashed(service, reason) };

  private constructor(
    config: ServerConfig,
    services: ServiceRegistry,
    log: Logger,
    secure: SecureServerContext | undefined,
    Metrics: typeof ServerMetrics | undefined,
    processCount: number,
    helper: HelperRole | undefined,
  ) {
    this.config = config;
    this.processCount = processCount;
    this.helper = helper;
    this.services = services;
    this.log = log;
    this.secure = secure;
    this.guard = new LoginGuard(config.limits);
    this.budget = new MemoryBudget(
      config.limits.maxBufferedBytes,
      () => this.sessions,
      (h, held, total, limit) => {
        this.metrics?.limitHit('maxBufferedBytes');
        this.log.warn(
          { event: 'limitHit', limit: `maxBufferedBytes=${limit}`, key: 'maxBufferedBytes', peer: h.peer, held, total },
          'memory budget reached: closing the connection that holds the most',
        );
      },
    );
    this.busyPoll = new BusyPoll(config.busyPollUs);
    this.metrics = Metrics ? new Metrics(this) : undefined;
    this.listener = helper?.listener ?? net.createServer({ noDelay: true });
    this.listener.on('connection', (socket: net.Socket) => this.onConnection(socket));
    this.listener.on('error', (err: NodeJS.ErrnoException) => {
      // EMFILE and friends: log and keep serving the connections we have.
      this.log.error({ event: 'listenerError', code: err.code, err }, 'listener error');
    });
  }

  static async start(opts: StartOptions = {}): Promise<Server> {
    const loaded = opts.config ?? (await loadConfig(opts.conf));
    const helper = opts.helper;
    const processCount = helper?.processes ?? resolveProcesses(loaded.processes);
    if (processCount > 1 && loaded.file === undefined) {
      throw new ChanError('badConf', `{processes, ${processCount}} needs the conf in a file: every process of the gateway reads it`, { details: {} });
    }
    // The caller's config stays as it was: the port and bind overrides (and the login budgets' split) go on a copy.
    const config: ServerConfig = { ...shareLoginBudgets(loaded, processCount) };
    if (opts.port !== undefined) config.port = opts.port;
    if (opts.bind !== undefined) config.bind = opts.bind;
    const log = opts.logger ?? createLogger({ level: config.logLevel });
    const services = await loadServices(config);
    // prom-client (and the metrics module with it) is loaded only by a conf with a metrics endpoint; before
    // the identity's key pool starts, so that a failure here leaves nothing running. The primary alone serves it.
    const Metrics = config.metrics && !helper ? (await import('./metrics.ts')).ServerMetrics : undefined;
    const secure = await loadSecureContext(config);
    // The end of the `init` stage for `lib-chan remote start`: conf, handlers and identity are loaded; listeners come next.
    log.info({ event: 'initialized', file: config.file, publicKey: secure?.publicKeyText }, 'conf, services and identity loaded; starting the listeners');
    const server = new Server(config, services, log, secure, Metrics, processCount, helper);
    try {
      await startWorkers(services, log, server.workerHooks, server.runsHere);
      if (helper) {
        return server;
      }
      await server.listen();
      if (server.metrics && config.metrics) await server.metrics.listen(config.metrics.port, config.metrics.bind, config.file);
      if (processCount > 1) server.helpers = await HelperProcesses.start(server, config.file!, processCount);
      if (config.websocket) {
        // The WebSocket listener (and ws with it) is loaded only by a conf that has one.
        const { WebSocketListener } = await import('../transport/ws-server.ts');
        server.ws = await WebSocketListener.start(server, config.websocket, config.file);
      }
    } catch (e) {
      // Whichever step failed, leave nothing listening and nothing running.
      await server.abortStart();
      throw e;
    }
    if (server.metrics) log.info({ event: 'metricsListening', url: server.metrics.url }, `lib_chan metrics on ${server.metrics.url}`);
    if (server.ws) log.info({ event: 'wsListening', url: server.ws.url }, `lib_chan WebSocket listener on ${server.ws.url}`);
    for (const w of config.warnings ?? []) log.warn({ ...w, message: undefined }, w.message);
    if (secure?.generated)
      log.warn({ event: 'identityCreated', file: config.identityFile, publicKey: secure.publicKeyText }, 'created a new server identity key');
    try {
      server.registration = await GatewayRegistration.start(server);
    } catch (e) {
      await server.abortStart();
      throw e;
    }
    log.info(
      { event: 'configLoaded', file: config.file, config: redactConfig(config), port: server.port, publicKey: secure?.publicKeyText },
      `lib_chan listening on ${config.bind}:${server.port}${secure ? `; server key ${secure.publicKeyText}` : ''}`,
    );
    return server;
  }

  /** Undo a start that failed part way: workers, listeners, the metrics endpoint and the key pool. */
  private async abortStart(): Promise<void> {
    stopWorkers(this.services);
    await this.helpers?.close(0);
    this.secure?.ephemerals.close();
    await Promise.all([this.listener.listening ? new Promise((r) => this.listener.close(r)) : undefined, this.ws?.close(), this.metrics?.close()]);
  }

  get port(): number {
    const a = this.listener.address();
    return typeof a === 'object' && a ? a.port : this.fixedPort;
  }

  /** The port once this process no longer listens itself (acceptInHelpersOnly). */
  private fixedPort = 0;

  /** Port of the WebSocket listener (0 when the conf has none). */
  get wsPort(): number {
    return this.ws?.port ?? 0;
  }

  get address(): string {
    const a = this.listener.address();
    return typeof a === 'object' && a ? a.address : '';
  }

  /** Port of the metrics endpoint (0 when the conf has none). */
  get metricsPort(): number {
    return this.metrics?.port ?? 0;
  }

  /** The open channels (for the metrics). */
  openChannels(): Iterable<SocketSide> {
    return this.channels;
  }

  /** The server's public identity key, when it has one (what clients pin). */
  get publicKey(): Uint8Array | undefined {
    return this.secure?.identity.publicKey;
  }

  private listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        reject(
          new ChanError(
            'badConf',
            `${this.config.file ?? 'conf'}: cannot listen on ${this.config.bind}:${this.config.port}: ${err.code === 'EADDRINUSE' ? 'the port is already in use' : err.message}`,
            {
              cause: err,
              details: { file: this.config.file },
            },
          ),
        );
      };
      this.listener.once('error', onError);
      this.listener.listen({ port: this.config.port, host: this.config.bind, backlog: 511 }, () => {
        this.listener.off('error', onError);
        resolve();
      });
    });
  }

  private onConnection(socket: net.Socket): void {
    const transport = this.admitTcp(socket);
    if (transport) this.attach(transport);
  }

  /** The helper processes' ids (`{processes, N}`; none otherwise). */
  get processIds(): number[] {
    return this.helpers?.pids ?? [];
  }

  /**
   * @internal Tests: this process stops accepting (its copy of the listening socket is closed) while the
   * helpers go on, so that every new connection takes the hand-over path. A helper that exits is then not
   * started again (nothing is left to give it).
   */
  async acceptInHelpersOnly(): Promise<void> {
    this.fixedPort = this.port;
    await new Promise<void>((r) => this.listener.close(() => r()));
  }

  /** @internal PrimaryHost: the listener the helpers accept on too. */
  get tcpListener(): net.Server {
    return this.listener;
  }

  /** Whether `service`'s channels run in this process: every one in the primary, `{state, per_process}` ones in a helper too. */
  readonly runsHere = (service: { readonly config: { state: string } }): boolean => !this.helper || service.config.state === 'per_process';

  /**
   * @internal PrimaryHost: a login a helper process decided, for a service this process runs: its channel
   * opens here, after the bytes the helper read and did not deliver.
   */
  adopt(socket: net.Socket, msg: HandOffMessage): void {
    const service = this.services.get(msg.service);
    if (!service) {
      // A reload between the helper's login and now removed the service.
      this.log.warn(
        { event: 'handOffRefused', service: msg.service, peer: `${socket.remoteAddress}:${socket.remotePort}` },
        'handed-over login for a service this gateway no longer offers',
      );
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    const transport = this.admitTcp(socket);
    if (!transport) return;
    let argsC;
    try {
      argsC = decodeTerm(msg.argsC, decodeOptionsFor(service.config.limits));
    } catch (e) {
      // The helper decoded these bytes under the same limits: only a conf reload in between can get here.
      transport.destroy(new ChanError('badTerm', `handed-over ArgsC no longer decodes: ${(e as Error).message}`, { details: { service: msg.service } }));
      return;
    }
    this.attach(transport, { service, argsC, method: msg.method, ack: msg.ack, held: msg.held, keys: msg.keys });
    for (const bytes of msg.rest) transport.onData(bytes);
  }

  /** The TCP transport of an accepted (or adopted) socket, or undefined when a connection limit refuses it. */
  private admitTcp(socket: net.Socket): TcpTransport | undefined {
    const addr = socket.remoteAddress ?? 'unknown';
    // Refuse over-limit connections before any buffer or timer exists for them.
    if (this.admit(addr, `${addr}:${socket.remotePort}`, 'tcp') !== undefined) {
      socket.on('error', () => {});
      socket.destroy();
      return undefined;
    }
    const l = this.config.limits;
    const transport = new TcpTransport(socket, {
      maxFrameBytes: l.maxFrameBytes,
      loginFrames: LOGIN_FRAMES,
      maxLoginFrameBytes: l.maxLoginFrameBytes,
      frameTimeoutMs: l.frameTimeoutMs,
      onClosed: this.forgetSocket,
      meter: this.meter,
    });
    this.sockets.add(transport);
    return transport;
  }

  /**
   * Admission control shared by every listener (TCP accept, WebSocket
   * upgrade): the reason to refuse a connection from `addr`, logged and
   * counted, or undefined to let it in. attach() then counts it.
   */
  admit(addr: string, peer: string, listener: 'tcp' | 'ws'): string | undefined {
    const limits = this.config.limits;
    let refusal: string | undefined;
    if (this.sessions.size >= limits.maxConnections) refusal = `maxConnections=${limits.maxConnections}`;
    else if ((this.perAddress.get(this.addressKey(addr)) ?? 0) >= limits.maxConnectionsPerAddress)
      refusal = `maxConnectionsPerAddress=${limits.maxConnectionsPerAddress}`;
    if (refusal === undefined && !this.stopping) return undefined;
    this.stats.refusedAtAccept++;
    this.metrics?.refused(refusal?.split('=')[0] ?? 'shuttingDown', listener);
    this.log.warn(
      { event: 'limitHit', limit: refusal ?? 'shuttingDown', key: refusal?.split('=')[0], peer, listener },
      refusal ? `connection refused: ${refusal} reached` : 'connection refused: shutting down',
    );
    return refusal ?? 'shuttingDown';
  }

  /** What every transport tells of each read and send: the memory budget, and busy polling when it is on (the WebSocket listener passes it on). */
  get meter(): (bytes: number) => void {
    return this.noteIo;
  }

  /** Bound once, given to every transport; busy polling's poke returns at once while it is off (a reload may turn it on). */
  private readonly noteIo = (bytes: number): void => {
    this.budget.note(bytes);
    this.busyPoll.poke();
  };

  /** The key connections from `addr` are counted under: its address prefix (one client). */
  addressKey(addr: string): string {
    return this.guard.prefixOf(addr);
  }

  /**
   * Run the lib_chan protocol over a transport (TCP here; the WebSocket listener calls this too); `adopted`:
   * a login another process of the gateway decided.
   */
  attach(transport: Transport, adopted?: Login): Session {
    this.stats.accepted++;
    this.metrics?.accepted(transport instanceof TcpTransport ? 'tcp' : 'ws');
    this.log.debug({ event: 'connectionAccepted', peer: transport.peer, connections: this.sessions.size + 1 }, 'connection accepted');
    const prefix = this.addressKey(transport.remoteAddress);
    this.countedAs.set(transport, prefix);
    this.perAddress.set(prefix, (this.perAddress.get(prefix) ?? 0) + 1);
    const session = new Session(this.contextForSessions(), transport, adopted);
    if (!session.isEnded) this.sessions.add(session);
    return session;
  }

  /**
   * The context sessions run in: built once per configuration, not per
   * connection (an idle connection should hold as little as possible).
   */
  private contextForSessions(): SessionContext {
    if (this.sessionContext) return this.sessionContext;
    const metrics = this.metrics;
    this.sessionContext = {
      config: this.config,
      services: this.services,
      log: this.log,
      randomBytes: (n) => this.challengeRandom.take(n),
      guard: this.guard,
      secure: this.secure,
      metrics,
      anonymousChannels: () => this.anonymous.size,
      established: (mm, anonymous) => {
        this.channels.add(mm);
        if (anonymous) this.anonymous.add(mm);
        mm.fencingToken = this.registration?.fencingToken(mm.service);
        if (metrics) mm.rpcObserver = metrics.rpcObserver(mm.service);
      },
      // The session's own close handler calls this: no second handler per channel.
      ended: (session, info) => {
        if (session.mm && info) {
          metrics?.channelClosed(session.mm, info);
          this.channels.delete(session.mm);
          this.anonymous.delete(session.mm);
        }
        this.sessions.delete(session);
        // Under the key it was counted with (a reload may change the prefix lengths meanwhile).
        const addr = this.countedAs.get(session.transport) ?? this.addressKey(session.transport.remoteAddress);
        const n = (this.perAddress.get(addr) ?? 1) - 1;
        if (n <= 0) this.perAddress.delete(addr);
        else this.perAddress.set(addr, n);
      },
      handOff: this.helper?.handOff,
    };
    return this.sessionContext;
  }

  get connectionCount(): number {
    return this.sessions.size;
  }

  get channelCount(): number {
    return this.channels.size;
  }

  /** Reload the conf: new and changed services serve new connections; open channels are kept. */
  async reload(): Promise<void> {
    const file = this.config.file;
    try {
      const config = shareLoginBudgets(await loadConfig(file), this.processCount);
      const services = await loadServices(config);
      const secure = await loadSecureContext(config);
      // Worker services get fresh workers (which load the module anew); the old ones finish their channels.
      await startWorkers(services, this.log, this.workerHooks, this.runsHere);
      config.port = this.config.port;
      config.bind = this.config.bind;
      config.metrics = this.config.metrics;
      config.processes = this.config.processes;
      this.config = config;
      this.sessionContext = undefined;
      this.guard.setLimits(config.limits);
      this.budget.setLimit(config.limits.maxBufferedBytes);
      this.busyPoll.setWindow(config.busyPollUs);
      retireWorkers(this.services);
      if ([...this.services.values()].some((svc) => svc.supervisor)) this.retiredServices.push(this.services);
      this.registration?.adopt(services);
      this.services = services;
      void this.registration?.update();
      this.secure?.ephemerals.close();
      this.secure = secure;
      this.log.info({ event: 'configReloaded', file, config: redactConfig(config) }, 'configuration reloaded');
      this.helpers?.reload();
    } catch (e) {
      this.log.error({ event: 'configReloadFailed', file, error: (e as Error).message }, 'new configuration refused; the old one stays in force');
      throw e;
    }
  }

  /**
   * Stop: no new connections, handlers are told to close (their iteration
   * ends), what is queued is flushed; after `graceMs` the rest is cut.
   */
  close(graceMs = this.config.limits.closeGraceMs): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info({ event: 'shutdown', connections: this.sessions.size, graceMs }, 'shutting down');
      // Clients stop choosing this gateway before it stops accepting.
      await this.registration?.drain();
      const closedListener = Promise.all([new Promise<void>((r) => this.listener.close(() => r())), this.ws?.close()]);
      // The helpers drain their own channels meanwhile; handed-over logins that still arrive are refused (admit()).
      const helpersClosed = this.helpers?.close(graceMs);
      for (const mm of this.channels) mm.drain();
      for (const s of this.sessions) if (!s.mm) s.transport.destroy();
      const drained = Promise.all([...this.channels].map((mm) => mm.closed));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const graceOver = new Promise((r) => (timer = setTimeout(r, graceMs)));
      await Promise.race([drained, graceOver]);
      for (const s of this.sessions) s.transport.destroy();
      // Closed channels flush their last replies (end()); wait for that, not for the peers' FIN.
      await Promise.race([Promise.all([...this.sockets].map((t) => t.flushed())), graceOver]);
      clearTimeout(timer);
      for (const s of this.sockets) s.destroy();
      // Nothing left to answer: the loop may sleep (and the process exit) at once.
      this.busyPoll.setWindow(0);
      for (const services of [this.services, ...this.retiredServices]) stopWorkers(services);
      this.secure?.ephemerals.close();
      await Promise.all([closedListener, helpersClosed, this.metrics?.close(), this.registration?.stop({ revoke: true })]);
      this.log.info({ event: 'stopped' }, 'server stopped');
    })();
    return this.stopping;
  }
}

export function startServer(opts: StartOptions = {}): Promise<Server> {
  return Server.start(opts);
}
