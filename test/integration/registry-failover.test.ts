/**
 * Failover with one real etcd member and gateways as real processes:
 * a gateway killed -9 -> every connect still succeeds (failing over), and
 * once its lease expires no client is sent to it; a reconnecting client
 * reports disconnected/reconnecting/reconnected and its next rpc succeeds,
 * while the rpc in flight rejected (at most once); a gateway sent SIGTERM
 * publishes draining first, answers the rpc it had accepted, and no client
 * chooses it after that.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { connect, type StatusEvent } from '../../src/client/node.ts';
import { resetFailoverMemory } from '../../src/client/by-name.ts';
import type { GatewayRecord } from '../../src/registry/registry.ts';
import { openRegistry } from '../../src/registry/open.ts';
import { isChanError } from '../../src/errors.ts';
import { atom, tuple } from '../../src/wire/etf/term.ts';
import { deadline } from '../helpers/latch.ts';
import { EtcdCluster, binary, binarySkip } from '../helpers/engines.ts';
import { startGateway, type GatewayProcess } from '../helpers/gateways.ts';

const skip = binarySkip('etcd', 'etcd-server etcd-client', 'the etcd failover tests');
const whoami = tuple(atom('whoami'));

describe('failover on one etcd member', { skip }, () => {
  let etcd: EtcdCluster;
  let gws: GatewayProcess[] = [];
  let watcher: Etcd3;
  let stopWatch: () => Promise<void> = async () => {};
  const reg = (): string => etcd.url('failover');
  /** Every gateway record event seen by a watch, in order: "put ID health" or "delete ID". */
  const events: string[] = [];
  const waiters = new Set<() => void>();
  const until = (pred: () => boolean, what: string, ms = 15_000): Promise<void> =>
    deadline(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (pred()) {
            waiters.delete(check);
            resolve();
          }
        };
        waiters.add(check);
        check();
      }),
      ms,
      what,
    );

  before(async () => {
    etcd = await EtcdCluster.start(binary('etcd'), 1);
    watcher = new Etcd3({ hosts: `http://${etcd.hosts}` });
    const w = await watcher.watch().prefix('/failover/gateways/').create();
    stopWatch = () => w.cancel();
    const name = (key: Buffer): string => key.toString().slice('/failover/gateways/'.length);
    w.on('put', (kv) => {
      const r = JSON.parse(kv.value.toString()) as GatewayRecord;
      events.push(`put ${name(kv.key)} ${r.services[0].health}`);
      for (const f of [...waiters]) f();
    });
    w.on('delete', (kv) => {
      events.push(`delete ${name(kv.key)}`);
      for (const f of [...waiters]) f();
    });
    gws = await Promise.all(['gw1', 'gw2', 'gw3'].map((n) => startGateway(n, reg())));
  });
  after(async () => {
    await Promise.all(gws.map((g) => g.stop()));
    await stopWatch();
    watcher?.close();
    await etcd?.stop();
  });

  const idOf = async (g: GatewayProcess): Promise<string> => String((await g.registryEvent('registered')).gateway);

  test('kill -9, reconnect, then SIGTERM draining', async () => {
    const keys = gws.map((g) => g.publicKey);
    const registry = await openRegistry(reg(), { watch: true });
    const byName = () => connect({ service: 'nameServer', registry }, 'pw', [], { serverKeys: keys });
    // Closed in `finally` whatever fails, so a failed assertion cannot leave a reconnecting channel keeping the file alive.
    let held: { close(): void } | undefined;
    try {
      // A long-lived channel with reconnect, and where it landed.
      const rc = await connect({ service: 'nameServer', registry: reg(), reconnect: true }, 'pw', [], { serverKeys: keys });
      held = rc;
      const statuses: StatusEvent['type'][] = [];
      const iterated: StatusEvent['type'][] = [];
      rc.onStatus((s) => statuses.push(s.type));
      void (async () => {
        for await (const s of rc.status()) iterated.push(s.type);
      })();
      const first = String(await rc.rpc(whoami));
      const victim = gws.find((g) => g.name === first)!;
      const victimId = await idOf(victim);

      // An rpc in flight when the gateway dies rejects: nothing is retried behind the caller's back.
      const inflight = rc.rpc(tuple(atom('slow'), 10_000, atom('never')));
      const reconnected = new Promise<void>((r) => rc.onStatus((s) => s.type === 'reconnected' && r()));
      victim.cli.kill('SIGKILL');
      await assert.rejects(inflight, (e: unknown) => isChanError(e, 'connectionLost'));

      // Before its lease expires the dead gateway is still listed: connects fail over and all succeed.
      resetFailoverMemory();
      for (let i = 0; i < 6; i++) {
        const ch = await byName();
        assert.notEqual(String(await ch.rpc(whoami)), first);
        ch.close();
      }
      await deadline(reconnected, 15_000, 'the reconnecting channel reconnected');
      const second = String(await rc.rpc(whoami));
      assert.notEqual(second, first);
      assert.deepEqual(statuses.slice(0, 3), ['disconnected', 'reconnecting', 'reconnected']);

      // The lease expires (TTL 2 s): the record goes, and new connects never try it again.
      await until(() => events.includes(`delete ${victimId}`), "the killed gateway's record expired");
      // The client's own watched cache sees the delete on its own watch, a moment after this test's watcher.
      for (const end = Date.now() + 5000; (await registry.resolve('nameServer')).some((i) => i.id === victimId);) {
        if (Date.now() > end) throw new Error("timed out waiting for the client's cache to drop the expired gateway");
        await new Promise((r) => setTimeout(r, 5));
      }
      resetFailoverMemory();
      const tried: string[] = [];
      for (let i = 0; i < 6; i++) {
        const ch = await connect({ service: 'nameServer', registry }, 'pw', [], { serverKeys: keys, onAttempt: (inst) => tried.push(inst.id) });
        ch.close();
      }
      assert.ok(!tried.includes(victimId), 'no attempt on the expired gateway');

      // SIGTERM to a survivor with an rpc it accepted: it answers it, draining shows first, then the record goes.
      const alive = gws.filter((g) => g !== victim);
      const term = alive.find((g) => g.name !== second) ?? alive[0];
      const termId = await idOf(term);
      const direct = await connect('127.0.0.1', term.port, 'nameServer', 'pw', [], { serverKey: term.publicKey });
      const other = await connect('127.0.0.1', term.port, 'nameServer', 'pw', [], { serverKey: term.publicKey });
      const accepted = direct.rpc(tuple(atom('slow'), 300, atom('done')));
      // A round trip on a second channel after it: the gateway has read the slow call before the signal.
      await other.rpc(whoami);
      term.cli.kill('SIGTERM');
      await until(() => events.includes(`put ${termId} draining`), 'the SIGTERMed gateway published draining');
      assert.deepEqual(await accepted, atom('done'), 'the accepted rpc was answered during the drain');
      const drainingAt = events.indexOf(`put ${termId} draining`);
      // From draining on, clients choose only the remaining gateway.
      const tried2: string[] = [];
      for (let i = 0; i < 6; i++) {
        const ch = await connect({ service: 'nameServer', registry }, 'pw', [], { serverKeys: keys, onAttempt: (inst) => tried2.push(inst.id) });
        assert.notEqual(String(await ch.rpc(whoami)), term.name);
        ch.close();
      }
      assert.ok(!tried2.includes(termId), 'nobody chose the draining gateway');
      await until(() => events.indexOf(`delete ${termId}`) > drainingAt, 'the SIGTERMed gateway revoked its lease');
      const exit = await term.cli.waitExit();
      assert.equal(exit.code, 0);
      direct.close();
      other.close();

      rc.close();
      await rc.closed;
      assert.equal(statuses.at(-1), 'closed');
      assert.deepEqual(iterated, statuses);
    } finally {
      held?.close();
      await registry.close();
    }
  });
});
