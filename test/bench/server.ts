/**
 * The benchmark's server processes, one per mode, each on an ephemeral
 * loopback port. Each prints one line `READY <port> <key hex or -> <ws port>`
 * on stdout when it listens (logs go to stderr, so nothing else is ever
 * taken for that line), and exits when its stdin closes (the bench died).
 *
 *   (no flag)   the name server of the examples with bench.conf (our server)
 *   --raw       the floor: bare framed TCP on node:net that answers each frame
 *               whose payload starts with 131 (an ETF term) with a fixed reply
 *               frame, and swallows the others (one-way frames)
 *   --raw-ws    the same on a bare `ws` WebSocketServer, one binary message per frame
 *   --grpc      gRPC-js (test/bench/grpc.ts): a unary Lookup and a bidi Chat
 *   --conf F    our server with another conf (bench-worker.conf: the service in a worker thread)
 *   --busy-poll US our server with {busy_poll, US} (the loop kept awake that long after I/O)
 *   --processes N our server as N processes on one port ({processes, N}: the
 *               helpers run the logins, the name server's channels are handed
 *               to the primary); READY once all N accept
 */
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { WebSocketServer } from 'ws';
import { startServer } from '../../src/server/server.ts';
import { loadConfig } from '../../src/conf/load.ts';
import { FrameDecoder, encodeFrame } from '../../src/wire/frame.ts';
import { toHex } from '../../src/wire/bytes.ts';
import { REPLY_PAYLOAD, isRequest } from './raw-client.ts';
import { startGrpcServer } from './grpc.ts';

const processesAt = process.argv.indexOf('--processes');
const busyPollAt = process.argv.indexOf('--busy-poll');
const confAt = process.argv.indexOf('--conf');
process.stdin
  .on('end', () => process.exit(0))
  .on('error', () => process.exit(0))
  .resume();

const ready = (port: number, key = '-', wsPort = 0): void => void process.stdout.write(`READY ${port} ${key} ${wsPort}\n`);

if (process.argv.includes('--raw')) {
  const reply = encodeFrame(REPLY_PAYLOAD);
  const srv = net.createServer({ noDelay: true }, (s) => {
    const d = new FrameDecoder(1 << 20);
    // The replies to one read go out in one write, as our transport batches a tick's frames:
    // a write per reply would make this limit a count of system calls rather than of frames.
    s.on('data', (b) => {
      const frames = d.push(b);
      let n = 0;
      for (let i = 0; i < frames.length; i++) if (isRequest(frames[i])) n++;
      if (n === 1) s.write(reply);
      else if (n > 1) {
        const out = Buffer.allocUnsafe(n * reply.length);
        for (let i = 0; i < n; i++) out.set(reply, i * reply.length);
        s.write(out);
      }
    });
    s.on('error', () => {});
  });
  srv.listen(0, '127.0.0.1', () => ready((srv.address() as net.AddressInfo).port));
} else if (process.argv.includes('--raw-ws')) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 1 << 20, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    ws.on('message', (data: Buffer) => {
      if (isRequest(data)) ws.send(REPLY_PAYLOAD, { binary: true });
    });
    ws.on('error', () => {});
  });
  wss.on('listening', () => ready((wss.address() as net.AddressInfo).port));
} else if (process.argv.includes('--grpc')) {
  ready(await startGrpcServer());
} else {
  const conf = confAt > 0 ? path.resolve(process.argv[confAt + 1]) : fileURLToPath(new URL('./bench.conf', import.meta.url));
  // LIB_CHAN_BENCH_METRICS=1: the same server with the metrics endpoint on (to measure its cost).
  const config = await loadConfig(conf);
  if (process.env.LIB_CHAN_BENCH_METRICS === '1') config.metrics = { port: 0, bind: '127.0.0.1' };
  if (processesAt > 0) config.processes = Number(process.argv[processesAt + 1]);
  if (busyPollAt > 0) config.busyPollUs = Number(process.argv[busyPollAt + 1]);
  // Logs on stderr: the first start's identityCreated line must not be taken for READY.
  const server = await startServer({ config, port: 0, bind: '127.0.0.1', logger: pino({ level: 'warn' }, pino.destination(2)) });
  ready(server.port, server.publicKey ? toHex(server.publicKey) : '-', server.wsPort);
  process.on('SIGTERM', () => void server.close(100).then(() => process.exit(0)));
}
