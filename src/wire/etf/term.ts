/**
 * The JavaScript model of Erlang terms.
 *
 * | Erlang                         | JavaScript                                         |
 * |--------------------------------|----------------------------------------------------|
 * | atom `ok`                      | `Atom` (`atom('ok')`); compare with `isAtom(x,'ok')`|
 * | atoms `true` / `false`         | `true` / `false`                                   |
 * | atom `undefined`               | `undefined`                                        |
 * | integer                        | `number` when safe, `bigint` beyond 2^53-1         |
 * | float                          | `number` (non-integral or -0), `ErlFloat` when the |
 * |                                | value is integral (`float(3)` encodes `3.0`)       |
 * | tuple `{a, b}`                 | `Tuple` (`tuple(a, b)`); iterable, so destructures |
 * | proper list `[1, 2]`           | `Array`                                            |
 * | string `"abc"` (a charlist)    | `string` (STRING_EXT; a list of code points above  |
 * |                                | 255 decodes to `number[]`)                         |
 * | improper list `[1 | 2]`        | `ImproperList`                                     |
 * | binary `<<1,2>>`               | `Uint8Array`                                       |
 * | bitstring `<<1:3>>`            | `BitBinary`                                        |
 * | map `#{k => v}`                | `Map` on decode; a plain object encodes with atom  |
 * |                                | keys, a `Map` with any keys                        |
 * | pid, port, reference, fun      | `Opaque`, holding the exact bytes (round-trips)    |
 *
 * Atoms are small objects, never interned in a global table: a peer that sends
 * a million distinct atoms costs memory only while those terms are alive.
 */

export class Atom {
  constructor(readonly name: string) {}
  toString(): string {
    return this.name;
  }
}

export class Tuple implements Iterable<Term> {
  constructor(readonly elements: Term[]) {}
  get length(): number {
    return this.elements.length;
  }
  at(i: number): Term {
    return this.elements[i];
  }
  [Symbol.iterator](): Iterator<Term> {
    return this.elements[Symbol.iterator]();
  }
}

export class ImproperList {
  /** `elements` is non-empty; `tail` is anything but a proper list. */
  constructor(
    readonly elements: Term[],
    readonly tail: Term,
  ) {}
}

/** A float whose value is integral (e.g. `3.0`), so it is not taken for an integer. */
export class ErlFloat {
  constructor(readonly value: number) {}
}

/** A bitstring whose last byte holds only `bits` significant (high) bits, 1..8. */
export class BitBinary {
  constructor(
    readonly bytes: Uint8Array,
    readonly bits: number,
  ) {}
}

/** A pid, port, reference, fun or export: kept as its exact External Term Format bytes (tag included). */
export class Opaque {
  constructor(
    readonly tag: number,
    readonly bytes: Uint8Array,
  ) {}
}

export type Term =
  | Atom
  | boolean
  | undefined
  | number
  | bigint
  | ErlFloat
  | string
  | Tuple
  | Term[]
  | ImproperList
  | Uint8Array
  | BitBinary
  | Map<Term, Term>
  | Opaque
  | { readonly [key: string]: Term };

export const atom = (name: string): Atom => new Atom(name);
export const tuple = (...elements: Term[]): Tuple => new Tuple(elements);
export const float = (value: number): ErlFloat | number => (Number.isInteger(value) && !Object.is(value, -0) ? new ErlFloat(value) : value);
export const improperList = (elements: Term[], tail: Term): ImproperList => new ImproperList(elements, tail);
export const binary = (bytes: Uint8Array | string): Uint8Array => (typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes);

export function isAtom(t: unknown, name?: string): t is Atom {
  return t instanceof Atom && (name === undefined || t.name === name);
}

export function isTuple(t: unknown, size?: number, tag?: string): t is Tuple {
  if (!(t instanceof Tuple)) return false;
  if (size !== undefined && t.elements.length !== size) return false;
  return tag === undefined || isAtom(t.elements[0], tag);
}

/** A plain object record (encoded as a map with atom keys). */
export function isRecord(t: unknown): t is { readonly [key: string]: Term } {
  if (t === null || typeof t !== 'object') return false;
  const proto = Object.getPrototypeOf(t);
  return proto === Object.prototype || proto === null;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Structural equality in the sense of Erlang's `=:=` over the JS model. */
export function termEqual(a: Term, b: Term): boolean {
  if (a === b) return typeof a !== 'number' || !Object.is(a, -0) === !Object.is(b, -0);
  if (typeof a === 'number' || typeof b === 'number') {
    return typeof a === 'number' && typeof b === 'number' && Object.is(a, b);
  }
  if (typeof a === 'bigint' || typeof b === 'bigint') return a === b;
  if (a instanceof Atom) return b instanceof Atom && a.name === b.name;
  if (a instanceof ErlFloat) return b instanceof ErlFloat && a.value === b.value;
  if (a instanceof Tuple) return b instanceof Tuple && listEqual(a.elements, b.elements);
  if (Array.isArray(a)) return Array.isArray(b) && listEqual(a, b);
  if (a instanceof ImproperList) {
    return b instanceof ImproperList && listEqual(a.elements, b.elements) && termEqual(a.tail, b.tail);
  }
  if (a instanceof Uint8Array) return b instanceof Uint8Array && bytesEqual(a, b);
  if (a instanceof BitBinary) return b instanceof BitBinary && a.bits === b.bits && bytesEqual(a.bytes, b.bytes);
  if (a instanceof Opaque) return b instanceof Opaque && a.tag === b.tag && bytesEqual(a.bytes, b.bytes);
  const ea = mapEntries(a);
  const eb = mapEntries(b);
  if (ea === null || eb === null || ea.length !== eb.length) return false;
  return ea.every(([k, v]) => eb.some(([k2, v2]) => termEqual(k, k2) && termEqual(v, v2)));
}

function listEqual(a: Term[], b: Term[]): boolean {
  return a.length === b.length && a.every((x, i) => termEqual(x, b[i]));
}

/** Entries of a term that encodes as an Erlang map (Map, or plain record with atom keys), else null. */
export function mapEntries(t: Term): [Term, Term][] | null {
  if (t instanceof Map) return [...t.entries()];
  if (isRecord(t)) return Object.keys(t).map((k) => [new Atom(k), t[k]]);
  return null;
}
