/**
 * The server-wide memory budget, maxBufferedBytes (issue 10, finding 7;
 * "what it must do" point 2): many slow readers and partial frames at once,
 * against a server in its own process, whose peak RSS must stay under the
 * budget plus its baseline (plus a stated allowance for what is in flight
 * between two looks at the holdings) while a legitimate client is served.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect } from '../../src/client/node.ts';
import { atom, isTuple, tuple } from '../../src/wire/etf/term.ts';
import { HANDLERS, REPO } from '../helpers/start-server.ts';
import { rawLegacyLogin, type Raw } from '../helpers/ops-client.ts';
import { waitUntil } from '../helpers/latch.ts';
import { SOURCE_NODE_ARGS } from '../helpers/cli-process.ts';

const MIB = 1024 * 1024;
const BUDGET = 32 * MIB;
/**
 * Memory released but not yet given back: the buffers of shed connections
 * until V8 collects them (it does once about 64 MiB of them are outstanding);
 * the allocator gives them back at once (MALLOC_MMAP_THRESHOLD_ below). It does not grow with what is asked for,
 * which is many times the budget plus this.
 */
const ALLOWANCE = 128 * MIB;
const READERS = 16;
const FLOOD = { n: 12, bytes: MIB }; // 12 MiB queued per reader (under maxQueuedBytes)
const PARTIALS = 16;
const PARTIAL_BYTES = 6 * MIB; // of an announced 8 MiB frame

interface Stats {
  rss: number;
  maxRss: number;
  held: number;
  shed: number;
  port: number;
}

class BudgetServer {
  readonly lines: Record<string, unknown>[] = [];
  private readonly waiters = new Set<() => void>();
  private exited = false;
  private partial = '';
  readonly proc;
  constructor(conf: string) {
    this.proc = spawn(process.execPath, [...SOURCE_NODE_ARGS, path.join(REPO, 'test/fixtures/budget/server.ts'), conf], {
      cwd: REPO,
      stdio: ['pipe', 'pipe', 'inherit'],
      // glibc serves a block of 128 KiB or more from mmap and unmaps it when freed, at this fixed threshold;
      // by default the threshold rises to the largest block freed, so the 1 MiB frames of shed connections
      // came from its heap and stayed in RSS for as long as it chose (peaks of +104-137 MiB, once +169, where
      // what is held stays under the 32 MiB budget; with this: +70-93 MiB, idle or beside 3 busy processes).
      env: { ...process.env, MALLOC_MMAP_THRESHOLD_: '131072' },
    });
    this.proc.stdout.setEncoding('utf8');
    this.proc.stdout.on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop() ?? '';
      for (const p of parts) {
        try {
          this.lines.push(JSON.parse(p) as Record<string, unknown>);
        } catch {
          // not JSON
        }
      }
      for (const w of this.waiters) w();
    });
    this.proc.on('exit', () => {
      this.exited = true;
      for (const w of this.waiters) w();
    });
  }

  wait<T>(find: () => T | undefined, what: string, ms = 20_000): Promise<T> {
    return waitUntil(this.waiters, find, { what, ms, exited: () => this.exited, describe: () => JSON.stringify(this.lines.slice(-3)), name: 'budget server' });
  }

  async stats(): Promise<Stats> {
    const seen = this.lines.length;
    this.proc.stdin.write('stats\n');
    return this.wait(() => this.lines.slice(seen).find((l) => l.stats === true) as Stats | undefined, 'stats');
  }

  sheds(): number {
    return this.lines.filter((l) => l.event === 'limitHit' && l.key === 'maxBufferedBytes').length;
  }

  stop(): void {
    if (!this.exited) this.proc.kill('SIGKILL');
  }
}

test('maxBufferedBytes: slow readers and partial frames are shed, peak RSS stays under budget + baseline, a client is served', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lib_chan-budget-'));
  const conf = path.join(dir, 'lib_chan.conf');
  writeFileSync(
    conf,
    [
      '{port, 0}.',
      '{bind, "127.0.0.1"}.',
      `{module_path, ["${HANDLERS}"]}.`,
      '{log_level, warn}.',
      `{limits, [{maxBufferedBytes, ${BUDGET}}]}.`,
      '{service, flood, password, none, mfa, ops, flood, notUsed}.',
      '{service, open, password, none, mfa, echo, start, notUsed}.',
    ].join('\n'),
  );
  const server = new BudgetServer(conf);
  const raws: Raw[] = [];
  try {
    const first = await server.wait(() => server.lines.find((l) => l.stats === true) as Stats | undefined, 'the server to start');
    const port = first.port;
    const legit = await connect('127.0.0.1', port, 'open', null, [], { protocol: 'legacy' });
    assert.ok(isTuple(await legit.rpc(atom('ping')), 2, 'echo'));
    const base = await server.stats();

    for (let i = 0; i < READERS; i++) {
      const r = await rawLegacyLogin(port, 'flood');
      r.pause();
      r.sendTerm(tuple(atom('flood'), FLOOD.n, FLOOD.bytes));
      raws.push(r);
    }
    for (let i = 0; i < PARTIALS; i++) {
      const r = await rawLegacyLogin(port, 'open');
      r.write(Uint8Array.of(0x00, 0x80, 0x00, 0x00));
      r.write(new Uint8Array(PARTIAL_BYTES));
      raws.push(r);
    }
    const wanted = READERS * FLOOD.n * FLOOD.bytes + PARTIALS * PARTIAL_BYTES;
    // Enough sheds to bring what was asked for under the budget.
    const need = Math.ceil((wanted - BUDGET) / (FLOOD.n * FLOOD.bytes));
    await server.wait(() => (server.sheds() >= need ? true : undefined), `${need} connections shed with key maxBufferedBytes`);
    assert.ok(isTuple(await legit.rpc(atom('still here')), 2, 'echo'), 'the legitimate client is served');
    const after = await server.stats();
    assert.ok(after.held <= BUDGET + 2 * MIB, `held ${after.held} bytes, budget ${BUDGET}`);
    const grew = after.maxRss - base.rss;
    assert.ok(
      grew < BUDGET + ALLOWANCE,
      `peak RSS ${(after.maxRss / MIB).toFixed(0)} MiB, baseline ${(base.rss / MIB).toFixed(0)} MiB: +${(grew / MIB).toFixed(0)} MiB for ${(wanted / MIB).toFixed(0)} MiB asked, budget ${BUDGET / MIB} MiB`,
    );
    console.log(
      `# budget: asked ${(wanted / MIB).toFixed(0)} MiB, held ${(after.held / MIB).toFixed(1)} MiB, peak RSS +${(grew / MIB).toFixed(0)} MiB over a ${(base.rss / MIB).toFixed(0)} MiB baseline, ${server.sheds()} shed`,
    );
    legit.close();
  } finally {
    for (const r of raws) r.destroy();
    server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
