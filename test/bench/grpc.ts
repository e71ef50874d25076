/**
 * gRPC-js, what users would pick instead: a hand-written service definition
 * (no .proto, no codegen) whose serializers pass the name server's ETF bytes
 * through untouched, so gRPC moves the same payloads as every other row.
 *
 *   /bench.Names/Lookup  unary: answers {ok, "writing a book"}
 *   /bench.Names/Chat    bidi stream: answers each request (first byte 131)
 *                        and drops one-way payloads, as the raw servers do
 */
import grpc from '@grpc/grpc-js';
import { REPLY_PAYLOAD, REQUEST_PAYLOAD, ONE_WAY_PAYLOAD, BULK_PAYLOAD, isRequest, type Link } from './raw-client.ts';

const asBuffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const same = (b: Buffer): Buffer => b;
const method = (name: string, stream: boolean) => ({
  path: `/bench.Names/${name}`,
  requestStream: stream,
  responseStream: stream,
  requestSerialize: asBuffer,
  requestDeserialize: same,
  responseSerialize: asBuffer,
  responseDeserialize: same,
});
const SERVICE = { lookup: method('Lookup', false), chat: method('Chat', true) } satisfies grpc.ServiceDefinition;
const REPLY = asBuffer(REPLY_PAYLOAD);

/** Start the server on an ephemeral loopback port; resolves with the port. */
export function startGrpcServer(): Promise<number> {
  const server = new grpc.Server();
  server.addService(SERVICE, {
    lookup: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, REPLY),
    chat: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      call.on('data', (d: Buffer) => {
        if (isRequest(d)) call.write(REPLY);
      });
      call.on('end', () => call.end());
      call.on('error', () => {});
    },
  });
  return new Promise((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port)));
  });
}

type NamesClient = grpc.Client & {
  lookup(req: Uint8Array, cb: (err: grpc.ServiceError | null, res?: Buffer) => void): grpc.ClientUnaryCall;
  chat(): grpc.ClientDuplexStream<Uint8Array, Buffer>;
};
const Client = grpc.makeGenericClientConstructor(SERVICE, 'Names') as unknown as new (addr: string, creds: grpc.ChannelCredentials) => NamesClient;

async function client(port: number): Promise<NamesClient> {
  const c = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  await new Promise<void>((resolve, reject) => c.waitForReady(Date.now() + 10_000, (e) => (e ? reject(e) : resolve())));
  return c;
}

/** Unary calls (no one-way messages in a unary API). */
export async function grpcUnaryLink(port: number): Promise<Link> {
  const c = await client(port);
  const none = (): void => {
    throw new Error('gRPC unary has no one-way message');
  };
  return {
    request: () => new Promise((resolve, reject) => void c.lookup(REQUEST_PAYLOAD, (e, r) => (e ? reject(e) : resolve(r)))),
    oneWay: none,
    bulk: none,
    close: () => c.close(),
  };
}

/** One bidi stream: requests answered in order, one-way and bulk messages on the same stream. */
export async function grpcStreamLink(port: number): Promise<Link> {
  const c = await client(port);
  const stream = c.chat();
  const waiting: Array<(v: unknown) => void> = [];
  let head = 0;
  stream.on('data', () => {
    const r = waiting[head];
    waiting[head++] = undefined as never;
    if (head === waiting.length) {
      waiting.length = 0;
      head = 0;
    }
    r?.(undefined);
  });
  stream.on('error', () => {});
  return {
    request: () =>
      new Promise((r) => {
        waiting.push(r);
        stream.write(REQUEST_PAYLOAD);
      }),
    oneWay: () => void stream.write(ONE_WAY_PAYLOAD),
    bulk: () => void stream.write(BULK_PAYLOAD),
    close: () => {
      stream.end();
      c.close();
    },
  };
}
