/**
 * Connect by service name: `connect({ service, registry }, password)`.
 * The registry is resolved, the `serving` instances ordered (registry/choose.ts:
 * this host first, then the less loaded of two random choices; SRV by
 * priority and weight), and each tried in turn with its own deadline
 * (failoverAttemptTimeoutMs). A gateway that fails is avoided for a backoff
 * (1 s doubling up to failoverBackoffMs) by later connects of this process.
 *
 * Fail over on: connection refused or lost, timeouts, badService (the
 * gateway is draining or its service is down), limitExceeded, and
 * serverKeyMismatch. Stop on authFail (the password is wrong everywhere) and
 * on argument errors. When every instance failed the error is
 * serviceUnavailable with details.attempts, unless one presented a wrong key:
 * then serverKeyMismatch, so a poisoned entry is never hidden.
 *
 * Trust: the registry's key is a hint only. The presented key must match
 * `serverKey` (or one of `serverKeys`), else the key known-hosts lists for
 * that host:port; a registry entry can never introduce a key (no trust on
 * first use through a registry), so a poisoned entry gets serverKeyMismatch
 * and no password is sent.
 */
import os from 'node:os';
import fs from 'node:fs';
import { ChanError, isChanError, type ErrorCode } from '../errors.ts';
import { resolveLimits } from '../limits.ts';
import type { Channel } from '../chan/channel.ts';
import type { Term } from '../wire/etf/term.ts';
import { bytesEqual } from '../wire/bytes.ts';
import { decodePublicKey, encodePublicKey, formatHostPort, lookupKnownHost, parseKnownHosts, serverKeyMismatchError } from '../auth/keys.ts';
import { backoffMs, type Instance, type Registry } from '../registry/registry.ts';
import { openRegistry } from '../registry/open.ts';
import { orderInstances } from '../registry/choose.ts';
import { parseServerKey } from './secure-login.ts';
import { defaultKnownHostsFile } from './secure-node.ts';
import type { NodeConnectOptions } from './node-options.ts';

/** How one instance is dialled: node.ts passes its connect (so this file does not import it back). */
export interface Dialer {
  (host: string, port: number, service: string, password: string | null, argsC: Term, options: NodeConnectOptions): Promise<Channel>;
  (url: string, service: string, password: string | null, argsC: Term, options: NodeConnectOptions): Promise<Channel>;
}

export interface ServiceTarget {
  service: string;
  /** A registry URL (local:, etcd://..., dns+srv://...) or an open Registry (openRegistry(url, { watch: true })). */
  registry: string | Registry;
}

export interface ByNameOptions extends NodeConnectOptions {
  /** Accept any of these server keys (gateways with different identities); `serverKey` pins one. */
  serverKeys?: (string | Uint8Array)[];
  /** `tcp` (default) or `ws`: which published endpoint to use. */
  via?: 'tcp' | 'ws';
  /** @internal for tests and the bench: called before each attempt. */
  onAttempt?: (instance: Instance) => void;
  /**
   * Discovery events, to log or count: `resolved` (registry, service, instances, serving),
   * `attemptFailed` (instance id, code), `connected` (instance id, attempts).
   */
  onEvent?: (action: 'resolved' | 'attemptFailed' | 'connected', fields: Record<string, unknown>) => void;
}

/** Gateways that failed, per process: id -> { until, failures }. */
const badInstances = new Map<string, { until: number; failures: number }>();
const MAX_BAD_REMEMBERED = 10_000;

/** Codes after which the next instance is tried. */
const FAIL_OVER: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'connectionRefused',
  'connectionLost',
  'timeout',
  'handshakeTimeout',
  'badService',
  'limitExceeded',
  'serverKeyMismatch',
  'protocolError',
  'badRecord',
  'legacyRefused',
]);

