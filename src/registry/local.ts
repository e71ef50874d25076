/**
 * The embedded registry (`local:`, `local:NAME`, `local://127.0.0.1:PORT`):
 * the gateways of one host share a name table, as epmd's, with no process
 * to install and without epmd's restart flaw.
 *
 * Design: the table lives in one of the gateways, the *holder*: the first
 * to bind the table's socket. Every other gateway is a member with one
 * connection to it, over which it puts its record and its singleton
 * campaigns. A record lives exactly as long as its connection (epmd's
 * rule), so a gateway killed with -9 is gone at once. When the holder dies,
 * its members' connections close; each tries at once to bind the socket
 * (one wins and holds the table from then on) or else connects to the one
 * that did, and puts its record again: the table rebuilds itself, and the
 * dead holder's own names are free at once.
 *
 * The socket: on Linux an abstract unix socket `\0lib-chan-registry-UID-NAME`
 * (it vanishes with its process: no stale file, no "name in use" after a
 * crash, and bind is the atomic election of the holder); elsewhere a socket
 * file in the temp directory, unlinked when a connect to it is refused; or
 * loopback TCP for `local://127.0.0.1:PORT`. The protocol is one JSON object
 * per line, each line bounded by MAX_LINE_BYTES before it is parsed, and at
 * most MAX_RECORDS members.
 *
 * Trust: any local user can reach an abstract socket (and a socket file's
 * directory is 0700 only for its owner), so a local user can publish a
 * record or hold the table first. As with every backend, the registry is
 * never trusted for identity: clients check each gateway's key.
 *
 * Singletons: the holder grants each campaign to the first live campaigner,
 * with a fencing token that grows across holder restarts (max of the last
 * token + 1 and the holder's clock in ms). A member that loses the holder
 * stops leading at once, and campaigns again in the new table.
 */
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { ChanError } from '../errors.ts';
import {
  MAX_RECORD_BYTES,
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

const MAX_LINE_BYTES = MAX_RECORD_BYTES + 1024;
/** Longest a query waits for the holder's answer. */
const QUERY_TIMEOUT_MS = 2_000;
/** Most records a list answer may hold (the client refuses more). */
const MAX_RECORDS = 4_096;

export function localAddress(p: ParsedRegistryUrl): { path: string } | { host: string; port: number } {
  if (p.hosts.length === 1) {
    const m = /^(.*):(\d+)$/.exec(p.hosts[0])!;
    return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  if (process.platform === 'linux') return { path: `\0lib-chan-registry-${uid}-${p.path}` };
  return { path: path.join(os.tmpdir(), `lib-chan-${uid}`, `registry-${p.path}.sock`) };
}

/** Splits a stream into bounded JSON lines; a longer line closes the connection. */
function onLines(socket: net.Socket, cb: (msg: Record<string, unknown>) => void): void {
  let buf = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        socket.destroy();
        return;
      }
      if (typeof msg === 'object' && msg !== null) cb(msg as Record<string, unknown>);
    }
    if (buf.length > MAX_LINE_BYTES) socket.destroy();
  });
}

function send(socket: net.Socket, msg: unknown): void {
  if (!socket.destroyed) socket.write(`${JSON.stringify(msg)}\n`);
}

export class LocalRegistry implements Registry {
  readonly kind = 'local' as const;
  readonly address: ReturnType<typeof localAddress>;
  /** The membership of this process, when it is a gateway (its table answers lists when it holds it). */
  private member: LocalMembership | undefined;

  constructor(
    readonly url: string,
    p: ParsedRegistryUrl,
  ) {
    this.address = localAddress(p);
  }

  async list(): Promise<GatewayRecord[]> {
    const held = this.member?.table;
    if (held) return held.records();
    return queryList(this.address);
  }

  async resolve(service: string): Promise<Instance[]> {
    return instancesFrom(await this.list(), service);
  }

  async join(record: GatewayRecord, events: RegistryEvents): Promise<Membership> {
    const m = new LocalMembership(this.address, record, events);
    this.member = m;
    await m.start();
    return m;
  }

  async close(): Promise<void> {
    await this.member?.close();
  }
}

/**
 * Ask the holder for the table; no holder means no gateway on this host. A
 * connection reset is a holder that died under the query (the table changes
 * hands): asked again, a few times, after a short jittered wait.
 */
async function queryList(address: LocalRegistry['address']): Promise<GatewayRecord[]> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await queryOnce(address);
    } catch (e) {
      const code = ((e as ChanError).cause as NodeJS.ErrnoException | undefined)?.code;
      if (attempt >= 4 || (code !== 'ECONNRESET' && code !== 'EPIPE')) throw e;
      await new Promise((r) => setTimeout(r, backoffMs(attempt, 20, 200)));
    }
  }
}

