/**
 * Human and machine views of terms: `formatTerm` (Erlang syntax, for the CLI and logs) and
 * `toJson` (a JSON view, for JSON Schema validation and `--json` output). Isomorphic, and
 * iterative, so no nesting depth can exhaust the JS stack.
 *
 * ## formatTerm
 *
 * Prints what `io:format("~p")` would, without line breaks: `{ok,"writing a book"}`,
 * `[1,2|3]`, `#{a => 1,"k" => [v]}`, `<<1,2,3>>`, `<<"abc">>`, `3.5`, `3.0`. Atoms are quoted
 * when Erlang needs it (reserved words; anything but a lower-case Latin-1 letter followed by
 * Latin-1 letters, digits, `_` and `@`). A charlist, whether
 * a JS `string` or an array of integers, prints as `"..."` when every code point is printable
 * (as `io_lib:printable_latin1_list/1` decides; `printable_unicode_list/1` with the `unicode`
 * option), else as a list of integers, so two terms that Erlang finds equal (`"ab"` and
 * `[97,98]`) print the same. Everything except pids, ports,
 * references, funs (`#Pid<...>`, `#Port<...>`, `#Ref<...>`, `#Fun<...>`) and bitstrings
 * (`<<1,2:3>>`, which our conf parser does not take) reads back with Erlang's `file:consult`
 * and with `src/conf`'s parser.
 *
 * ## toJson
 *
 * | Term                                   | JSON                                               |
 * |----------------------------------------|----------------------------------------------------|
 * | atom `foo`                             | `"foo"`                                            |
 * | `true` / `false`                       | `true` / `false`                                   |
 * | `undefined` (and JS `null`)            | `null`                                             |
 * | integer (`number`)                     | number                                             |
 * | integer (`bigint`, beyond ±(2^53-1))   | decimal string, e.g. `"18446744073709551616"`      |
 * | float (`number`, `ErlFloat`)           | number (`ErlFloat(3)` -> `3`)                      |
 * | charlist `string`                      | string (`""` -> `""`)                              |
 * | proper list `Array`                    | array (integer lists stay arrays of numbers)       |
 * | improper list                          | `{"$improper": [elements...], "$tail": tail}`      |
 * | tuple                                  | array                                              |
 * | binary (valid UTF-8)                   | string                                             |
 * | binary (other)                         | `{"$binary": "<base64>"}`                          |
 * | bitstring                              | `{"$bitstring": "<base64>", "$bits": 1..7}`        |
 * | map / record, every key an atom,       | object with those keys (null prototype, so a key   |
 * | a string, or a UTF-8 binary, and no    | `__proto__` is an ordinary own property)           |
 * | two keys with the same text            |                                                    |
 * | any other map                          | `{"$map": [[key, value], ...]}`                    |
 * | pid, port, reference, fun, export      | `{"$opaque": "pid"/"port"/"reference"/"fun"/       |
 * |                                        | "export", "$bytes": "<base64>"}`                   |
 */
import { Atom, BitBinary, ErlFloat, ImproperList, Opaque, Tuple, isRecord, mapEntries, type Term } from './term.ts';
import {
  ATOM_EXT,
  ATOM_UTF8_EXT,
  EXPORT_EXT,
  FUN_EXT,
  INTEGER_EXT,
  NEWER_REFERENCE_EXT,
  NEW_FUN_EXT,
  NEW_PID_EXT,
  NEW_PORT_EXT,
  NEW_REFERENCE_EXT,
  PID_EXT,
  PORT_EXT,
  REFERENCE_EXT,
  SMALL_ATOM_EXT,
  SMALL_ATOM_UTF8_EXT,
  SMALL_INTEGER_EXT,
  V4_PORT_EXT,
} from './tags.ts';

export interface FormatOptions {
  /**
   * Print lists of code points above 255 as strings too (`"サービス"`), like `~tp` with
   * `+pc unicode`. By default only Latin-1 text prints as a string, as Erlang's `~p` does.
   * @default false
   */
  unicode?: boolean;
  /**
   * Stop after about this many characters and end with `...` (the result then no longer reads
   * back). For log lines.
   * @default Infinity
   */
  maxLength?: number;
}

