/**
 * Erlang peers for the interop tests: the book-style lc_server and lc_client sessions, run
 * as ErlProcess (test/helpers/erl.ts) on every .erl of test/interop/erl, compiled once per
 * test process.
 *
 * No sleeps: a peer is ready when it prints its READY / SENT line, done when
 * it prints RESULT and exits. Every wait has a deadline and races the
 * peer's exit; failures carry the peer's stdout and stderr.
 *
 * When `erl`/`erlc` are missing the interop tests are skipped LOUDLY (erlSkip), except
 * with CI=true, where they fail (CI must install Erlang/OTP).
 */
import { readdirSync } from 'node:fs';
import { decodeTerm } from '../../src/wire/etf/decode.ts';
import type { Term } from '../../src/wire/etf/term.ts';
import { ERL_DIR, ErlProcess, compileErl, erlTools } from './erl.ts';

export { erlSkip } from './erl.ts';

/** Deadline for a peer's READY line (a cold `erl` start takes about 1 s). */
const READY_TIMEOUT_MS = 20_000;
/** Deadline for a client peer's RESULT (its own operations time out after 5 s each). */
const RESULT_TIMEOUT_MS = 30_000;

let compiled: string | undefined;

function peerCodeDir(): string {
  compiled ??= compileErl(
    erlTools(),
    readdirSync(ERL_DIR).filter((f) => f.endsWith('.erl')),
  );
  return compiled;
}

/** One `erl -noshell -run <module> main <args...>` peer. */
export class ErlPeer extends ErlProcess {
  constructor(label: string, module: string, args: string[]) {
    super(erlTools(), peerCodeDir(), module, 'main', args, {
      label: `erl peer "${label}"`,
      // A peer halts when its stdin closes, so none outlives a test process that died.
      env: { ...process.env, LC_HALT_ON_STDIN_EOF: '1' },
    });
  }
}

/** The book-style Erlang lib_chan server (lc_server), listening; `port` from its READY line. */
export class ErlServer extends ErlPeer {
  port = 0;

  static async start(confFile: string): Promise<ErlServer> {
    const peer = new ErlServer('lc_server', 'lc_server', [confFile]);
    try {
      const m = await peer.waitForLine(/^READY (\d+)$/, READY_TIMEOUT_MS);
      peer.port = Number(m[1]);
      return peer;
    } catch (e) {
      await peer.stop();
      throw e;
    }
  }
}

/** An lc_client run: `mode` is `session` or `garbage` (see lc_client.erl). */
export class ErlClient extends ErlPeer {
  static start(mode: 'session' | 'garbage', args: (string | number)[]): ErlClient {
    return new ErlClient(`lc_client ${mode}`, 'lc_client', [mode, ...args.map(String)]);
  }

  /** Wait for the RESULT line and decode its term (hex of term_to_binary). */
  async result(): Promise<Term> {
    const m = await this.waitForLine(/^RESULT ([0-9a-f]+)$/, RESULT_TIMEOUT_MS);
    const hex = m[1];
    return decodeTerm(Uint8Array.from(Buffer.from(hex, 'hex')));
  }
}

/**
 * Run the book's name-server session with the Erlang client (connect, cast
 * store joe, rpc lookup joe, rpc lookup jim, disconnect). Result:
 * `{ok, [{lookup, joe, R1}, {lookup, jim, R2}]}` or `{error, Reason}`.
 */
export async function erlSession(host: string, port: number, service: string, password: string): Promise<{ result: Term; peer: ErlClient }> {
  const peer = ErlClient.start('session', [host, port, service, password]);
  try {
    const result = await peer.result();
    await peer.exited;
    return { result, peer };
  } finally {
    await peer.stop();
  }
}