function queryOnce(address: LocalRegistry['address']): Promise<GatewayRecord[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(address as net.NetConnectOpts);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ChanError('timeout', `the local registry did not answer within ${QUERY_TIMEOUT_MS} ms`, { details: { limit: QUERY_TIMEOUT_MS } }));
    }, QUERY_TIMEOUT_MS);
    socket.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') resolve([]);
      else reject(new ChanError('connectionRefused', `the local registry cannot be reached: ${e.message}`, { cause: e }));
    });
    socket.on('close', () => {
      clearTimeout(timer);
      // Closed before the end marker: the holder went away mid-answer (an error, so the caller asks again).
      reject(
        new ChanError('connectionLost', 'the local registry holder closed the connection before answering', {
          cause: Object.assign(new Error('closed'), { code: 'ECONNRESET' }),
        }),
      );
    });
    socket.on('connect', () => send(socket, { op: 'list', seq: 1 }));
    // One line per record (each bounded), then an end marker.
    const records: GatewayRecord[] = [];
    onLines(socket, (msg) => {
      if (msg.seq !== 1) return;
      if (msg.end !== true) {
        const r = parseRecord(JSON.stringify(msg.record ?? null));
        if (r && records.length < MAX_RECORDS) records.push(r);
        return;
      }
      clearTimeout(timer);
      resolve(records);
      socket.destroy();
    });
  });
}

/** A table member: a connection to the holder, or this process itself. */
interface Peer {
  record?: GatewayRecord;
  campaigns: Set<string>;
  notify(msg: Record<string, unknown>): void;
}

/** The table, held by one gateway. */
class Table {
  private readonly peers = new Set<Peer>();
  /** Campaigners per singleton service, in arrival order; the first leads. */
  private readonly queues = new Map<string, Peer[]>();
  private readonly leaders = new Map<string, Peer>();
  private lastToken = 0;
  private readonly sockets = new Set<net.Socket>();
  readonly server: net.Server;

  constructor(
    server: net.Server,
    private readonly events: RegistryEvents,
  ) {
    this.server = server;
    server.on('connection', (socket) => this.accept(socket));
  }

  records(): GatewayRecord[] {
    return [...this.peers].flatMap((p) => (p.record ? [p.record] : []));
  }

  add(peer: Peer): void {
    this.peers.add(peer);
  }

  remove(peer: Peer): void {
    this.peers.delete(peer);
    for (const service of peer.campaigns) this.leave(peer, service);
  }

  campaign(peer: Peer, service: string): void {
    if (peer.campaigns.has(service)) return;
    peer.campaigns.add(service);
    const q = this.queues.get(service) ?? [];
    q.push(peer);
    this.queues.set(service, q);
    this.grant(service);
  }

  leave(peer: Peer, service: string): void {
    peer.campaigns.delete(service);
    const q = (this.queues.get(service) ?? []).filter((p) => p !== peer);
    if (q.length) this.queues.set(service, q);
    else this.queues.delete(service);
    if (this.leaders.get(service) === peer) this.leaders.delete(service);
    this.grant(service);
  }

  private grant(service: string): void {
    if (this.leaders.has(service)) return;
    const next = this.queues.get(service)?.[0];
    if (!next) return;
    this.leaders.set(service, next);
    this.lastToken = Math.max(this.lastToken + 1, Date.now());
    next.notify({ event: 'elected', service, token: String(this.lastToken) });
  }

  private accept(socket: net.Socket): void {
    socket.on('error', () => {});
    if (this.sockets.size >= MAX_RECORDS) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    const peer: Peer = { campaigns: new Set(), notify: (msg) => send(socket, msg) };
    this.add(peer);
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (peer.record) this.events.event('peerLeft', { id: peer.record.id });
      this.remove(peer);
    });
    onLines(socket, (msg) => {
      switch (msg.op) {
        case 'put': {
          const rec = parseRecord(JSON.stringify(msg.record ?? null));
          if (!rec) return void socket.destroy();
          peer.record = rec;
          return;
        }
        case 'list':
          for (const record of this.records()) send(socket, { seq: msg.seq, record });
          return send(socket, { seq: msg.seq, end: true });
        case 'campaign':
          if (typeof msg.service === 'string' && msg.service.length <= 255) this.campaign(peer, msg.service);
          return;
        case 'resign':
          if (typeof msg.service === 'string') this.leave(peer, msg.service);
          return;
        default:
          socket.destroy();
      }
    });
  }

  /** Graceful stop: members see their connections close and rebuild the table among themselves. */
  close(): Promise<void> {
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    return closed;
  }
}

class LocalMembership implements Membership {
  /** Set while this process holds the table. */
  table: Table | undefined;
  private socket: net.Socket | undefined;
  private self: Peer | undefined;
  private readonly campaigns = new Map<string, { handlers: CampaignHandlers; leading: boolean }>();
  private stopped = false;
  private joinedOnce = false;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private connections = new Set<net.Socket>();

