/**
 * The Erlang side of the bench: the client VM (test/bench/erl/lc_bench.erl),
 * one for the whole run, and the book-style Erlang lib_chan server
 * (test/interop/erl/lc_server.erl, through test/helpers/erl-peer.ts). The
 * same client drives both servers, so the ratio is server against server.
 */
import { fileURLToPath } from 'node:url';
import { ErlProcess, compileErl, findErl } from '../helpers/erl.ts';
import { ErlServer } from '../helpers/erl-peer.ts';
import { cpuSeconds } from './procs.ts';

const STEP_TIMEOUT_MS = 120_000;

export type ErlWorkload = { kind: 'rpc'; conns: number } | { kind: 'casts' } | { kind: 'login'; parallel: number };

export interface ErlResult {
  /** Operations per second (rpcs, casts or logins). */
  rate: number;
  /** Server CPU µs per operation over the timed part, when /proc tells. */
  cpuPerOp: number | undefined;
}

export class ErlBenchClient {
  private seq = 0;
  private constructor(private readonly proc: ErlProcess) {}

  /** Undefined (and why) when Erlang/OTP is missing. */
  static async start(): Promise<ErlBenchClient | string> {
    const tools = findErl();
    if (typeof tools === 'string') return tools;
    const dir = compileErl(tools, [fileURLToPath(new URL('./erl/lc_bench.erl', import.meta.url))]);
    const proc = new ErlProcess(tools, dir, 'lc_bench', 'main', [], { label: 'erl bench client' });
    await proc.waitForLine(/^HELLO$/, STEP_TIMEOUT_MS);
    return new ErlBenchClient(proc);
  }

  /** Run `w` for `ms` against host:port; `serverPid` is the server whose CPU is read. */
  async run(w: ErlWorkload, port: number, ms: number, serverPid: number): Promise<ErlResult> {
    const seq = ++this.seq;
    const head = `${w.kind} ${seq} 127.0.0.1 ${port} nameServer ABXy45`;
    this.proc.writeLine(w.kind === 'rpc' ? `${head} ${w.conns} ${ms}` : w.kind === 'login' ? `${head} ${w.parallel} ${ms}` : `${head} ${ms}`);
    const failed = new RegExp(`^(READY|FAILED) ${seq}( .*)?$`);
    const r = await this.proc.waitForLine(failed, STEP_TIMEOUT_MS);
    if (r[1] === 'FAILED') throw new Error(`erl bench client: ${w.kind} failed:${r[2]}`);
    const c0 = cpuSeconds(serverPid);
    this.proc.writeLine('go');
    const m = await this.proc.waitForLine(new RegExp(`^(?:RESULT ${seq} (\\d+) (\\d+)|FAILED ${seq} (.*))$`), STEP_TIMEOUT_MS + ms);
    const c1 = cpuSeconds(serverPid);
    if (m[3] !== undefined) throw new Error(`erl bench client: ${w.kind} failed: ${m[3]}`);
    const count = Number(m[1]);
    return {
      rate: count / (Number(m[2]) / 1e6),
      cpuPerOp: c0 === undefined || c1 === undefined || count === 0 ? undefined : ((c1 - c0) * 1e6) / count,
    };
  }

  stop(): Promise<void> {
    return this.proc.stop();
  }
}

/** The Erlang lib_chan server with the bench's conf (lc_server ignores the terms it does not know). */
export async function startErlServer(): Promise<{ port: number; pid: number; stop(): Promise<void> }> {
  const conf = fileURLToPath(new URL('./bench.conf', import.meta.url));
  const srv = await ErlServer.start(conf);
  return { port: srv.port, pid: srv.proc.pid!, stop: () => srv.stop() };
}
