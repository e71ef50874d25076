/**
 * The local record of a gateway started by `lib-chan remote start`: one JSON file per gateway
 * (user, host, port, name) in the state folder, so `remote stop` and `remote status` find its
 * process group later. Written atomically with mode 0600; it holds no secret (the SSH key is
 * named by its path, never copied).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Stage } from './stages.ts';

export interface RemoteRecord {
  version: 1;
  name: string;
  user: string;
  host: string;
  port: number;
  /** The gateway's process (and process group) on the remote host, and its start time there. */
  pid: number;
  lstart: string;
  remoteDir: string;
  remoteCommand: string;
  args: string[];
  startedAt: string;
  endpoints: string[];
  publicKey: string | undefined;
  knownHosts: string;
  identity: string | undefined;
  stagesMs: Partial<Record<Stage, number>>;
}

export function defaultStateDir(env: Record<string, string | undefined> = process.env): string {
  return env.LIB_CHAN_REMOTE_STATE ?? path.join(env.HOME ?? os.homedir(), '.lib-chan', 'remote');
}

export function recordFile(dir: string, r: Pick<RemoteRecord, 'user' | 'host' | 'port' | 'name'>): string {
  const safe = `${r.user}@${r.host}_${r.port}_${r.name}`.replace(/[^A-Za-z0-9@._-]/g, '_');
  return path.join(dir, `${safe}.json`);
}

export function writeRecord(dir: string, r: RemoteRecord): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = recordFile(dir, r);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(r, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
  return file;
}

export function removeRecord(dir: string, r: RemoteRecord): void {
  rmSync(recordFile(dir, r), { force: true });
}

export function readRecords(dir: string): RemoteRecord[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: RemoteRecord[] = [];
  for (const n of names.sort()) {
    if (!n.endsWith('.json')) continue;
    try {
      const r = JSON.parse(readFileSync(path.join(dir, n), 'utf8')) as RemoteRecord;
      if (r.version === 1 && Number.isSafeInteger(r.pid) && r.pid > 1 && typeof r.host === 'string' && typeof r.lstart === 'string') out.push(r);
    } catch {
      // not one of ours
    }
  }
  return out;
}

/** The records matching what was given (host always; user, port and name when given). */
export function findRecords(dir: string, q: { host: string; user?: string; port?: number; name?: string }): RemoteRecord[] {
  return readRecords(dir).filter(
    (r) =>
      r.host === q.host &&
      (q.user === undefined || r.user === q.user) &&
      (q.port === undefined || r.port === q.port) &&
      (q.name === undefined || r.name === q.name),
  );
}