  constructor(
    private readonly address: LocalRegistry['address'],
    private record: GatewayRecord,
    private readonly events: RegistryEvents,
  ) {}

  async start(): Promise<void> {
    await this.connect();
  }

  /** Hold the table if nobody does, else join the holder. */
  private async connect(): Promise<void> {
    if (this.stopped) return;
    if (await this.tryHold()) return this.joined('heldTable');
    if (await this.tryJoin()) return this.joined('joinedTable');
    this.retry();
  }

  private joined(how: string): void {
    this.attempt = 0;
    this.events.event(this.joinedOnce ? 'reregistered' : 'registered', { id: this.record.id, how });
    this.joinedOnce = true;
  }

  private retry(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        void this.connect();
      },
      backoffMs(this.attempt++, 20, 1_000),
    );
  }

  private tryHold(): Promise<boolean> {
    return new Promise((resolve) => {
      const server = net.createServer();
      server.once('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EADDRINUSE' && 'path' in this.address && !this.address.path.startsWith('\0')) {
          // A socket file: stale when nobody answers on it (its holder died); remove it once and retry.
          const probe = net.connect(this.address.path);
          probe.on('connect', () => {
            probe.destroy();
            resolve(false);
          });
          probe.on('error', () => {
            try {
              fs.unlinkSync((this.address as { path: string }).path);
            } catch {
              // someone else did
            }
            resolve(false);
          });
          return;
        }
        resolve(false);
      });
      const done = (): void => {
        const table = new Table(server, this.events);
        this.table = table;
        this.self = { record: this.record, campaigns: new Set(), notify: (msg) => this.onHolderMessage(msg) };
        table.add(this.self);
        for (const service of this.campaigns.keys()) table.campaign(this.self, service);
        resolve(true);
      };
      if ('path' in this.address) {
        if (!this.address.path.startsWith('\0')) fs.mkdirSync(path.dirname(this.address.path), { recursive: true, mode: 0o700 });
        server.listen({ path: this.address.path }, done);
      } else {
        server.listen({ host: this.address.host, port: this.address.port }, done);
      }
    });
  }

  private tryJoin(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = net.connect(this.address as net.NetConnectOpts);
      let connected = false;
      socket.on('error', () => {});
      socket.on('connect', () => {
        connected = true;
        this.socket = socket;
        this.connections.add(socket);
        send(socket, { op: 'put', record: this.record });
        for (const service of this.campaigns.keys()) send(socket, { op: 'campaign', service });
        resolve(true);
      });
      socket.on('close', () => {
        this.connections.delete(socket);
        if (!connected) return resolve(false);
        if (this.socket !== socket) return;
        this.socket = undefined;
        // The holder is gone: stop leading at once, then rebuild the table (hold it, or join who does).
        for (const [service, c] of this.campaigns) this.demote(service, c, 'the local table holder went away');
        if (!this.stopped) {
          this.events.event('holderLost', {});
          void this.connect();
        }
      });
      onLines(socket, (msg) => this.onHolderMessage(msg));
    });
  }

  private onHolderMessage(msg: Record<string, unknown>): void {
    if (msg.event !== 'elected' || typeof msg.service !== 'string' || typeof msg.token !== 'string') return;
    const c = this.campaigns.get(msg.service);
    if (!c || c.leading) return;
    c.leading = true;
    this.events.event('elected', { service: msg.service, fencingToken: msg.token });
    c.handlers.elected(msg.token);
  }

  private demote(service: string, c: { handlers: CampaignHandlers; leading: boolean }, reason: string): void {
    if (!c.leading) return;
    c.leading = false;
    this.events.event('demoted', { service, reason });
    c.handlers.demoted(reason);
  }

  async publish(record: GatewayRecord): Promise<void> {
    this.record = record;
    if (this.self) this.self.record = record;
    if (this.socket) send(this.socket, { op: 'put', record });
  }

  campaign(service: string, handlers: CampaignHandlers): void {
    if (this.campaigns.has(service)) return;
    this.campaigns.set(service, { handlers, leading: false });
    if (this.table && this.self) this.table.campaign(this.self, service);
    else if (this.socket) send(this.socket, { op: 'campaign', service });
  }

  async resign(service: string): Promise<void> {
    const c = this.campaigns.get(service);
    if (!c) return;
    this.campaigns.delete(service);
    this.demote(service, c, 'resigned');
    if (this.table && this.self) this.table.leave(this.self, service);
    else if (this.socket) send(this.socket, { op: 'resign', service });
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const [service, c] of this.campaigns) this.demote(service, c, 'stopping');
    for (const s of this.connections) s.destroy();
    if (this.table) {
      const t = this.table;
      this.table = undefined;
      // Members see their connections close and rebuild the table among themselves.
      await t.close();
    }
  }
}
