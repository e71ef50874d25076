/**
 * Batch records (docs/protocol.md 4.6, kind 7): to a peer that reads them,
 * the records after the first of a tick go out gathered under one seal, and
 * come back out as the same messages in the same order; a hostile batch is a
 * protocolError, never a hang or a message taken from beyond its bounds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KIND, type FrameSink, type Inbound } from '../../src/chan/codec.ts';
import { BATCH_ITEM_MAX_BYTES, BATCH_RECORD_BYTES, SecureCodec } from '../../src/chan/secure-codec.ts';
import { FEATURE, type Session } from '../../src/auth/secure/handshake.ts';
import { RECORD_KIND, recordLayer } from '../../src/auth/secure/record.ts';
import { tweetnaclProvider } from '../../src/auth/crypto.ts';
import { isChanError } from '../../src/errors.ts';
import { FRAME_HEADER_BYTES } from '../../src/wire/frame.ts';
import { encodeTerm } from '../../src/wire/etf/encode.ts';
import { atom, tuple, termEqual, type Term } from '../../src/wire/etf/term.ts';

const DECODE = { maxDepth: 64, maxDecompressedBytes: 1 << 20, maxAtoms: 1 << 16 };
const K1 = new Uint8Array(32).fill(1);
const K2 = new Uint8Array(32).fill(2);

function sessions(clientReads: number, serverReads: number): { client: Session; server: Session } {
  const base = { version: 1, handshakeHash: new Uint8Array(64), serverKey: new Uint8Array(32) };
  return {
    client: { ...base, side: 'client', sendKey: K1.slice(), receiveKey: K2.slice(), peerFeatures: serverReads },
    server: { ...base, side: 'server', sendKey: K2.slice(), receiveKey: K1.slice(), peerFeatures: clientReads },
  };
}

/** The frames a codec hands out, in the order they would reach the socket: returned by encodeReserved or given to its sink. */
class Wire implements FrameSink {
  readonly frames: Uint8Array[] = [];
  sendFrame(frame: Uint8Array): void {
    this.frames.push(frame.slice(FRAME_HEADER_BYTES));
  }
  send(codec: SecureCodec, kind: (typeof KIND)[keyof typeof KIND], id: number, term: Term): void {
    const f = codec.encodeReserved(kind, id, term);
    if (f !== undefined) this.sendFrame(f);
  }
}

/** The two codecs of one session, each side reading batches when `reads` says so; each side's batches go to its own Wire. */
function link(reads: number = FEATURE.batch): { client: SecureCodec; server: SecureCodec; clientWire: Wire; serverWire: Wire } {
  const s = sessions(reads, reads);
  const client = new SecureCodec(s.client, tweetnaclProvider, DECODE);
  const server = new SecureCodec(s.server, tweetnaclProvider, DECODE);
  const clientWire = new Wire();
  const serverWire = new Wire();
  client.sendBatchesTo(clientWire);
  server.sendBatchesTo(serverWire);
  return { client, server, clientWire, serverWire };
}

/** Every message of `frames`, through decode() and next(). */
function receive(codec: SecureCodec, frames: Uint8Array[]): Inbound[] {
  const out: Inbound[] = [];
  for (const f of frames) {
    for (let m: Inbound | undefined = codec.decode(f.slice()); m !== undefined; m = codec.next()) out.push(m);
  }
  return out;
}

const endOfTick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('batch - the records after the first of a tick go out in batches, and come back as the same messages in order', async () => {
  const { client, server, clientWire: wire } = link();
  const sent: Array<[number, number, Term]> = [];
  const big = 'x'.repeat(BATCH_ITEM_MAX_BYTES);
  for (let i = 0; i < 600; i++) {
    const [kind, id, term]: [(typeof KIND)[keyof typeof KIND], number, Term] =
      i % 3 === 0
        ? [KIND.call, i, tuple(atom('lookup'), i)]
        : i === 301
          ? [KIND.cast, 0, tuple(atom('store'), big)]
          : [KIND.cast, 0, tuple(atom('store'), atom('joe'), i)];
    sent.push([kind, id, term]);
    wire.send(client, kind, id, term);
  }
  const before = wire.frames.length;
  await endOfTick();
  assert.ok(wire.frames.length > before, 'what waited at the end of the tick was sent then');
  // About 15 KiB of records: batches of BATCH_RECORD_BYTES or a little more, the first and the big one alone.
  assert.ok(wire.frames.length >= 5 && wire.frames.length <= 10, `${wire.frames.length} frames for 600 messages`);
  for (const f of wire.frames) assert.ok(f.length <= 16 + BATCH_RECORD_BYTES + BATCH_ITEM_MAX_BYTES + 4, `a frame of ${f.length} bytes`);
  const got = receive(server, wire.frames);
  assert.equal(got.length, sent.length);
  got.forEach((m, i) => {
    assert.equal(m.kind, sent[i][0], `message ${i}`);
    assert.equal(m.id, sent[i][1], `message ${i}`);
    assert.ok(termEqual(m.term, sent[i][2]), `message ${i}`);
  });
  // Each message counts its own share of the wire (what a mailbox holds), not the whole batch record's.
  got.forEach((m, i) => assert.ok(i === 301 ? m.bytes > BATCH_ITEM_MAX_BYTES : m.bytes < 64, `message ${i} counts ${m.bytes} bytes`));
});