/** Words Erlang's grammar reserves: as atoms they must be quoted (`maybe`/`else` since OTP 25's feature). */
const RESERVED_ATOMS: ReadonlySet<string> = new Set([
  'after',
  'and',
  'andalso',
  'band',
  'begin',
  'bnot',
  'bor',
  'bsl',
  'bsr',
  'bxor',
  'case',
  'catch',
  'cond',
  'div',
  'else',
  'end',
  'fun',
  'if',
  'let',
  'maybe',
  'not',
  'of',
  'or',
  'orelse',
  'receive',
  'rem',
  'try',
  'when',
  'xor',
]);

/** Literal text queued between terms while formatting. */
class Raw {
  constructor(readonly text: string) {}
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A term in Erlang syntax on one line, e.g. `{ok,"writing a book"}`. Deterministic: the same
 * term (same map insertion order) always gives the same text.
 */
export function formatTerm(term: Term, options: FormatOptions = {}): string {
  const max = options.maxLength ?? Infinity;
  const printable = options.unicode === true ? isPrintableUnicode : isPrintableLatin1;
  // A lone leaf, such as the atom that keys a table (the name server's kvs), needs no stack.
  const leaf = formatLeaf(term, printable);
  if (leaf !== undefined) return leaf.length > max ? `${leaf.slice(0, Math.max(0, max))}...` : leaf;
  let out = '';
  const stack: (Term | Raw)[] = [term];
  while (stack.length > 0) {
    if (out.length > max) return `${out.slice(0, Math.max(0, max))}...`;
    const t = stack.pop() as Term | Raw;
    if (t instanceof Raw) {
      out += t.text;
      continue;
    }
    const leaf = formatLeaf(t, printable);
    if (leaf !== undefined) {
      out += leaf;
      continue;
    }
    // Containers: queue their parts in reverse order.
    if (Array.isArray(t)) {
      const text = charlistText(t, printable);
      if (text !== undefined) {
        out += text;
        continue;
      }
      out += '[';
      pushSeparated(stack, t, new Raw(']'));
    } else if (t instanceof Tuple) {
      out += '{';
      pushSeparated(stack, t.elements, new Raw('}'));
    } else if (t instanceof ImproperList) {
      out += '[';
      stack.push(new Raw(']'), t.tail, new Raw('|'));
      for (let i = t.elements.length - 1; i >= 0; i--) {
        stack.push(t.elements[i]);
        if (i > 0) stack.push(new Raw(','));
      }
    } else {
      const entries = mapEntries(t);
      if (entries === null) {
        out += `#Unknown<${describe(t)}>`;
        continue;
      }
      out += '#{';
      stack.push(new Raw('}'));
      for (let i = entries.length - 1; i >= 0; i--) {
        stack.push(entries[i][1], new Raw(' => '), entries[i][0]);
        if (i > 0) stack.push(new Raw(','));
      }
    }
  }
  return out.length > max ? `${out.slice(0, Math.max(0, max))}...` : out;
}

function pushSeparated(stack: (Term | Raw)[], elements: Term[], close: Raw): void {
  stack.push(close);
  for (let i = elements.length - 1; i >= 0; i--) {
    stack.push(elements[i]);
    if (i > 0) stack.push(new Raw(','));
  }
}

function describe(t: unknown): string {
  if (t === null) return 'null';
  if (typeof t !== 'object') return typeof t;
  const name = (t as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' ? name : 'object';
}

/** The text of a term without children, or undefined for a container. */
function formatLeaf(t: Term, printable: (cps: number[]) => boolean): string | undefined {
  switch (typeof t) {
    case 'number':
      return Number.isInteger(t) && !Object.is(t, -0) ? String(t) : formatFloat(t);
    case 'bigint':
      return t.toString();
    case 'boolean':
      return t ? 'true' : 'false';
    case 'undefined':
      return 'undefined';
    case 'string': {
      if (t.length === 0) return '[]';
      const cps: number[] = [];
      for (const ch of t) cps.push(ch.codePointAt(0) as number);
      return printable(cps) ? quote(cps, '"') : `[${cps.join(',')}]`;
    }
    case 'object':
      break;
    default:
      return `#Unknown<${typeof t}>`;
  }
  if (t === null) return 'null';
  if (t instanceof Atom) return formatAtom(t.name);
  if (t instanceof ErlFloat) return formatFloat(t.value);
  if (t instanceof Uint8Array) return formatBinary(t);
  if (t instanceof BitBinary) return formatBits(t);
  if (t instanceof Opaque) return formatOpaque(t);
  if (Array.isArray(t) && t.length === 0) return '[]';
  return undefined;
}

/** `"..."` for a non-empty list of printable code points, else undefined. */
function charlistText(list: Term[], printable: (cps: number[]) => boolean): string | undefined {
  if (list.length === 0) return '[]';
  const cps: number[] = [];
  for (const x of list) {
    if (typeof x !== 'number' || !Number.isInteger(x)) return undefined;
    cps.push(x);
  }
  return printable(cps) ? quote(cps, '"') : undefined;
}

/** As `io_lib:printable_latin1_list/1`. */
function isPrintableLatin1(cps: number[]): boolean {
  for (const c of cps) {
    if ((c >= 32 && c <= 126) || (c >= 8 && c <= 13) || c === 27 || (c >= 160 && c <= 255)) continue;
    return false;
  }
  return true;
}

/** As `io_lib:printable_unicode_list/1`. */
function isPrintableUnicode(cps: number[]): boolean {
  for (const c of cps) {
    if (c >= 32 && c <= 126) continue;
    if (c >= 8 && c <= 13) continue; // \b \t \n \v \f \r
    if (c === 27) continue; // \e
    if (c >= 160 && c < 0xd800) continue;
    if (c > 0xdfff && c < 0xfffe) continue;
    if (c > 0xffff && c <= 0x10ffff) continue;
    return false;
  }
  return true;
}

const CHAR_ESCAPES: Readonly<Record<number, string>> = {
  8: '\\b',
  9: '\\t',
  10: '\\n',
  11: '\\v',
  12: '\\f',
  13: '\\r',
  27: '\\e',
  92: '\\\\',
};

function quote(cps: Iterable<number>, q: '"' | "'"): string {
  let s = q;
  const qc = q.charCodeAt(0);
  for (const c of cps) {
    const esc = CHAR_ESCAPES[c];
    if (esc !== undefined) s += esc;
    else if (c === qc) s += `\\${q}`;
    else if (c < 32 || c === 127 || (c >= 128 && c < 160) || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff) {
      s += `\\x{${c.toString(16).toUpperCase()}}`;
    } else s += String.fromCodePoint(c);
  }
  return s + q;
}

/**
 * An atom, quoted unless Erlang prints it bare: a lower-case first letter (Latin-1 counts, as
 * in `sérvice`), then letters, digits, `_` and `@`, and not a reserved word.
 */
/** The last atom found to print bare: a table keyed by atoms formats the same few again and again. */
let lastBareAtom = 'ok';

export function formatAtom(name: string): string {
  if (name === lastBareAtom) return name;
  if (/^[a-z\u00df-\u00f6\u00f8-\u00ff][A-Za-z0-9_@\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff]*$/.test(name) && !RESERVED_ATOMS.has(name)) {
    lastBareAtom = name;
    return name;
  }
  const cps: number[] = [];
  for (const ch of name) cps.push(ch.codePointAt(0) as number);
  return quote(cps, "'");
}

/** A float as Erlang reads it back: always a `.` with digits on both sides. */
function formatFloat(v: number): string {
  if (!Number.isFinite(v)) return `'${String(v)}'`; // not an Erlang float; only for logs
  if (Object.is(v, -0)) return '-0.0';
  const s = String(v);
  const e = s.indexOf('e');
  const mantissa = e < 0 ? s : s.slice(0, e);
  const exponent = e < 0 ? '' : s.slice(e);
  return mantissa.includes('.') ? s : `${mantissa}.0${exponent}`;
}

function isPrintableLatin1Byte(b: number): boolean {
  return (b >= 32 && b <= 126) || (b >= 160 && b <= 255) || (b >= 8 && b <= 13) || b === 27;
}

function formatBinary(b: Uint8Array): string {
  if (b.length === 0) return '<<>>';
  let printable = true;
  for (let i = 0; i < b.length && printable; i++) printable = isPrintableLatin1Byte(b[i]);
  if (printable) return `<<${quote(b, '"')}>>`;
  return `<<${b.join(',')}>>`;
}

function formatBits(b: BitBinary): string {
  const n = b.bytes.length;
  if (n === 0) return '<<>>';
  const bits = Math.min(8, Math.max(1, b.bits | 0));
  const last = b.bytes[n - 1] >> (8 - bits);
  const parts = Array.from(b.bytes.subarray(0, n - 1), String);
  parts.push(bits === 8 ? String(last) : `${last}:${bits}`);
  return `<<${parts.join(',')}>>`;
}

/** A read-only walk over an Opaque's bytes, for display only. */
class OpaqueReader {
  pos = 1;
  constructor(readonly b: Uint8Array) {}
  u(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) {
      if (this.pos >= this.b.length) throw new RangeError('short');
      v = v * 256 + this.b[this.pos++];
    }
    return v;
  }
  skip(n: number): void {
    this.pos += n;
    if (this.pos > this.b.length) throw new RangeError('short');
  }
  atom(): string {
    const tag = this.u(1);
    const len = tag === ATOM_EXT || tag === ATOM_UTF8_EXT ? this.u(2) : tag === SMALL_ATOM_EXT || tag === SMALL_ATOM_UTF8_EXT ? this.u(1) : -1;
    if (len < 0) throw new RangeError('not an atom');
    const bytes = this.b.subarray(this.pos, this.pos + len);
    this.skip(len);
    return tag === ATOM_UTF8_EXT || tag === SMALL_ATOM_UTF8_EXT ? UTF8.decode(bytes) : String.fromCharCode(...bytes);
  }
  int(): number {
    const tag = this.u(1);
    if (tag === SMALL_INTEGER_EXT) return this.u(1);
    if (tag === INTEGER_EXT) return this.u(4) | 0;
    throw new RangeError('not an integer');
  }
  pid(): string {
    const tag = this.u(1);
    const node = this.atom();
    const id = this.u(4);
    const serial = this.u(4);
    this.skip(tag === NEW_PID_EXT ? 4 : 1);
    return `#Pid<${formatAtom(node)}.${id}.${serial}>`;
  }
}

function formatOpaque(o: Opaque): string {
  try {
    const r = new OpaqueReader(o.bytes);
    switch (o.tag) {
      case PID_EXT:
      case NEW_PID_EXT:
        r.pos = 0;
        return r.pid();
      case PORT_EXT:
      case NEW_PORT_EXT:
      case V4_PORT_EXT: {
        const node = r.atom();
        const id = r.u(o.tag === V4_PORT_EXT ? 8 : 4);
        return `#Port<${formatAtom(node)}.${id}>`;
      }
      case REFERENCE_EXT:
        return `#Ref<${formatAtom(r.atom())}.${r.u(4)}>`;
      case NEW_REFERENCE_EXT:
      case NEWER_REFERENCE_EXT: {
        const words = r.u(2);
        const node = r.atom();
        r.skip(o.tag === NEW_REFERENCE_EXT ? 1 : 4);
        const ids: number[] = [];
        for (let i = 0; i < words; i++) ids.push(r.u(4));
        return `#Ref<${[formatAtom(node), ...ids.reverse()].join('.')}>`;
      }
      case EXPORT_EXT:
        return `fun ${formatAtom(r.atom())}:${formatAtom(r.atom())}/${r.int()}`;
      case NEW_FUN_EXT: {
        r.skip(4 + 1 + 16 + 4 + 4); // Size, Arity, Uniq, Index, NumFree
        const module = r.atom();
        const oldIndex = r.int();
        const oldUniq = r.int();
        return `#Fun<${formatAtom(module)}.${oldIndex}.${oldUniq}>`;
      }
      case FUN_EXT: {
        r.skip(4);
        r.pid();
        const module = r.atom();
        const index = r.int();
        const uniq = r.int();
        return `#Fun<${formatAtom(module)}.${index}.${uniq}>`;
      }
      default:
        break;
    }
  } catch {
    // fall through to the raw form
  }
  return `#Opaque<${o.tag}:${Array.from(o.bytes.subarray(0, 64), (b) => b.toString(16).padStart(2, '0')).join('')}>`;
}

const OPAQUE_KINDS: Readonly<Record<number, string>> = {
  [PID_EXT]: 'pid',
  [NEW_PID_EXT]: 'pid',
  [PORT_EXT]: 'port',
  [NEW_PORT_EXT]: 'port',
  [V4_PORT_EXT]: 'port',
  [REFERENCE_EXT]: 'reference',
  [NEW_REFERENCE_EXT]: 'reference',
  [NEWER_REFERENCE_EXT]: 'reference',
  [FUN_EXT]: 'fun',
  [NEW_FUN_EXT]: 'fun',
  [EXPORT_EXT]: 'export',
};

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 with padding (no `btoa`, which wants a Latin-1 string). */
export function base64(bytes: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    s += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
  }
  if (i < bytes.length) {
    const n = (bytes[i] << 16) | ((i + 1 < bytes.length ? bytes[i + 1] : 0) << 8);
    s += B64[n >> 18] + B64[(n >> 12) & 63] + (i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=') + '=';
  }
  return s;
}

function utf8OrUndefined(b: Uint8Array): string | undefined {
  try {
    return UTF8.decode(b);
  } catch {
    return undefined;
  }
}

type JsonTarget = Record<string, unknown> | unknown[];

/** The JSON view of a term; see the table at the top of this file. */
export function toJson(term: Term): unknown {
  const root: unknown[] = [undefined];
  const tasks: [Term, JsonTarget, string | number][] = [[term, root, 0]];
  const put = (target: JsonTarget, key: string | number, value: unknown): void => {
    (target as Record<string | number, unknown>)[key] = value;
  };
  while (tasks.length > 0) {
    const [t, target, key] = tasks.pop() as [Term, JsonTarget, string | number];
    switch (typeof t) {
      case 'number':
      case 'boolean':
      case 'string':
        put(target, key, t);
        continue;
      case 'undefined':
        put(target, key, null);
        continue;
      case 'bigint':
        put(target, key, t.toString());
        continue;
      case 'object':
        break;
      default:
        put(target, key, null);
        continue;
    }
    if (t === null) {
      put(target, key, null);
    } else if (t instanceof Atom) {
      put(target, key, t.name);
    } else if (t instanceof ErlFloat) {
      put(target, key, t.value);
    } else if (t instanceof Uint8Array) {
      const text = utf8OrUndefined(t);
      put(target, key, text !== undefined ? text : obj({ $binary: base64(t) }));
    } else if (t instanceof BitBinary) {
      put(target, key, obj({ $bitstring: base64(t.bytes), $bits: t.bits }));
    } else if (t instanceof Opaque) {
      put(target, key, obj({ $opaque: OPAQUE_KINDS[t.tag] ?? 'unknown', $bytes: base64(t.bytes) }));
    } else if (Array.isArray(t) || t instanceof Tuple) {
      const elements = Array.isArray(t) ? t : t.elements;
      const arr: unknown[] = new Array(elements.length);
      put(target, key, arr);
      for (let i = 0; i < elements.length; i++) tasks.push([elements[i], arr, i]);
    } else if (t instanceof ImproperList) {
      const arr: unknown[] = new Array(t.elements.length);
      const o = obj({ $improper: arr, $tail: null });
      put(target, key, o);
      tasks.push([t.tail, o, '$tail']);
      for (let i = 0; i < t.elements.length; i++) tasks.push([t.elements[i], arr, i]);
    } else if (t instanceof Map || isRecord(t)) {
      const entries = mapEntries(t) ?? [];
      const keys = objectKeys(entries);
      if (keys !== undefined) {
        const o = obj({});
        put(target, key, o);
        for (const k of keys) o[k] = null; // fix the key order before the values arrive
        for (let i = 0; i < entries.length; i++) tasks.push([entries[i][1], o, keys[i]]);
      } else {
        const pairs: unknown[] = entries.map(() => [null, null]);
        put(target, key, obj({ $map: pairs }));
        for (let i = 0; i < entries.length; i++) {
          tasks.push([entries[i][0], pairs[i] as unknown[], 0], [entries[i][1], pairs[i] as unknown[], 1]);
        }
      }
    } else {
      put(target, key, null);
    }
  }
  return root[0];
}

/** A null-prototype object: `__proto__` and friends are ordinary keys. */
function obj(fields: Record<string, unknown>): Record<string, unknown> {
  const o: Record<string, unknown> = Object.create(null);
  for (const k of Object.keys(fields)) o[k] = fields[k];
  return o;
}

/** Text keys for a map's JSON object form, or undefined when it needs the `$map` form. */
function objectKeys(entries: [Term, Term][]): string[] | undefined {
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const [k] of entries) {
    let text: string | undefined;
    if (k instanceof Atom) text = k.name;
    else if (typeof k === 'string') text = k;
    else if (k === true || k === false) text = String(k);
    else if (k === undefined) text = 'undefined';
    else if (k instanceof Uint8Array) text = utf8OrUndefined(k);
    if (text === undefined || seen.has(text)) return undefined;
    seen.add(text);
    keys.push(text);
  }
  return keys;
}
