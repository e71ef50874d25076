/**
 * The floor under the login rows of the bench: what this machine allows for
 * connect + 4-message login + close between two Node processes on loopback,
 * with none of lib_chan's server or client around it (no Session, Channel,
 * middle-man, handler, limits, timers or logs). Two variants:
 *
 *   plain   4 fixed frames of the legacy login's sizes, no crypto at all:
 *           the cost of TCP, node:net and the wake-ups alone.
 *   secure  the real handshake step functions of src/auth/secure on the
 *           native provider (ephemeral keys made ahead, the client's es
 *           computed while the reply is on its way, as the real client
 *           and server do), then the client's close record.
 *
 * Each loop closes and waits for the server's FIN, as the login rows do.
 * `node --import tsx test/bench/floor.ts [seconds]`, or from run.ts.
 */
import net from 'node:net';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nodeProvider } from '../../src/auth/crypto-node.ts';
import { X25519_KEY_BYTES, type KeyPair } from '../../src/auth/crypto.ts';
import { ReadyPool } from '../../src/auth/ready-pool-node.ts';
import {
  clientAuth,
  clientOnReply,
  clientOnResult,
  clientPrecomputeEs,
  clientStart,
  destroyState,
  passwordMatches,
  serverOnAuth,
  serverOnHello,
  serverResult,
  type ServerAwaitAuth,
} from '../../src/auth/secure/handshake.ts';
import { SecureCodec } from '../../src/chan/secure-codec.ts';
import { KIND } from '../../src/chan/codec.ts';
import { FrameDecoder, encodeFrame } from '../../src/wire/frame.ts';
import { wipe } from '../../src/wire/bytes.ts';

type Variant = 'plain' | 'secure';
const PASSWORD = 'ABXy45';
const ARGS = new Uint8Array([131, 106]);
const DECODE = { maxDepth: 64, maxDecompressedBytes: 1 << 20, maxAtoms: 1 << 16 };
// The legacy login's frame sizes (startService, challenge, response, ack), for the plain variant.
const PLAIN = [34, 39, 47, 8].map((n) => encodeFrame(new Uint8Array(n).fill(131, 0, 1)));

function serve(identity: KeyPair): void {
  const provider = nodeProvider;
  const ephemerals = new ReadyPool(
    () => provider.x25519Keypair(provider.randomBytes(X25519_KEY_BYTES)),
    (p: KeyPair) => wipe(p.secretKey),
  );
  const deps = { identity, provider, ephemeral: () => ephemerals.take() };
  const srv = net.createServer({ noDelay: true }, (sock) => {
    const dec = new FrameDecoder(1 << 16);
    let step = 0;
    let plain: boolean | undefined;
    let state: ServerAwaitAuth | undefined;
    let codec: SecureCodec | undefined;
    sock.on('data', (chunk) => {
      try {
        onFrames(dec.push(chunk));
      } catch {
        sock.destroy(); // a failed handshake ends its connection, as the real server does; the client reports it
      }
    });
    const onFrames = (frames: Uint8Array[]): void => {
      for (const f of frames) {
        // The first frame tells the variant: an ETF term, or the secure hello's magic.
        plain ??= f[0] === 131;
        if (plain) {
          // plain: answer startService with the challenge and the response with ack
          sock.write(step++ === 0 ? PLAIN[1] : PLAIN[3]);
        } else if (step === 0) {
          const r = serverOnHello(deps, f);
          if (r.refused) return void sock.destroy();
          state = r.state;
          sock.write(encodeFrame(r.out));
          step = 1;
        } else if (step === 1) {
          const a = serverOnAuth(state!, f);
          const ok = passwordMatches(provider, a.request.password!, PASSWORD);
          const res = serverResult(a.state, ok ? 'ack' : 'authFail');
          sock.write(encodeFrame(res.out));
          codec = new SecureCodec(res.session!, provider, DECODE);
          step = 2;
        } else {
          codec!.decode(f); // the close record
        }
      }
    };
    sock.on('end', () => sock.end());
    sock.on('error', () => {});
  });
  srv.listen(0, '127.0.0.1', () => process.send!({ port: (srv.address() as net.AddressInfo).port }));
}