test('batch - none to a peer that does not read them, and a lone message is never held', async () => {
  const { client, clientWire: wire } = link(0);
  for (let i = 0; i < 50; i++) assert.ok(client.encodeReserved(KIND.cast, 0, i) !== undefined, 'every record leaves at once');
  const { client: batching, clientWire: batchingWire } = link();
  for (let tick = 0; tick < 3; tick++) {
    assert.ok(batching.encodeReserved(KIND.call, tick, tick) !== undefined, 'the first record of a tick leaves at once');
    await endOfTick();
  }
  assert.equal(wire.frames.length + batchingWire.frames.length, 0, 'nothing waited');
});

test('batch - a close leaves after what waited, alone; a flush before the transport ends sends what waits', async () => {
  const { client, server, clientWire: wire } = link();
  for (let i = 0; i < 10; i++) wire.send(client, KIND.cast, 0, i);
  wire.send(client, KIND.close, 0, undefined);
  assert.deepEqual(
    receive(server, wire.frames).map((m) => m.kind),
    [...Array<number>(10).fill(KIND.cast), KIND.close],
  );
  const { server: c2, serverWire: w2 } = link();
  for (let i = 0; i < 5; i++) w2.send(c2, KIND.push, 0, i);
  assert.equal(w2.frames.length, 1);
  c2.flush();
  assert.equal(w2.frames.length, 2, 'flush() sent the four that waited, in one record');
  await endOfTick();
  assert.equal(w2.frames.length, 2, 'and nothing is sent twice');
  // A codec destroyed while records wait drops them at the end of the tick, without a throw.
  const { client: c3, clientWire: w3 } = link();
  w3.send(c3, KIND.cast, 0, 1);
  w3.send(c3, KIND.cast, 0, 2);
  c3.destroy();
  await endOfTick();
  assert.equal(w3.frames.length, 1);
});

test('batch - hostile batch records are protocolErrors; a valid one of many tiny records costs time linear in its size', () => {
  const seal = (plain: Uint8Array): Uint8Array => {
    const s = sessions(FEATURE.batch, FEATURE.batch);
    return recordLayer(s.client, tweetnaclProvider).sealer.seal(plain);
  };
  const open = (plain: Uint8Array): Inbound[] => {
    const s = sessions(FEATURE.batch, FEATURE.batch);
    return receive(new SecureCodec(s.server, tweetnaclProvider, DECODE), [seal(plain)]);
  };
  const u32 = (n: number): number[] => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  const cast = [RECORD_KIND.cast, ...encodeTerm(1)];
  const hostile: Array<[string, number[]]> = [
    ['an empty batch', [RECORD_KIND.batch]],
    ['a length cut short', [RECORD_KIND.batch, 0, 0, 3]],
    ['a length past the record', [RECORD_KIND.batch, ...u32(100), ...cast]],
    ['an empty inner record', [RECORD_KIND.batch, ...u32(0)]],
    ['a batch inside a batch', [RECORD_KIND.batch, ...u32(6), RECORD_KIND.batch, ...u32(1), RECORD_KIND.cast]],
    ['a kind the client may not send', [RECORD_KIND.batch, ...u32(cast.length), ...cast, ...u32(2), RECORD_KIND.push, 0]],
    ['an unknown inner kind', [RECORD_KIND.batch, ...u32(1), 99]],
    ['a huge length', [RECORD_KIND.batch, ...u32(0xffffffff), ...cast]],
  ];
  for (const [what, bytes] of hostile) {
    assert.throws(
      () => open(Uint8Array.from(bytes)),
      (e) => isChanError(e, 'protocolError') && e.details.phase === 'record',
      what,
    );
  }
  // The records before a bad one were whole and are delivered; nothing after it is.
  const s = sessions(FEATURE.batch, FEATURE.batch);
  const server = new SecureCodec(s.server, tweetnaclProvider, DECODE);
  const first = server.decode(seal(Uint8Array.from([RECORD_KIND.batch, ...u32(cast.length), ...cast, ...u32(50)])));
  assert.equal(first.term, 1);
  assert.throws(
    () => server.next(),
    (e) => isChanError(e, 'protocolError'),
  );
  // 64 KiB and 500 KiB of 5-byte casts with an empty term: the same CPU per record (within 4x; the runner measures, not the wall clock).
  const perRecord = (n: number): number => {
    const body = new Uint8Array(1 + n * 5);
    body[0] = RECORD_KIND.batch;
    for (let i = 0; i < n; i++) body.set([0, 0, 0, 1, RECORD_KIND.cast], 1 + i * 5);
    let best = Infinity;
    for (let run = 0; run < 3; run++) {
      const t0 = process.cpuUsage();
      assert.equal(open(body).length, n);
      const u = process.cpuUsage(t0);
      best = Math.min(best, (u.user + u.system) / n);
    }
    return best;
  };
  perRecord(1000);
  const small = perRecord(13_000);
  const large = perRecord(100_000);
  assert.ok(large < small * 4 + 2, `${large.toFixed(2)} µs per record at 500 KiB against ${small.toFixed(2)} at 64 KiB`);
});
