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
export declare class Atom {
    readonly name: string;
    constructor(name: string);
    toString(): string;
}
export declare class Tuple implements Iterable<Term> {
    readonly elements: Term[];
    constructor(elements: Term[]);
    get length(): number;
    at(i: number): Term;
    [Symbol.iterator](): Iterator<Term>;
}
export declare class ImproperList {
    readonly elements: Term[];
    readonly tail: Term;
    /** `elements` is non-empty; `tail` is anything but a proper list. */
    constructor(elements: Term[], tail: Term);
}
/** A float whose value is integral (e.g. `3.0`), so it is not taken for an integer. */
export declare class ErlFloat {
    readonly value: number;
    constructor(value: number);
}
/** A bitstring whose last byte holds only `bits` significant (high) bits, 1..8. */
export declare class BitBinary {
    readonly bytes: Uint8Array;
    readonly bits: number;
    constructor(bytes: Uint8Array, bits: number);
}
/** A pid, port, reference, fun or export: kept as its exact External Term Format bytes (tag included). */
export declare class Opaque {
    readonly tag: number;
    readonly bytes: Uint8Array;
    constructor(tag: number, bytes: Uint8Array);
}
export type Term = Atom | boolean | undefined | number | bigint | ErlFloat | string | Tuple | Term[] | ImproperList | Uint8Array | BitBinary | Map<Term, Term> | Opaque | {
    readonly [key: string]: Term;
};
export declare const atom: (name: string) => Atom;
export declare const tuple: (...elements: Term[]) => Tuple;
export declare const float: (value: number) => ErlFloat | number;
export declare const improperList: (elements: Term[], tail: Term) => ImproperList;
export declare const binary: (bytes: Uint8Array | string) => Uint8Array;
export declare function isAtom(t: unknown, name?: string): t is Atom;
export declare function isTuple(t: unknown, size?: number, tag?: string): t is Tuple;
/** A plain object record (encoded as a map with atom keys). */
export declare function isRecord(t: unknown): t is {
    readonly [key: string]: Term;
};
/** Structural equality in the sense of Erlang's `=:=` over the JS model. */
export declare function termEqual(a: Term, b: Term): boolean;
/** Entries of a term that encodes as an Erlang map (Map, or plain record with atom keys), else null. */
export declare function mapEntries(t: Term): [Term, Term][] | null;
//# sourceMappingURL=term.d.ts.map