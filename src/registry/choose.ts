/**
 * Which gateway a client tries first, then next (pure: no I/O, randomness
 * injected, unit-tested).
 *
 * 1. Only `serving` instances.
 * 2. Instances that failed recently (still in their backoff) go last, in the
 *    order their backoff ends: tried only when every other one failed.
 * 3. DNS SRV records: by priority, lowest first; within a priority, a
 *    weighted random order (RFC 2782).
 * 4. Registry records: the gateways on this host first (no network hop, as
 *    epmd's are all local), then "the less loaded of two random choices"
 *    (power of two choices: near the best spread for the cost of two looks,
 *    without every client crowding the one least loaded gateway of a stale
 *    snapshot), repeated for the rest of the order.
 */
import type { Instance } from './registry.ts';

export interface ChooseContext {
  /** os.hostname() of the client. */
  localHost?: string;
  /** Instance id -> Date.now() until which it is avoided. */
  badUntil?: ReadonlyMap<string, number>;
  now?: number;
  random?: () => number;
}

export function orderInstances(instances: readonly Instance[], ctx: ChooseContext = {}): Instance[] {
  const random = ctx.random ?? Math.random;
  const now = ctx.now ?? Date.now();
  const serving = instances.filter((i) => i.health === 'serving');
  const bad = (i: Instance): number => ctx.badUntil?.get(i.id) ?? 0;
  const good = serving.filter((i) => bad(i) <= now);
  const avoided = serving.filter((i) => bad(i) > now).sort((a, b) => bad(a) - bad(b));
  const srv = good.some((i) => i.priority !== undefined);
  return [...(srv ? bySrvPriority(good, random) : byLocalThenTwoChoices(good, ctx.localHost, random)), ...avoided];
}

function bySrvPriority(list: Instance[], random: () => number): Instance[] {
  const groups = new Map<number, Instance[]>();
  for (const i of list) {
    const p = i.priority ?? 0;
    groups.set(p, [...(groups.get(p) ?? []), i]);
  }
  const out: Instance[] = [];
  for (const p of [...groups.keys()].sort((a, b) => a - b)) {
    const rest = [...groups.get(p)!];
    while (rest.length) {
      // RFC 2782: weight 0 entries get a small chance; pick by running sum.
      const total = rest.reduce((s, i) => s + (i.weight ?? 0) + 0.01, 0);
      let r = random() * total;
      let k = 0;
      for (; k < rest.length - 1; k++) {
        r -= (rest[k].weight ?? 0) + 0.01;
        if (r < 0) break;
      }
      out.push(rest.splice(k, 1)[0]);
    }
  }
  return out;
}

function byLocalThenTwoChoices(list: Instance[], localHost: string | undefined, random: () => number): Instance[] {
  const local = list.filter((i) => localHost !== undefined && i.gatewayHost === localHost);
  const remote = list.filter((i) => !local.includes(i));
  return [...twoChoices(local, random), ...twoChoices(remote, random)];
}

function twoChoices(list: Instance[], random: () => number): Instance[] {
  const rest = [...list];
  const out: Instance[] = [];
  while (rest.length > 1) {
    const a = Math.floor(random() * rest.length);
    let b = Math.floor(random() * (rest.length - 1));
    if (b >= a) b++;
    const k = rest[b].load < rest[a].load ? b : a;
    out.push(rest.splice(k, 1)[0]);
  }
  return [...out, ...rest];
}
