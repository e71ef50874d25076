/**
 * Every limit the server enforces, crossed on purpose: only the offending
 * connection is closed, the log says why (the limit's key in `details.key`
 * or `key`), and another client keeps working.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { deflateSync } from 'node:zlib';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../src/conf/load.ts';
import { LIMITS, SERVICE_LIMITS } from '../../src/limits.ts';
import { ChanError } from '../../src/errors.ts';
import { connect } from '../../src/client/node.ts';
import { atom, isTuple, termEqual, tuple, type Term } from '../../src/wire/etf/term.ts';
import { encodeTerm } from '../../src/wire/etf/encode.ts';
import { HANDLERS, startTestServer, type LogLine, type TestServer } from '../helpers/start-server.ts';
import { Raw, connectFrom, nested, rawLegacyLogin, until } from '../helpers/ops-client.ts';
import { deadline } from '../helpers/latch.ts';

const SERVICES = `
{service, echo, password, "pw", mfa, echo, start, notUsed}.
{service, open, password, none, mfa, echo, start, notUsed}.
{service, sleeper, password, none, mfa, ops, sleeper, notUsed, [{limits, [{maxMailboxMessages, 5}]}]}.
{service, ignore, password, none, mfa, echo, ignore, notUsed, [{limits, [{maxInflightRpcs, 4}]}]}.
{service, flood, password, none, mfa, ops, flood, notUsed, [{limits, [{maxQueuedBytes, 65536}]}]}.
{service, idle, password, none, mfa, echo, start, notUsed, [{limits, [{idleTimeoutMs, 100}]}]}.
{service, strict, password, none, mfa, echo, start, notUsed, [{limits, [{maxTermDepth, 4}, {maxAtomsPerTerm, 10}, {maxDecompressedBytes, 1024}]}]}.
`;

const SERVER_LIMITS = '{limits, [{maxFrameBytes, 65536}, {handshakeTimeoutMs, 300}]}.';

/** ETF of `term`, compressed (tag 80) with a declared uncompressed size. */
function compressed(term: Term, declared?: number): Uint8Array {
  const inner = encodeTerm(term).subarray(1);
  const z = deflateSync(inner);
  const out = new Uint8Array(6 + z.length);
  out[0] = 131;
  out[1] = 80;
  new DataView(out.buffer).setUint32(2, declared ?? inner.length);
  out.set(z, 6);
  return out;
}

const closedBy = (key: string, reason: string) => (l: LogLine) =>
  l.event === 'channelClosed' && l.reason === reason && (l.details as { key?: string } | undefined)?.key === key;

const refusedBy = (key: string, result: string) => (l: LogLine) =>
  l.event === 'handshake' && l.result === result && (l.details as { key?: string } | undefined)?.key === key;

