/**
 * The book's `kvs`: one key-value store shared by every connection of the
 * server (the original is a registered process). Keys are any term; two keys
 * are the same when they print the same in Erlang syntax.
 */
import { atom, formatTerm, tuple, type Term } from 'lib-chan/terms';

const store = new Map<string, Term>();

export function storeValue(key: Term, value: Term): void {
  store.set(formatTerm(key), value);
}

/** `{ok, Value}` or `undefined`, as kvs:lookup/1 answers. */
export function lookup(key: Term): Term {
  const k = formatTerm(key);
  return store.has(k) ? tuple(atom('ok'), store.get(k)) : undefined;
}
