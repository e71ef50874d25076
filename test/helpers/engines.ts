/**
 * Real registry engines for the registry tests, started by the test itself
 * on free loopback ports with their own data dirs, and stopped by PID: etcd
 * (one member or a cluster), dnsmasq serving SRV records, and a TCP proxy
 * that can black-hole a connection (to cut a gateway off from etcd without
 * closing anything). A missing binary skips loudly (fails under CI=true).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { waitUntil } from './latch.ts';

function which(bin: string): string | undefined {
  for (const dir of ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin', ...(process.env.PATH ?? '').split(':')]) {
    const p = path.join(dir, bin);
    if (spawnSync('test', ['-x', p]).status === 0) return p;
  }
  return undefined;
}

/** Why `bin` is missing, announced loudly; under CI=true it throws (CI must have it installed). */
function announceMissing(what: string, bin: string, pkg: string): string {
  const msg = `${bin} not found (apt-get install ${pkg})`;
  if (process.env.CI === 'true') throw new Error(`${msg}; CI=true: not skipping.`);
  process.stderr.write(`\n${'!'.repeat(78)}\n!! SKIPPING ${what}: ${msg}\n${'!'.repeat(78)}\n\n`);
  return `SKIPPED: ${msg}`;
}

/** The binary's path, or undefined after skipping `t` loudly. */
export function requireBinary(t: TestContext, bin: string, pkg: string): string | undefined {
  const p = which(bin);
  if (!p) t.skip(announceMissing(t.name, bin, pkg));
  return p;
}

/** The `skip` option of a describe() whose tests need `bin`: false when it is there. */
export function binarySkip(bin: string, pkg: string, what = 'these registry tests'): false | string {
  return which(bin) ? false : announceMissing(what, bin, pkg);
}

/** The path of `bin` (after binarySkip said it is there). */
export function binary(bin: string): string {
  const p = which(bin);
  if (!p) throw new Error(`${bin} not found`);
  return p;
}

/** Free loopback ports (bound then released: the engine binds them next). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const s = net.createServer();
          s.once('error', reject);
          s.listen({ port: 0, host: '127.0.0.1' }, () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** A child process with its output kept and waits on it (deadline + exit). */
class Engine {
  readonly proc: ChildProcess;
  output = '';
  exited = false;
  private readonly waiters = new Set<() => void>();
  readonly done: Promise<void>;

  constructor(
    readonly name: string,
    bin: string,
    args: string[],
  ) {
    this.proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const add = (c: Buffer): void => {
      this.output = (this.output + c.toString('utf8')).slice(-20_000);
      for (const w of [...this.waiters]) w();
    };
    this.proc.stdout!.on('data', add);
    this.proc.stderr!.on('data', add);
    this.done = new Promise((r) =>
      this.proc.once('close', () => {
        this.exited = true;
        for (const w of [...this.waiters]) w();
        r();
      }),
    );
  }

  waitFor(re: RegExp, what: string, ms = 15_000): Promise<true> {
    return waitUntil(this.waiters, () => (re.test(this.output) ? true : undefined), {
      what,
      ms,
      exited: () => this.exited,
      describe: () => this.output.slice(-3000),
      name: this.name,
    });
  }

  /** Kill by PID (SIGKILL unless told) and wait for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.exited && this.proc.pid) process.kill(this.proc.pid, signal);
    await this.done;
  }
}

export interface EtcdMember {
  name: string;
  clientPort: number;
  peerPort: number;
  engine: Engine;
}

export class EtcdCluster {
  private constructor(
    readonly members: EtcdMember[],
    private readonly dir: string,
    private readonly bin: string,
    private readonly initial: string,
  ) {}

  /** `client host:port` list, comma-separated, as an etcd:// URL takes it. */
  get hosts(): string {
    return this.members.map((m) => `127.0.0.1:${m.clientPort}`).join(',');
  }

  url(prefix: string): string {
    return `etcd://${this.hosts}/${prefix}`;
  }