describe('limits: each closes only the offending connection, with a logged reason', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer(SERVICES, { extra: SERVER_LIMITS, websocket: false });
  });
  after(async () => {
    await ts.close();
  });

  const open = (service: string, password: string | null, protocol: 'secure' | 'legacy' = 'secure', limits = {}) =>
    connect('127.0.0.1', ts.port, service, password, [], { protocol, serverKey: ts.server.publicKey, limits });

  /** A channel opened before the offence, and a new one after it, both answer. */
  async function bystander(): Promise<{ check(): Promise<void> }> {
    const before = await open('echo', 'pw');
    return {
      async check() {
        try {
          assert.ok(termEqual(await before.rpc(1), tuple(atom('echo'), 1)), 'the channel opened before still answers');
          const after = await open('echo', 'pw', 'legacy');
          assert.ok(termEqual(await after.rpc(2), tuple(atom('echo'), 2)), 'a new client is served');
          after.close();
        } finally {
          before.close();
        }
      },
    };
  }

  test('maxFrameBytes: an oversized length prefix before the login', async () => {
    const other = await bystander();
    const raw = await Raw.connect(ts.port);
    raw.write(new Uint8Array([0, 1, 0, 1])); // 65537 bytes announced, limit 65536
    await raw.waitClosed();
    const l = await ts.waitForLog(refusedBy('maxFrameBytes', 'frameTooLarge'), 'frameTooLarge log');
    assert.equal((l.details as { limit: number }).limit, 65536);
    assert.equal((l.details as { actual: number }).actual, 65537);
    await other.check();
  });

  test('maxFrameBytes: an oversized length prefix on an open channel', async () => {
    const other = await bystander();
    const raw = await rawLegacyLogin(ts.port, 'open', 'big-frame');
    raw.write(new Uint8Array([0, 1, 0, 1]));
    await raw.waitClosed();
    await ts.waitForLog(closedBy('maxFrameBytes', 'frameTooLarge'), 'channelClosed frameTooLarge');
    await other.check();
  });

  test('a frame of exactly maxFrameBytes is accepted', async () => {
    const ch = await open('open', null, 'legacy');
    try {
      // {echo, Bin}: 65536 bytes of frame = ETF header 1 + binary header 5 + 65530 bytes
      const bin = new Uint8Array(65530);
      assert.equal(encodeTerm(bin).length, 65536);
      const r = await ch.rpc(bin);
      assert.ok(isTuple(r, 2, 'echo'));
    } finally {
      ch.close();
    }
  });

  test('handshakeTimeoutMs: a peer that says nothing', async () => {
    const other = await bystander();
    const raw = await Raw.connect(ts.port);
    await raw.waitClosed();
    const l = await ts.waitForLog(refusedBy('handshakeTimeoutMs', 'handshakeTimeout'), 'handshakeTimeout log');
    assert.equal((l.details as { limit: number }).limit, 300);
    await other.check();
  });

  test('handshakeTimeoutMs: a secure hello and then silence', async () => {
    const other = await bystander();
    // The hello is made before connecting, so the timeout's clock starts with the bytes ready to send.
    const { clientStart } = await import('../../src/auth/secure/handshake.ts');
    const hello = clientStart().out;
    const raw = await Raw.connect(ts.port);
    raw.sendFrame(hello);
    await raw.frame(0); // the server's reply
    await raw.waitClosed();
    await ts.waitForLog(
      (l) => refusedBy('handshakeTimeoutMs', 'handshakeTimeout')(l) && (l.details as { phase: string }).phase === 'secure',
      'secure handshakeTimeout log',
    );
    await other.check();
  });

  test('idleTimeoutMs (per service): a silent channel is closed', async () => {
    const other = await bystander();
    const quiet = await open('idle', null);
    const info = await deadline(quiet.closed, 5000, 'the idle channel to close');
    assert.notEqual(info.reason, 'closed');
    await ts.waitForLog(closedBy('idleTimeoutMs', 'timeout'), 'channelClosed timeout');
    await other.check();
  });

  test('maxInflightRpcs (per service): one call too many closes the channel', async () => {
    const other = await bystander();
    const ch = await open('ignore', null, 'secure', { maxInflightRpcs: 100 });
    const calls = Array.from({ length: 5 }, (_, i) => ch.rpc(i, { timeoutMs: 10_000 }));
    for (const c of calls) await assert.rejects(c, (e: unknown) => e instanceof ChanError && e.code === 'connectionLost');
    const l = await ts.waitForLog(closedBy('maxInflightRpcs', 'limitExceeded'), 'channelClosed maxInflightRpcs');
    assert.equal((l.details as { limit: number }).limit, 4);
    await other.check();
  });

  test('maxInflightRpcs: exactly the limit in flight is fine', async () => {
    const ch = await open('ignore', null, 'secure', { maxInflightRpcs: 100 });
    try {
      const calls = Array.from({ length: 4 }, (_, i) => ch.rpc(i, { timeoutMs: 10_000 }).catch((e: unknown) => e));
      ch.cast(atom('casts do not count'));
      const echo = await open('echo', 'pw');
      assert.ok(termEqual(await echo.rpc(0), tuple(atom('echo'), 0)));
      echo.close();
      assert.equal(ch.isOpen, true);
      ch.close();
      for (const c of await Promise.all(calls)) assert.ok(c instanceof ChanError && c.code === 'closed');
    } finally {
      ch.close();
    }
  });

  test('maxQueuedBytes (per service): a peer that stops reading is closed, memory does not grow', async () => {
    const other = await bystander();
    const raw = await rawLegacyLogin(ts.port, 'flood', 'slow-reader');
    raw.pause();
    raw.sendTerm(tuple(atom('flood'), 1000, 65536)); // 64 MiB if nothing stopped it
    const l = await ts.waitForLog(closedBy('maxQueuedBytes', 'limitExceeded'), 'channelClosed maxQueuedBytes', 10_000);
    assert.equal((l.details as { limit: number }).limit, 65536);
    raw.read(); // drain what the kernel holds, then see the close
    await raw.waitClosed(10_000);
    assert.ok(raw.bytesRead < 32 * 1024 * 1024, `read ${raw.bytesRead} bytes: the server stopped writing`);
    await other.check();
  });

  test('maxMailboxMessages (per service): a handler that does not read', async () => {
    const other = await bystander();
    const ch = await open('sleeper', null);
    for (let i = 0; i < 6; i++) ch.cast(i);
    const info = await deadline(ch.closed, 5000, 'the channel to close');
    assert.notEqual(info.reason, 'closed');
    const l = await ts.waitForLog(closedBy('maxMailboxMessages', 'limitExceeded'), 'channelClosed maxMailboxMessages');
    assert.equal((l.details as { limit: number }).limit, 5);
    await other.check();
  });

  test('maxMailboxMessages: up to the limit is fine', async () => {
    const ch = await open('sleeper', null);
    for (let i = 0; i < 5; i++) ch.cast(i);
    const probe = await open('echo', 'pw');
    assert.ok(termEqual(await probe.rpc(1), tuple(atom('echo'), 1)));
    probe.close();
    assert.equal(ch.isOpen, true);
    ch.close();
  });

  for (const protocol of ['secure', 'legacy'] as const) {
    test(`maxTermDepth (per service, ${protocol}): a term nested too deep`, async () => {
      const other = await bystander();
      const ch = await open('strict', null, protocol);
      assert.ok(termEqual(await ch.rpc(nested(2)), tuple(atom('echo'), nested(2))), 'shallow terms pass');
      ch.cast(nested(10));
      await deadline(ch.closed, 5000, 'the channel to close');
      const l = await ts.waitForLog((x) => closedBy('maxTermDepth', 'badTerm')(x) && String(x.peer).length > 0, 'channelClosed maxTermDepth');
      assert.equal((l.details as { limit: number }).limit, 4);
      // The same term is fine on a service with the server's limits (64).
      const echo = await open('echo', 'pw', protocol);
      assert.ok(termEqual(await echo.rpc(nested(10)), tuple(atom('echo'), nested(10))));
      echo.close();
      await other.check();
    });

    test(`maxAtomsPerTerm (per service, ${protocol}): a term with too many atoms`, async () => {
      const other = await bystander();
      const ch = await open('strict', null, protocol);
      ch.cast(Array.from({ length: 11 }, (_, i) => atom(`a${i}`)));
      await deadline(ch.closed, 5000, 'the channel to close');
      const l = await ts.waitForLog(closedBy('maxAtomsPerTerm', 'badTerm'), 'channelClosed maxAtomsPerTerm');
      assert.equal((l.details as { limit: number }).limit, 10);
      await other.check();
    });
  }

  test('maxTermDepth (server): a deep ArgsC in startService is refused before any service runs', async () => {
    const other = await bystander();
    const raw = await Raw.connect(ts.port);
    raw.sendTerm(tuple(atom('startService'), atom('open'), nested(100)));
    await raw.waitClosed();
    await ts.waitForLog(refusedBy('maxTermDepth', 'badTerm'), 'handshake badTerm maxTermDepth');
    await other.check();
  });

  test('maxDecompressedBytes (per service): a compressed term whose declared size is over the limit', async () => {
    const other = await bystander();
    const ok = await rawLegacyLogin(ts.port, 'strict', 'zip-ok');
    ok.sendFrame(compressed(new Uint8Array(500)));
    assert.ok(isTuple(await ok.term(1), 2, 'echo'), 'a small compressed term passes');
    ok.destroy();
    const raw = await rawLegacyLogin(ts.port, 'strict', 'zip-bomb');
    raw.sendFrame(compressed(new Uint8Array(100_000)));
    await raw.waitClosed();
    const l = await ts.waitForLog(closedBy('maxDecompressedBytes', 'badTerm'), 'channelClosed maxDecompressedBytes');
    assert.equal((l.details as { limit: number }).limit, 1024);
    await other.check();
  });

  test('maxDecompressedBytes: a lying declared size is caught while inflating', async () => {
    const other = await bystander();
    const raw = await rawLegacyLogin(ts.port, 'strict', 'liar');
    raw.sendFrame(compressed(new Uint8Array(100_000), 1000));
    await raw.waitClosed();
    await ts.waitForLog(
      (l) => l.event === 'channelClosed' && l.reason === 'badTerm' && (l.details as { actual?: number }).actual !== undefined,
      'channelClosed badTerm (inflated size)',
    );
    await other.check();
  });
});

