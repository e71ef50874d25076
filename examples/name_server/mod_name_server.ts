/**
 * The book's name server: `{store, Key, Value}` by cast, `{lookup, Key}` by
 * rpc, answered with `{ok, Value}` or `undefined`.
 *
 * Served by `start_me_up(MM, ArgsC, ArgsS)` as in conf/lib_chan.conf:
 *   {service, nameServer, password, "ABXy45", mfa, mod_name_server, start_me_up, notUsed}.
 */
import { formatTerm, isTuple, type MiddleMan, type Term } from 'lib-chan';
import { lookup, storeValue } from './kvs.ts';

export async function start_me_up(mm: MiddleMan, _argsC: Term, _argsS: Term): Promise<void> {
  // The loop ends when the client goes away (the original's {chan_closed, MM}).
  for await (const req of mm.requests()) {
    const msg = req.term;
    if (isTuple(msg, 3, 'store')) {
      storeValue(msg.at(1), msg.at(2));
    } else if (isTuple(msg, 2, 'lookup')) {
      req.reply(lookup(msg.at(1)));
    } else if (req.isCall) {
      // The original leaves unknown requests in the mailbox forever; we say so (quoting a bounded prefix: the request is the peer's).
      req.fail('badRequest', `the name server understands {store, K, V} and {lookup, K}, not ${formatTerm(msg, { maxLength: 200 })}`);
    }
  }
}
