/**
 * The algorithmic-complexity inputs of issue 10, as ETF bytes built directly
 * (no encoder walk, so an 8 MiB input takes milliseconds to make). Shared by
 * the unit tests, the live tests and the fuzz targets.
 */

function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/**
 * `#{#{ ... #{Leaf => 1} ... => 1} => 1}`: `depth` single-key maps nested as
 * keys around a string of about `bytes` bytes (STRING_EXT chunks in a list).
 * With the version byte.
 */
export function nestedMapKeys(bytes: number, depth = 62): Uint8Array {
  const chunk = Math.max(1, Math.min(65_535, bytes));
  const chunks = Math.max(1, Math.ceil(bytes / chunk));
  const out = new Uint8Array(1 + depth * 5 + 5 + chunks * (3 + chunk) + 1 + depth * 2);
  let o = 0;
  out[o++] = 131;
  for (let i = 0; i < depth; i++) {
    out[o++] = 116; // MAP_EXT arity 1, key first
    out.set(u32(1), o);
    o += 4;
  }
  // the innermost key: a list of `chunks` strings
  out[o++] = 108;
  out.set(u32(chunks), o);
  o += 4;
  for (let c = 0; c < chunks; c++) {
    out[o++] = 107;
    out[o++] = chunk >>> 8;
    out[o++] = chunk & 0xff;
    out.fill(0x61 + (c % 26), o, o + chunk);
    o += chunk;
  }
  out[o++] = 106; // the list's tail
  for (let i = 0; i < depth; i++) {
    out[o++] = 97; // SMALL_INTEGER_EXT 1: each map's value
    out[o++] = 1;
  }
  return out.subarray(0, o);
}

/** A plain list of the same strings, about `bytes` bytes: the baseline nestedMapKeys is compared with. */
export function flatStrings(bytes: number): Uint8Array {
  return nestedMapKeys(bytes, 0);
}

/** One integer of `bytes` magnitude bytes (LARGE_BIG_EXT), with the version byte. */
export function bigInteger(bytes: number): Uint8Array {
  const out = new Uint8Array(1 + 6 + bytes);
  out[0] = 131;
  out[1] = 111;
  out.set(u32(bytes), 2);
  out[6] = 0;
  out.fill(0xf7, 7);
  return out;
}

/** `{startService, Service, ArgsC}` around raw ETF bytes for ArgsC (without their version byte). */
export function startServiceFrame(service: string, argsC: Uint8Array): Uint8Array {
  const name = Uint8Array.from(service, (c) => c.charCodeAt(0));
  const head = [131, 104, 3, 119, 12, ...Uint8Array.from('startService', (c) => c.charCodeAt(0)), 119, name.length, ...name];
  const out = new Uint8Array(head.length + argsC.length);
  out.set(head);
  out.set(argsC, head.length);
  return out;
}
