/**
 * The benchmark's server process: the name server from the examples, on an
 * ephemeral loopback port, logging only warnings. Prints one line
 * `READY <port> <server public key, hex> <WebSocket port>` when it listens.
 * With `--raw` it is instead the floor to compare against: bare framed TCP
 * in Node that answers every frame with a fixed frame.
 */
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { startServer } from '../../src/server/server.ts';
import { loadConfig } from '../../src/conf/load.ts';
import { FrameDecoder, encodeFrame } from '../../src/wire/frame.ts';
import { toHex } from '../../src/wire/bytes.ts';

if (process.argv.includes('--raw')) {
  const reply = encodeFrame(new Uint8Array([131, 104, 2, 100, 0, 2, 111, 107, 107, 0, 14, ...new TextEncoder().encode('writing a book')]));
  const srv = net.createServer({ noDelay: true }, (s) => {
    const d = new FrameDecoder(1 << 20);
    s.on('data', (b) => {
      const frames = d.push(b);
      for (let i = 0; i < frames.length; i++) s.write(reply);
    });
    s.on('error', () => {});
  });
  srv.listen(0, '127.0.0.1', () => {
    process.stdout.write(`READY ${(srv.address() as net.AddressInfo).port} -\n`);
  });
} else {
  const conf = fileURLToPath(new URL('./bench.conf', import.meta.url));
  // LIB_CHAN_BENCH_METRICS=1: the same server with the metrics endpoint on (to measure its cost).
  const config = await loadConfig(conf);
  if (process.env.LIB_CHAN_BENCH_METRICS === '1') config.metrics = { port: 0, bind: '127.0.0.1' };
  const server = await startServer({ config, port: 0, bind: '127.0.0.1', logger: pino({ level: 'warn' }) });
  process.stdout.write(`READY ${server.port} ${server.publicKey ? toHex(server.publicKey) : '-'} ${server.wsPort}\n`);
  process.on('SIGTERM', () => void server.close(100).then(() => process.exit(0)));
}
