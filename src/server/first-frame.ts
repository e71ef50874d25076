/**
 * The legacy first frame, `{startService, Service, ArgsC}`, read in two
 * steps: the service name first, straight from the bytes, and ArgsC only
 * once the service exists and its policy lets the login go on (issue 10,
 * finding 1: the whole frame used to be decoded first, so neither a wrong
 * service name nor `{legacy, deny}` spared the server a costly ArgsC).
 */
import { decodeTerm, type DecodeOptions } from '../wire/etf/decode.ts';
import { formatTerm } from '../wire/etf/format.ts';
import { isAtom, isTuple, type Term } from '../wire/etf/term.ts';

const VERSION = 131;
const SMALL_TUPLE_EXT = 104;
const ATOM_EXT = 100;
const SMALL_ATOM_EXT = 115;
const ATOM_UTF8_EXT = 118;
const SMALL_ATOM_UTF8_EXT = 119;
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** What a log line may show of an attacker's service term or name. */
export const SHOWN_TERM_CHARS = 64;

/** A name from the peer as a log may show it: at most SHOWN_TERM_CHARS characters, then `...`. */
export function shownName(name: string): string {
  return name.length <= SHOWN_TERM_CHARS ? name : `${name.slice(0, SHOWN_TERM_CHARS)}...`;
}

export interface StartService {
  /** The service's name, when it is an atom. */
  service: string | undefined;
  /** The service term as a log may show it (a bounded prefix) when it is not an atom. */
  shown: string | undefined;
  /** Decode ArgsC (call only once the login may go on; throws badTerm). */
  argsC(): Term;
}

/** An atom at `p`: its name and where it ends, or undefined. */
function atomAt(b: Uint8Array, p: number): { name: string; end: number } | undefined {
  const tag = b[p];
  let len: number;
  let at: number;
  if (tag === ATOM_EXT || tag === ATOM_UTF8_EXT) {
    if (p + 3 > b.length) return undefined;
    len = (b[p + 1] << 8) | b[p + 2];
    at = p + 3;
  } else if (tag === SMALL_ATOM_EXT || tag === SMALL_ATOM_UTF8_EXT) {
    if (p + 2 > b.length) return undefined;
    len = b[p + 1];
    at = p + 2;
  } else {
    return undefined;
  }
  if (at + len > b.length || len > 255 * 4) return undefined;
  let name: string;
  try {
    name = tag === ATOM_EXT || tag === SMALL_ATOM_EXT ? String.fromCharCode(...b.subarray(at, at + len)) : UTF8.decode(b.subarray(at, at + len));
  } catch {
    return undefined;
  }
  return { name, end: at + len };
}

/**
 * `{startService, Service, ArgsC}` from a legacy first frame, or undefined
 * when it is not one (the caller refuses). The common encoding (a small tuple
 * whose first two elements are atoms) is read without decoding ArgsC; any
 * other encoding (a compressed term, a large tuple) is decoded whole, which
 * maxLoginFrameBytes keeps small.
 */
export function readStartService(frame: Uint8Array, options: DecodeOptions): StartService | undefined {
  if (frame.length > 3 && frame[0] === VERSION && frame[1] === SMALL_TUPLE_EXT && frame[2] === 3) {
    const head = atomAt(frame, 3);
    if (head && head.name === 'startService') {
      const svc = atomAt(frame, head.end);
      if (svc) {
        const argsAt = svc.end;
        return {
          service: svc.name,
          shown: undefined,
          argsC: () => {
            const bytes = new Uint8Array(1 + frame.length - argsAt);
            bytes[0] = VERSION;
            bytes.set(frame.subarray(argsAt), 1);
            return decodeTerm(bytes, options);
          },
        };
      }
    }
  }
  const term = decodeTerm(frame, options);
  if (!isTuple(term, 3, 'startService')) return undefined;
  const [, svcTerm, argsC] = term.elements;
  return {
    service: isAtom(svcTerm) ? svcTerm.name : undefined,
    shown: isAtom(svcTerm) ? undefined : formatTerm(svcTerm, { maxLength: SHOWN_TERM_CHARS }),
    argsC: () => argsC,
  };
}
