// The README's client snippet, as a file (test/package runs it against a live
// server): the book's name-server session over the secure protocol.
//
//   node examples/client.mjs [host] [port]
import { connect, atom, tuple, formatTerm } from 'lib-chan';

const [host = '127.0.0.1', port = '1234'] = process.argv.slice(2);

// Secure by default: the server's key is pinned on first use in ~/.lib_chan/known_hosts.
const ch = await connect(host, Number(port), 'nameServer', 'ABXy45');
ch.cast(tuple(atom('store'), atom('joe'), 'writing a book'));
console.log(formatTerm(await ch.rpc(tuple(atom('lookup'), atom('joe'))))); // {ok,"writing a book"}
console.log(formatTerm(await ch.rpc(tuple(atom('lookup'), atom('jim')), { timeoutMs: 5000 }))); // undefined
ch.close();
