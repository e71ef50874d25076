/**
 * Lifecycle, with the server run as the operator runs it (`lib_chan start`
 * in a child process, JSON log lines on stdout): SIGTERM/SIGINT stop
 * accepting, let handlers finish what they accepted within closeGraceMs,
 * flush, and exit 0; SIGHUP reloads the conf (a bad one is refused and the
 * old one stays). Then the same guarantees in-process, where the test can
 * see inside: messages still in a mailbox, callback-style answers in
 * progress, peers that never close.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChanError } from '../../src/errors.ts';
import { connect } from '../../src/client/node.ts';
import type { Channel } from '../../src/chan/channel.ts';
import { atom, isTuple, termEqual, tuple } from '../../src/wire/etf/term.ts';
import { startTestServer } from '../helpers/start-server.ts';
import { jsHandlers } from '../helpers/js-handlers.ts';
import { startCliServer, type CliProcess } from '../helpers/cli-process.ts';
import { deadline } from '../helpers/latch.ts';
import { rawLegacyLogin, until } from '../helpers/ops-client.ts';
import { gate, laterState, ledgerCount } from '../fixtures/handlers/ops.ts';

const isCode =
  (...codes: string[]) =>
  (e: unknown) =>
    e instanceof ChanError && codes.includes(e.code);

function writeConf(dir: string, extra = ''): string {
  const file = path.join(dir, 'lib_chan.conf');
  writeFileSync(
    file,
    [
      '{port, 0}.',
      '{bind, "127.0.0.1"}.',
      `{module_path, ["${jsHandlers()}"]}.`,
      '{identity, "server.key"}.',
      `{service, counter, password, none, mfa, ops, counter, "${path.join(dir, 'ledger.txt')}"}.`,
      '{service, slow, password, none, mfa, ops, slow, notUsed}.',
      '{service, sleeper, password, none, mfa, ops, sleeper, notUsed}.',
      extra,
    ].join('\n'),
  );
  return file;
}

describe('lib_chan start: signals', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'lib_chan-life-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function start(
    sub: string,
    extra = '',
  ): Promise<{ cli: CliProcess; port: number; key: string; dir: string; open: (service: string, protocol?: 'secure' | 'legacy') => Promise<Channel> }> {
    const d = path.join(dir, sub);
    mkdirSync(d, { recursive: true });
    const conf = writeConf(d, extra);
    const { cli, port } = await startCliServer(conf);
    const key = String(cli.json.find((l) => l.event === 'configLoaded')!.publicKey);
    const open = (service: string, protocol: 'secure' | 'legacy' = 'secure') => connect('127.0.0.1', port, service, null, [], { protocol, serverKey: key });
    return { cli, port, key, dir: d, open };
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal}: stop accepting, answer pending rpcs, handle every accepted cast, exit 0`, async () => {
      const s = await start(signal);
      try {
        // 200 casts, each 2 ms of work done after the handler took it; the handler confirms it took them all.
        const a = await s.open('counter');
        for (let i = 0; i < 200; i++) a.cast(tuple(atom('work'), 'a', 2));
        assert.equal(await a.rpc(tuple(atom('taken'), 'a')), 200);
        // Two rpcs being answered (one secure, one legacy) when the signal comes.
        const b = await s.open('slow');
        const l = await s.open('slow', 'legacy');
        const pb = b.rpc(tuple(atom('sleep'), 300, 'b'), { timeoutMs: 10_000 });
        const pl = l.rpc(tuple(atom('sleep'), 300, 'l'), { timeoutMs: 10_000 });
        const probe = await s.open('slow');
        for (const k of ['b', 'l']) {
          await deadline(
            (async () => {
              while ((await probe.rpc(tuple(atom('sleeping'), k))) !== true) await new Promise((r) => setTimeout(r, 5));
            })(),
            5000,
            `the handler to be working on ${k}`,
          );
        }
        probe.close();

        s.cli.kill(signal);
        const shut = await s.cli.waitForLog((x) => x.event === 'shutdown', 'the shutdown line');
        assert.ok((shut.connections as number) >= 3);
        // No new connections from now on.
        await assert.rejects(s.open('counter'), isCode('connectionRefused', 'connectionLost'));
        // The rpcs in progress are answered, then the channels close cleanly.
        assert.ok(termEqual(await pb, tuple(atom('slept'), 300)));
        assert.ok(termEqual(await pl, tuple(atom('slept'), 300)));
        await deadline(Promise.all([a.closed, b.closed, l.closed]), 10_000, 'the server to close every channel');
        const exit = await s.cli.waitExit();
        assert.equal(exit.code, 0, s.cli.describe());
        // Every accepted cast was handled: the handler wrote its final count on its way out.
        assert.equal(readFileSync(path.join(s.dir, 'ledger.txt'), 'utf8'), 'a 200\n');
        assert.ok(s.cli.json.some((x) => x.event === 'signal' && x.signal === signal));
        assert.ok(s.cli.json.some((x) => x.event === 'stopped'));
        const closed = s.cli.json.filter((x) => x.event === 'channelClosed');
        assert.ok(closed.length >= 3);
        assert.ok(
          closed.every((x) => x.reason === 'handlerReturned' || x.reason === 'peerClosed'),
          JSON.stringify(closed.map((x) => x.reason)),
        );
      } finally {
        await s.cli.stop();
      }
    });
  }

  test('a handler that ignores the shutdown is cut after closeGraceMs; the exit is still 0', async () => {
    const s = await start('grace', '{limits, [{closeGraceMs, 300}]}.');
    try {
      const stuck = await s.open('sleeper');
      const fine = await s.open('counter');
      fine.cast(tuple(atom('inc'), 'g'));
      assert.equal(await fine.rpc(tuple(atom('taken'), 'g')), 1);
      s.cli.kill('SIGTERM');
      const shut = await s.cli.waitForLog((x) => x.event === 'shutdown', 'shutdown');
      assert.equal(shut.graceMs, 300);
      await deadline(Promise.all([stuck.closed, fine.closed]), 10_000, 'both channels to close');
      const exit = await s.cli.waitExit();
      assert.equal(exit.code, 0, s.cli.describe());
      assert.equal(readFileSync(path.join(s.dir, 'ledger.txt'), 'utf8'), 'g 1\n');
      const stopped = s.cli.json.find((x) => x.event === 'stopped')!;
      assert.ok((stopped.time as number) - (shut.time as number) >= 300, 'the stuck handler got its grace period');
    } finally {
      await s.cli.stop();
    }
  });

  test('SIGHUP: a new service serves new connections, open channels stay, a bad conf is refused', async () => {
    const s = await start('hup');
    try {
      const conf = path.join(s.dir, 'lib_chan.conf');
      const kept = await s.open('counter');
      kept.cast(tuple(atom('inc'), 'h'));
      assert.equal(await kept.rpc(tuple(atom('count'), 'h')), 1);
      await assert.rejects(s.open('added'), isCode('badService'));

      appendFileSync(conf, `\n{service, added, password, none, mfa, echo, start, notUsed}.\n`);
      s.cli.kill('SIGHUP');
      await s.cli.waitForLog((x) => x.event === 'configReloaded', 'configReloaded');
      const added = await s.open('added');
      assert.ok(termEqual(await added.rpc(1), tuple(atom('echo'), 1)));
      added.close();
      // The channel opened before the reload still works (same handler, same ledger).
      kept.cast(tuple(atom('inc'), 'h'));
      assert.equal(await kept.rpc(tuple(atom('count'), 'h')), 2);

      // A broken conf: refused with a logged error that points at the line; the old conf stays.
      const good = readFileSync(conf, 'utf8');
      writeFileSync(conf, `${good}{service, broken, password, none mfa, echo, start, notUsed}.\n`);
      s.cli.kill('SIGHUP');
      const failed = await s.cli.waitForLog((x) => x.event === 'configReloadFailed', 'configReloadFailed');
      assert.equal(failed.level, 50);
      assert.match(String(failed.error), /lib_chan\.conf:\d+:\d+/);
      const again = await s.open('added');
      assert.ok(termEqual(await again.rpc(2), tuple(atom('echo'), 2)), 'the old conf is still in force');
      again.close();
      await assert.rejects(s.open('broken'), isCode('badService'));
      kept.cast(tuple(atom('inc'), 'h'));
      assert.equal(await kept.rpc(tuple(atom('count'), 'h')), 3);
      assert.equal(s.cli.exit, undefined, 'still running');

      // Fixed: the next SIGHUP takes it.
      writeFileSync(conf, `${good}{service, broken, password, none, mfa, echo, start, notUsed}.\n`);
      s.cli.kill('SIGHUP');
      await s.cli.waitFor(() => (s.cli.json.filter((x) => x.event === 'configReloaded').length === 2 ? true : undefined), 'the second configReloaded');
      (await s.open('broken')).close();
      kept.close();
      s.cli.kill('SIGTERM');
      assert.equal((await s.cli.waitExit()).code, 0);
    } finally {
      await s.cli.stop();
    }
  });

  test('a second signal during the grace period kills at once', async () => {
    const s = await start('twice', '{limits, [{closeGraceMs, 60000}]}.');
    try {
      await s.open('sleeper');
      s.cli.kill('SIGTERM');
      await s.cli.waitForLog((x) => x.event === 'shutdown', 'shutdown');
      s.cli.kill('SIGTERM');
      const exit = await s.cli.waitExit(10_000);
      assert.notEqual(exit.code, 0, 'not a clean exit: the operator insisted');
    } finally {
      await s.cli.stop();
    }
  });
});

describe('graceful close, in-process', () => {
  test('messages still waiting in a mailbox are handled before the channel closes', async () => {
    gate.reset();
    const ts = await startTestServer(`{service, gated, password, none, mfa, ops, gated, notUsed}.`, { websocket: false });
    try {
      const ch = await connect('127.0.0.1', ts.port, 'gated', null, [], { serverKey: ts.server.publicKey });
      for (let i = 0; i < 50; i++) ch.cast(tuple(atom('inc'), 'mailbox'));
      await until(
        () => gate.channels.size === 1 && [...ts.server.openChannels()].some((c) => c.service === 'gated' && c.counters.messagesIn === 50),
        'the server to have read the 50 casts',
      );
      const closing = ts.server.close(5000);
      // Shutting down: a message that arrives now is refused, not queued.
      ch.cast(tuple(atom('inc'), 'mailbox'));
      gate.open();
      await deadline(closing, 10_000, 'close()');
      const info = await ch.closed;
      assert.notEqual(info.reason, 'closed');
      const line = await ts.waitForLog((l) => l.event === 'channelClosed' && l.service === 'gated', 'channelClosed');
      assert.equal(line.reason, 'handlerReturned');
      assert.equal(line.messagesIn, 50, 'the late cast was not taken in');
      assert.equal(ledgerCount('mailbox'), 50);
    } finally {
      await ts.close();
    }
  });

  test('callback-style answers in progress are sent before the channel closes', async () => {
    const ts = await startTestServer(`{service, later, password, none, mfa, ops, later, notUsed}.`, { websocket: false });
    try {
      const ch = await connect('127.0.0.1', ts.port, 'later', null, [], { serverKey: ts.server.publicKey });
      assert.ok(termEqual(await ch.rpc(1), 1));
      const p = ch.rpc(tuple(atom('later'), 200), { timeoutMs: 5000 });
      // Wait until the server has the call (its answer is being computed).
      await until(() => laterState.inProgress === 1, 'the server to be computing the answer');
      const closing = ts.server.close(5000);
      assert.ok(termEqual(await p, tuple(atom('done'), 200)));
      await closing;
      const line = await ts.waitForLog((l) => l.event === 'channelClosed' && l.service === 'later', 'channelClosed');
      assert.equal(line.reason, 'shutdown');
    } finally {
      await ts.close();
    }
  });

  test('a peer that never closes its side does not hold up close()', async () => {
    const ts = await startTestServer(`{service, echo, password, none, mfa, echo, start, notUsed}.`, { websocket: false });
    try {
      const raw = await rawLegacyLogin(ts.port, 'echo');
      raw.pause(); // never reads, never closes
      await deadline(ts.server.close(300), 5000, 'close() with a silent peer');
      raw.destroy();
    } finally {
      await ts.close();
    }
  });

  test('a callback reply that cannot be encoded closes only that channel', async () => {
    const ts = await startTestServer(
      `{service, bad, password, none, mfa, ops, unencodable, notUsed}.\n{service, echo, password, none, mfa, echo, start, notUsed}.`,
      { websocket: false },
    );
    try {
      const bad = await connect('127.0.0.1', ts.port, 'bad', null, [], { serverKey: ts.server.publicKey });
      await assert.rejects(bad.rpc(1), isCode('connectionLost', 'remoteError'));
      await ts.waitForLog((l) => l.event === 'handlerCrashed' && l.service === 'bad', 'handlerCrashed');
      const ok = await connect('127.0.0.1', ts.port, 'echo', null, [], { serverKey: ts.server.publicKey });
      assert.ok(isTuple(await ok.rpc(2), 2, 'echo'));
      ok.close();
    } finally {
      await ts.close();
    }
  });
});