describe('limits: connections', () => {
  test('maxConnections: the next connection is refused at once; the others keep working', async () => {
    const ts = await startTestServer(SERVICES, { extra: '{limits, [{maxConnections, 3}]}.', websocket: false });
    const held: Raw[] = [];
    try {
      const keeper = await connect('127.0.0.1', ts.port, 'echo', 'pw', [], { protocol: 'legacy' });
      held.push(await Raw.connect(ts.port), await Raw.connect(ts.port));
      await until(() => ts.server.connectionCount === 3, 'three connections');
      const t0 = Date.now();
      const fourth = await Raw.connect(ts.port);
      await fourth.waitClosed(2000);
      const l = await ts.waitForLog((x) => x.event === 'limitHit' && x.key === 'maxConnections', 'limitHit maxConnections');
      assert.equal(l.limit, 'maxConnections=3');
      assert.ok(Date.now() - t0 < 2000, 'refused at once, not left hanging');
      assert.equal(fourth.frames.length, 0);
      // The three admitted ones are untouched.
      assert.ok(termEqual(await keeper.rpc(1), tuple(atom('echo'), 1)));
      assert.ok(held.every((r) => !r.isClosed));
      // One leaves: there is room again.
      held.pop()!.destroy();
      await ts.waitForLog((x) => x.event === 'handshake' && x.result === 'connectionLost', 'the server to see the close');
      await until(() => ts.server.connectionCount === 2, 'the count to drop');
      const late = await connect('127.0.0.1', ts.port, 'echo', 'pw', [], { protocol: 'legacy' });
      assert.ok(termEqual(await late.rpc(2), tuple(atom('echo'), 2)));
      late.close();
      keeper.close();
    } finally {
      for (const r of held) r.destroy();
      await ts.close();
    }
  });

  test('maxConnectionsPerAddress: one address is capped, another address is not', async () => {
    const ts = await startTestServer(SERVICES, { extra: '{limits, [{maxConnectionsPerAddress, 2}]}.', websocket: false });
    const held: Raw[] = [];
    try {
      held.push(await Raw.connect(ts.port, '127.0.0.1'), await Raw.connect(ts.port, '127.0.0.1'));
      const third = await Raw.connect(ts.port, '127.0.0.1');
      await third.waitClosed(2000);
      const l = await ts.waitForLog((x) => x.event === 'limitHit' && x.key === 'maxConnectionsPerAddress', 'limitHit maxConnectionsPerAddress');
      assert.equal(l.limit, 'maxConnectionsPerAddress=2');
      assert.match(String(l.peer), /^127\.0\.0\.1:/);
      // 127.0.0.2 is another address: two channels from it work.
      const a = await connectFrom('127.0.0.2', ts.port, 'echo', 'pw', [], { serverKey: ts.server.publicKey });
      const b = await connectFrom('127.0.0.2', ts.port, 'echo', 'pw', [], { protocol: 'legacy' });
      assert.ok(termEqual(await a.rpc(1), tuple(atom('echo'), 1)));
      assert.ok(termEqual(await b.rpc(2), tuple(atom('echo'), 2)));
      // ... and a third from it is refused too.
      const c = await Raw.connect(ts.port, '127.0.0.2');
      await c.waitClosed(2000);
      a.close();
      b.close();
      assert.ok(
        held.every((r) => !r.isClosed),
        'the two admitted from 127.0.0.1 stay',
      );
    } finally {
      for (const r of held) r.destroy();
      await ts.close();
    }
  });
});