const hellos = new ReadyPool(
  () => clientStart({ provider: nodeProvider }),
  (h: ReturnType<typeof clientStart>) => destroyState(h.state),
);

/** One connect + login + close; resolves when the server's FIN is in. */
function login(port: number, variant: Variant, serverKey: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: '127.0.0.1', noDelay: true });
    const dec = new FrameDecoder(1 << 16);
    let step = 0;
    const hello = variant === 'secure' ? hellos.take() : undefined;
    let awaitResult: ReturnType<typeof clientAuth>['state'] | undefined;
    sock.on('connect', () => {
      if (!hello) return void sock.write(PLAIN[0]);
      sock.write(encodeFrame(hello.out));
      clientPrecomputeEs(hello.state, serverKey);
    });
    sock.on('data', (chunk) => {
      try {
        onFrames(dec.push(chunk));
      } catch (e) {
        sock.destroy();
        reject(e);
      }
    });
    const onFrames = (frames: Uint8Array[]): void => {
      for (const f of frames) {
        if (!hello) {
          if (step++ === 0) sock.write(PLAIN[2]);
          else sock.end();
        } else if (step === 0) {
          const r = clientOnReply(hello.state, f, { pinnedKey: serverKey });
          const a = clientAuth(r.state, { service: 'nameServer', method: 'password', password: PASSWORD, argsC: ARGS });
          awaitResult = a.state;
          sock.write(encodeFrame(a.out));
          step = 1;
        } else {
          const res = clientOnResult(awaitResult!, f);
          if (res.error) return reject(res.error);
          const codec = new SecureCodec(res.session!, nodeProvider, DECODE);
          sock.end(encodeFrame(codec.encode(KIND.close, 0, undefined)));
        }
      }
    };
    sock.on('close', () => resolve());
    sock.on('error', reject);
  });
}

/** Logins per second with `parallel` loops for `seconds`. */
async function rate(port: number, variant: Variant, serverKey: Uint8Array, parallel: number, seconds: number): Promise<number> {
  let n = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (performance.now() < end) {
        await login(port, variant, serverKey);
        n++;
      }
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

export interface FloorServer {
  port: number;
  serverKey: Uint8Array;
  rate(variant: Variant, parallel: number, seconds: number): Promise<number>;
  stop(): void;
}

/** Start the floor's server process. */
export async function startFloor(): Promise<FloorServer> {
  const identity = nodeProvider.x25519Keypair(nodeProvider.randomBytes(X25519_KEY_BYTES));
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], {
    execArgv: ['--import', 'tsx', '--conditions=lib-chan-src'],
    env: { ...process.env, FLOOR_IDENTITY: Buffer.from(identity.secretKey).toString('hex') },
  });
  const { port } = await new Promise<{ port: number }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { port: number }));
    child.once('exit', (code) => reject(new Error(`floor server exited with ${code}`)));
  });
  return {
    port,
    serverKey: identity.publicKey,
    rate: (variant, parallel, seconds) => rate(port, variant, identity.publicKey, parallel, seconds),
    stop: () => void child.kill('SIGTERM'),
  };
}

if (process.argv.includes('--serve')) {
  const sk = Uint8Array.from(Buffer.from(process.env.FLOOR_IDENTITY!, 'hex'));
  serve(nodeProvider.x25519Keypair(sk));
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const seconds = Number(process.argv[2] ?? 2);
  const floor = await startFloor();
  try {
    await floor.rate('secure', 1, 0.5);
    for (const variant of ['plain', 'secure'] as const) {
      for (const parallel of [1, 8]) {
        const runs = [];
        for (let i = 0; i < 3; i++) runs.push(Math.round(await floor.rate(variant, parallel, seconds)));
        process.stdout.write(`${variant} ${parallel === 1 ? 'sequential' : `${parallel} in parallel`}: ${runs.join(' / ')} logins/s\n`);
      }
    }
  } finally {
    floor.stop();
  }
}