export async function connectByName(
  dial: Dialer,
  target: ServiceTarget,
  password: string | null,
  argsC: Term = [],
  options: ByNameOptions = {},
): Promise<Channel> {
  if (typeof target.service !== 'string' || target.service === '') throw new ChanError('badArgument', 'connect: target.service must be a service name');
  const limits = resolveLimits(options.limits ?? {});
  const registry = typeof target.registry === 'string' ? await openRegistry(target.registry) : target.registry;
  let instances: Instance[];
  try {
    instances = await registry.resolve(target.service);
  } finally {
    if (typeof target.registry === 'string') await registry.close();
  }
  const badUntil = new Map([...badInstances].map(([id, b]) => [id, b.until]));
  const order = orderInstances(instances, { localHost: os.hostname(), badUntil });
  options.onEvent?.('resolved', { registry: registry.url, service: target.service, instances: instances.length, serving: order.length });
  if (order.length === 0) {
    throw new ChanError('serviceUnavailable', `no gateway in ${registry.url} serves ${target.service} (${instances.length} registered, none serving)`, {
      details: { service: target.service, registry: registry.url, registered: instances.length, attempts: [] },
    });
  }
  const pins = pinnedKeys(options);
  const attempts: { id: string; code: string; message: string }[] = [];
  let keyError: ChanError | undefined;
  for (const inst of order) {
    options.onAttempt?.(inst);
    try {
      const ch = await connectInstance(dial, inst, target.service, password, argsC, options, pins, limits.failoverAttemptTimeoutMs);
      badInstances.delete(inst.id);
      options.onEvent?.('connected', { id: inst.id, attempts: attempts.length + 1 });
      return ch;
    } catch (e) {
      const err = isChanError(e) ? e : new ChanError('connectionLost', (e as Error).message, { cause: e });
      markBad(inst.id, limits.failoverBackoffMs);
      attempts.push({ id: inst.id, code: err.code, message: err.message.slice(0, 300) });
      options.onEvent?.('attemptFailed', { id: inst.id, code: err.code });
      if (err.code === 'serverKeyMismatch') keyError ??= err;
      if (!FAIL_OVER.has(err.code)) throw err;
    }
  }
  if (keyError) {
    keyError.details.attempts = attempts;
    throw keyError;
  }
  throw new ChanError(
    'serviceUnavailable',
    `every gateway serving ${target.service} in ${registry.url} failed: ${attempts.map((a) => `${a.id}: ${a.code}`).join('; ')}`,
    {
      details: { service: target.service, registry: registry.url, attempts },
    },
  );
}

function markBad(id: string, maxMs: number): void {
  const b = badInstances.get(id);
  const failures = (b?.failures ?? 0) + 1;
  if (!b && badInstances.size >= MAX_BAD_REMEMBERED) badInstances.delete(badInstances.keys().next().value!);
  badInstances.set(id, { failures, until: Date.now() + backoffMs(failures - 1, Math.min(1_000, maxMs), maxMs) });
}

/** @internal tests: forget which gateways failed. */
export function resetFailoverMemory(): void {
  badInstances.clear();
}

function pinnedKeys(options: ByNameOptions): Uint8Array[] | undefined {
  const list = [...(options.serverKey !== undefined ? [options.serverKey] : []), ...(options.serverKeys ?? [])];
  return list.length ? list.map(parseServerKey) : undefined;
}

async function connectInstance(
  dial: Dialer,
  inst: Instance,
  service: string,
  password: string | null,
  argsC: Term,
  options: ByNameOptions,
  pins: Uint8Array[] | undefined,
  attemptMs: number,
): Promise<Channel> {
  const hostport = formatHostPort(inst.host, inst.port);
  const hint = hintKey(inst);
  const check = (key: Uint8Array): void => {
    if (pins) {
      if (pins.some((p) => bytesEqual(p, key))) return;
      throw serverKeyMismatchError(hostport, pins[0], key);
    }
    if (options.checkServerKey) return options.checkServerKey(key);
    const file = options.knownHosts === false ? undefined : (options.knownHosts ?? defaultKnownHostsFile());
    let text = '';
    try {
      if (file) text = fs.readFileSync(file, 'utf8');
    } catch {
      // no file: nothing is known
    }
    const found = lookupKnownHost(parseKnownHosts(text).entries, hostport, key);
    if (found.status === 'match') return;
    if (found.status === 'mismatch') throw serverKeyMismatchError(hostport, found.entry.keyText, key, { file, line: found.entry.line });
    throw new ChanError(
      'serverKeyMismatch',
      `${hostport} (found in the registry) presented ${encodePublicKey('server', key)}, which is neither pinned (serverKey) nor listed for it in ${file ?? 'a known-hosts file'}; a registry entry cannot introduce a key. Nothing was sent.`,
      {
        details: { phase: 'reply', side: 'client', peer: hostport, file },
      },
    );
  };
  const opts: NodeConnectOptions = {
    ...options,
    serverKey: undefined,
    knownHosts: false,
    checkServerKey: check,
    // Only a key the client already trusts is used to compute ahead; the check decides anyway.
    serverKeyHint: hint && (!pins || pins.some((p) => bytesEqual(p, hint))) ? hint : pins?.[0],
    limits: { ...options.limits, connectTimeoutMs: attemptMs },
  };
  if (options.via === 'ws' && inst.ws) return dial(inst.ws, service, password, argsC, opts);
  return dial(inst.host, inst.port, service, password, argsC, opts);
}

function hintKey(inst: Instance): Uint8Array | undefined {
  try {
    return inst.serverKey ? decodePublicKey('server', inst.serverKey) : undefined;
  } catch {
    return undefined;
  }
}
