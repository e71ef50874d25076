/**
 * `lib-chan remote stop` and `remote status`: one exec over a fresh SSH session (host key
 * checked as for start), acting on the process group of the record only when its leader still
 * has the recorded start time (or the group still has members), so a reused PID is never signalled.
 */
import { randomBytes } from 'node:crypto';
import { ChanError } from '../../errors.ts';
import { LastLines, LineSplitter } from './lines.ts';
import type { RemoteRecord } from './record.ts';
import { statusScript, stopScript, viaSh } from './script.ts';
import type { SshConnection } from './ssh.ts';
import { openSession, type SessionOptions } from './start.ts';

interface Ran {
  markers: Map<string, string>;
  stdout: string[];
  stderr: string[];
}

async function run(conn: SshConnection, nonce: string, script: string, timeoutMs: number, lines: number): Promise<Ran> {
  const proc = await conn.exec(viaSh(script));
  proc.end();
  const markers = new Map<string, string>();
  const out = new LastLines(lines);
  const err = new LastLines(lines);
  const so = new LineSplitter(65_536, (l) => {
    if (l.startsWith(`${nonce} `)) {
      const [k, ...rest] = l.slice(nonce.length + 1).split(' ');
      markers.set(k, rest.join(' '));
    } else out.add(l);
  });
  const se = new LineSplitter(65_536, (l) => err.add(l));
  proc.onStdout((c) => so.push(c));
  proc.onStderr((c) => se.push(c));
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    proc.closed.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ChanError('timeout', `the remote command did not finish within ${timeoutMs} ms`, { details: { limit: timeoutMs } })),
        timeoutMs,
      );
    }),
  ]);
  so.end();
  se.end();
  return { markers, stdout: out.lines, stderr: err.lines };
}

export interface StopResult {
  /** 'stopped' (SIGTERM was enough), 'killed' (SIGKILL after the grace), 'notRunning', 'left' (still there after SIGKILL). */
  outcome: 'stopped' | 'killed' | 'notRunning' | 'left';
  why?: string;
}

export async function remoteStop(r: RemoteRecord, s: SessionOptions, graceMs: number): Promise<StopResult> {
  const conn = await openSession(s);
  try {
    const nonce = randomBytes(8).toString('hex');
    const ran = await run(conn, nonce, stopScript({ nonce, pid: r.pid, lstart: r.lstart, graceTenths: Math.ceil(graceMs / 100) }), graceMs + 10_000, 5);
    if (ran.markers.has('NOTRUNNING')) return { outcome: 'notRunning', why: ran.markers.get('NOTRUNNING') };
    if (ran.markers.has('LEFT')) return { outcome: 'left' };
    const gone = ran.markers.get('GONE');
    if (gone !== undefined) return { outcome: gone.endsWith('KILL') ? 'killed' : 'stopped' };
    throw new ChanError('connectionLost', `no answer from the stop script on ${r.host}`, { details: { stderr: ran.stderr } });
  } finally {
    conn.close();
  }
}

export interface StatusResult {
  running: boolean;
  /** leader (the recorded process), group (the leader is gone, other members remain), exited, pid-reused. */
  why: string;
  stdout: string[];
  stderr: string[];
}

export async function remoteStatus(r: RemoteRecord, s: SessionOptions, lines: number): Promise<StatusResult> {
  const conn = await openSession(s);
  try {
    const nonce = randomBytes(8).toString('hex');
    const ran = await run(conn, nonce, statusScript({ nonce, pid: r.pid, lstart: r.lstart, dir: r.remoteDir, lines }), 15_000, lines);
    if (ran.markers.has('RUNNING')) return { running: true, why: ran.markers.get('RUNNING') ?? '', stdout: ran.stdout, stderr: ran.stderr };
    if (ran.markers.has('NOTRUNNING')) return { running: false, why: ran.markers.get('NOTRUNNING') ?? '', stdout: ran.stdout, stderr: ran.stderr };
    throw new ChanError('connectionLost', `no answer from the status script on ${r.host}`, { details: { stderr: ran.stderr } });
  } finally {
    conn.close();
  }
}