  /** Start `n` members (one, or a real cluster of 3), each on its own ports and data dir. */
  static async start(bin: string, n = 1): Promise<EtcdCluster> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lib_chan-etcd-'));
    const ports = await freePorts(2 * n);
    const members = Array.from({ length: n }, (_, i) => ({ name: `s${i + 1}`, clientPort: ports[2 * i], peerPort: ports[2 * i + 1] }));
    const initial = members.map((m) => `${m.name}=http://127.0.0.1:${m.peerPort}`).join(',');
    const cluster = new EtcdCluster([], dir, bin, initial);
    try {
      for (const m of members) cluster.members.push({ ...m, engine: cluster.spawn(m) });
      await Promise.all(cluster.members.map((m) => m.engine.waitFor(/ready to serve client requests|serving client traffic/, `etcd ${m.name} ready`, 30_000)));
    } catch (e) {
      await cluster.stop();
      throw e;
    }
    return cluster;
  }

  private spawn(m: { name: string; clientPort: number; peerPort: number }): Engine {
    const single = !this.initial.includes(',');
    return new Engine(`etcd ${m.name}`, this.bin, [
      '--name',
      m.name,
      '--data-dir',
      path.join(this.dir, m.name),
      '--listen-client-urls',
      `http://127.0.0.1:${m.clientPort}`,
      '--advertise-client-urls',
      `http://127.0.0.1:${m.clientPort}`,
      '--listen-peer-urls',
      `http://127.0.0.1:${m.peerPort}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${m.peerPort}`,
      '--initial-cluster',
      this.initial,
      '--initial-cluster-state',
      'new',
      '--initial-cluster-token',
      path.basename(this.dir),
      // One member elects itself faster with short ticks; a cluster keeps etcd's defaults (a shared, loaded machine).
      ...(single ? ['--heartbeat-interval', '50', '--election-timeout', '500'] : []),
      '--log-level',
      'info',
      '--logger',
      'zap',
    ]);
  }

  /** Start a killed member again on its data dir. */
  async restart(m: EtcdMember): Promise<void> {
    m.engine = this.spawn(m);
    await m.engine.waitFor(/ready to serve client requests|serving client traffic/, `etcd ${m.name} ready again`, 30_000);
  }

  /** The member that is raft leader now (asked with etcdctl). */
  leader(): EtcdMember | undefined {
    const ctl = which('etcdctl');
    if (!ctl) return undefined;
    const r = spawnSync(
      ctl,
      [
        '--endpoints',
        this.members
          .filter((m) => !m.engine.exited)
          .map((m) => `http://127.0.0.1:${m.clientPort}`)
          .join(','),
        'endpoint',
        'status',
        '-w',
        'json',
      ],
      {
        env: { ...process.env, ETCDCTL_API: '3' },
        encoding: 'utf8',
        timeout: 10_000,
      },
    );
    try {
      const rows = JSON.parse(r.stdout) as { Endpoint: string; Status: { header: { member_id: number }; leader: number } }[];
      const lead = rows.find((x) => String(x.Status.header.member_id) === String(x.Status.leader));
      return lead ? this.members.find((m) => lead.Endpoint.endsWith(`:${m.clientPort}`)) : undefined;
    } catch {
      return undefined;
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.engine.kill()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** dnsmasq on a loopback port serving the given SRV records (`_svc._tcp.zone,host,port,prio,weight`). */
export async function startDnsmasq(bin: string, srv: string[]): Promise<{ port: number; stop(): Promise<void> }> {
  const [port] = await freePorts(1);
  const e = new Engine('dnsmasq', bin, [
    '--keep-in-foreground',
    '--log-facility=-',
    `--port=${port}`,
    '--listen-address=127.0.0.1',
    '--bind-interfaces',
    '--no-resolv',
    '--no-hosts',
    '--conf-file=/dev/null',
    '--user=' + os.userInfo().username,
    ...srv.map((s) => `--srv-host=${s}`),
    // Authoritative for the zones: a name it has no record for is NXDOMAIN, not REFUSED.
    ...[...new Set(srv.map((s) => s.split(',')[0].replace(/^.*?\._tcp\./, '')))].map((z) => `--local=/${z}/`),
  ]);
  await e.waitFor(/started, version/, 'dnsmasq started', 10_000);
  return { port, stop: () => e.kill() };
}

/**
 * A TCP proxy to `target` on 127.0.0.1:0. `cut()` black-holes every
 * connection, open and new (bytes are swallowed, nothing is closed: what a
 * dead network looks like); `heal()` forwards again.
 */
export class BlackholeProxy {
  private cutOff = false;
  private readonly sockets = new Set<net.Socket>();
  private constructor(private readonly server: net.Server) {}

  static async start(targetPort: number): Promise<BlackholeProxy> {
    // The handler runs only once the server listens, after `proxy` below is set.
    const server = net.createServer((client) => {
      const upstream = net.connect({ port: targetPort, host: '127.0.0.1' });
      const p = proxy;
      for (const s of [client, upstream]) {
        p.sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => {
          p.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.on('data', (d) => {
        if (!p.cutOff) upstream.write(d);
      });
      upstream.on('data', (d) => {
        if (!p.cutOff) client.write(d);
      });
    });
    const proxy = new BlackholeProxy(server);
    await new Promise<void>((r) => server.listen({ port: 0, host: '127.0.0.1' }, () => r()));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  cut(): void {
    this.cutOff = true;
  }

  heal(): void {
    this.cutOff = false;
  }

  /** Drop every open connection (new ones are forwarded unless cut). */
  reset(): void {
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}
