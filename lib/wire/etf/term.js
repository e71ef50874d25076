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
    name;
    constructor(name) {
        this.name = name;
    }
    toString() {
        return this.name;
    }
}
export class Tuple {
    elements;
    constructor(elements) {
        this.elements = elements;
    }
    get length() {
        return this.elements.length;
    }
    at(i) {
        return this.elements[i];
    }
    [Symbol.iterator]() {
        return this.elements[Symbol.iterator]();
    }
}
export class ImproperList {
    elements;
    tail;
    /** `elements` is non-empty; `tail` is anything but a proper list. */
    constructor(elements, tail) {
        this.elements = elements;
        this.tail = tail;
    }
}
/** A float whose value is integral (e.g. `3.0`), so it is not taken for an integer. */
export class ErlFloat {
    value;
    constructor(value) {
        this.value = value;
    }
}
/** A bitstring whose last byte holds only `bits` significant (high) bits, 1..8. */
export class BitBinary {
    bytes;
    bits;
    constructor(bytes, bits) {
        this.bytes = bytes;
        this.bits = bits;
    }
}
/** A pid, port, reference, fun or export: kept as its exact External Term Format bytes (tag included). */
export class Opaque {
    tag;
    bytes;
    constructor(tag, bytes) {
        this.tag = tag;
        this.bytes = bytes;
    }
}
export const atom = (name) => new Atom(name);
export const tuple = (...elements) => new Tuple(elements);
export const float = (value) => Number.isInteger(value) && !Object.is(value, -0) ? new ErlFloat(value) : value;
export const improperList = (elements, tail) => new ImproperList(elements, tail);
export const binary = (bytes) => typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
export function isAtom(t, name) {
    return t instanceof Atom && (name === undefined || t.name === name);
}
export function isTuple(t, size, tag) {
    if (!(t instanceof Tuple))
        return false;
    if (size !== undefined && t.elements.length !== size)
        return false;
    return tag === undefined || isAtom(t.elements[0], tag);
}
/** A plain object record (encoded as a map with atom keys). */
export function isRecord(t) {
    if (t === null || typeof t !== 'object')
        return false;
    const proto = Object.getPrototypeOf(t);
    return proto === Object.prototype || proto === null;
}
function bytesEqual(a, b) {
    if (a.length !== b.length)
        return false;
    for (let i = 0; i < a.length; i++)
        if (a[i] !== b[i])
            return false;
    return true;
}
/** Structural equality in the sense of Erlang's `=:=` over the JS model. */
export function termEqual(a, b) {
    if (a === b)
        return typeof a !== 'number' || !Object.is(a, -0) === !Object.is(b, -0);
    if (typeof a === 'number' || typeof b === 'number') {
        return typeof a === 'number' && typeof b === 'number' && Object.is(a, b);
    }
    if (typeof a === 'bigint' || typeof b === 'bigint')
        return a === b;
    if (a instanceof Atom)
        return b instanceof Atom && a.name === b.name;
    if (a instanceof ErlFloat)
        return b instanceof ErlFloat && a.value === b.value;
    if (a instanceof Tuple)
        return b instanceof Tuple && listEqual(a.elements, b.elements);
    if (Array.isArray(a))
        return Array.isArray(b) && listEqual(a, b);
    if (a instanceof ImproperList) {
        return b instanceof ImproperList && listEqual(a.elements, b.elements) && termEqual(a.tail, b.tail);
    }
    if (a instanceof Uint8Array)
        return b instanceof Uint8Array && bytesEqual(a, b);
    if (a instanceof BitBinary)
        return b instanceof BitBinary && a.bits === b.bits && bytesEqual(a.bytes, b.bytes);
    if (a instanceof Opaque)
        return b instanceof Opaque && a.tag === b.tag && bytesEqual(a.bytes, b.bytes);
    const ea = mapEntries(a);
    const eb = mapEntries(b);
    if (ea === null || eb === null || ea.length !== eb.length)
        return false;
    return ea.every(([k, v]) => eb.some(([k2, v2]) => termEqual(k, k2) && termEqual(v, v2)));
}
function listEqual(a, b) {
    return a.length === b.length && a.every((x, i) => termEqual(x, b[i]));
}
/** Entries of a term that encodes as an Erlang map (Map, or plain record with atom keys), else null. */
export function mapEntries(t) {
    if (t instanceof Map)
        return [...t.entries()];
    if (isRecord(t))
        return Object.keys(t).map((k) => [new Atom(k), t[k]]);
    return null;
}
//# sourceMappingURL=term.js.map