/**
 * How a bench round is ordered and how a row's ratio is taken (test/bench/run.ts;
 * docs/benchmarks.md, "Each row is measured next to its base").
 */

/** A measurement as the planner sees it: its rows, the first one's `ratioTo` naming its base. */
export interface Planned {
  rows: ReadonlyArray<{ id: string; ratioTo?: string }>;
}

/**
 * The cases in the order a round measures them: each next to the case that
 * holds its first row's base (following `ratioTo` to the row compared with
 * nothing), the groups in the order they were planned. A ratio's two sides
 * then run seconds apart rather than minutes: on a virtual machine whose
 * speed drifts within minutes (docs/benchmarks.md), a row and its limit
 * measured at opposite ends of a round differed by the drift, not by the
 * code.
 */
export function besideTheirBases<C extends Planned>(list: C[]): C[] {
  const owner = new Map<string, C>();
  for (const c of list) for (const r of c.rows) owner.set(r.id, c);
  const order = new Map(list.map((c, i) => [c, i]));
  const root = (c: C): C => {
    const seen = new Set<C>([c]);
    let at = c;
    for (;;) {
      const to = at.rows[0].ratioTo;
      const next = to === undefined ? undefined : owner.get(to);
      if (next === undefined) return at;
      if (seen.has(next)) {
        // A cycle of bases: every case on it has the same root, the first of them planned.
        let first = next;
        for (let x = owner.get(next.rows[0].ratioTo!)!; x !== next; x = owner.get(x.rows[0].ratioTo!)!) if (order.get(x)! < order.get(first)!) first = x;
        return first;
      }
      seen.add(next);
      at = next;
    }
  };
  const groups = new Map<C, C[]>();
  for (const c of list) {
    const r = root(c);
    const g = groups.get(r);
    if (g) g.push(c);
    else groups.set(r, [c]);
  }
  return [...groups.values()].flat();
}

/**
 * A row's ratio to its base: the median over the rounds of this round's value
 * over this round's base (rounds where either failed are left out), so each
 * ratio compares measurements taken side by side (besideTheirBases).
 */
export function pairedRatio(row: Array<number | null>, base: Array<number | null>): number | undefined {
  const ratios: number[] = [];
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    const b = base[i];
    if (v !== null && b !== null && b !== undefined && b > 0) ratios.push(v / b);
  }
  return median(ratios);
}

/** The middle value (the upper of the two middle ones for an even count); undefined for none. */
export function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