describe('limits: where they may be set', () => {
  test("a per-service limit overrides the server's for that service only; a server-wide one is refused in service options", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lib_chan-svc-limits-'));
    try {
      const head = `{port, 0}.\n{module_path, ["${HANDLERS}"]}.\n{limits, [{maxInflightRpcs, 50}]}.\n`;
      const ok = await parseConfig(
        `${head}{service, a, password, none, mfa, echo, start, notUsed, [{limits, [{maxInflightRpcs, 3}]}]}.\n{service, b, password, none, mfa, echo, start, notUsed}.\n`,
        path.join(dir, 'ok.conf'),
      );
      assert.equal(ok.services.get('a')!.limits.maxInflightRpcs, 3);
      assert.equal(ok.services.get('b')!.limits.maxInflightRpcs, 50);
      for (const key of Object.keys(LIMITS).filter((k) => !(SERVICE_LIMITS as readonly string[]).includes(k))) {
        await assert.rejects(
          parseConfig(
            `${head}{service, a, password, none, mfa, echo, start, notUsed,\n  [{limits, [{${key}, ${LIMITS[key as keyof typeof LIMITS].max}}]}]}.\n`,
            path.join(dir, 'bad.conf'),
          ),
          (e: unknown) => e instanceof ChanError && e.code === 'badConf' && e.details.line === 5 && e.message.includes(key),
          key,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('limits: client side', () => {
  test('connectTimeoutMs: a server that accepts but never answers', async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      await assert.rejects(
        connect('127.0.0.1', port, 'x', null, [], { knownHosts: false, limits: { connectTimeoutMs: 100 } }),
        (e: unknown) => e instanceof ChanError && e.code === 'timeout',
      );
    } finally {
      silent.close();
    }
  });

  test('rpcTimeoutMs: the default rpc timeout comes from the limits', async () => {
    const ts = await startTestServer(SERVICES, { websocket: false });
    try {
      const ch = await connect('127.0.0.1', ts.port, 'ignore', null, [], { serverKey: ts.server.publicKey, limits: { rpcTimeoutMs: 50 } });
      await assert.rejects(ch.rpc(1), (e: unknown) => e instanceof ChanError && e.code === 'timeout' && e.details.limit === 50);
      ch.close();
    } finally {
      await ts.close();
    }
  });

  test('maxInflightRpcs (client): one call too many fails alone, the channel stays', async () => {
    const ts = await startTestServer(SERVICES, { websocket: false });
    try {
      const ch = await connect('127.0.0.1', ts.port, 'echo', 'pw', [], { serverKey: ts.server.publicKey, limits: { maxInflightRpcs: 2 } });
      const a = ch.rpc(1);
      const b = ch.rpc(2);
      await assert.rejects(ch.rpc(3), (e: unknown) => e instanceof ChanError && e.code === 'limitExceeded' && e.details.key === 'maxInflightRpcs');
      assert.ok(termEqual(await a, tuple(atom('echo'), 1)));
      assert.ok(termEqual(await b, tuple(atom('echo'), 2)));
      ch.close();
    } finally {
      await ts.close();
    }
  });
});
