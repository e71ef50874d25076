// The example page: the name server and the chat room over the secure
// protocol, from the bundle that `npm run build` makes (dist/lib_chan.browser.js,
// which index.html's import map names lib-chan/browser).
//
// The server key is pinned from /server-key, served by the page's own origin
// (examples/browser/serve.ts reads it from the server's key file). A real
// deployment does the same, or embeds the key at build time: never take it
// from the WebSocket server being checked. `?ws=URL` connects elsewhere
// (the browser tests put a tampering proxy there).
import { connect, atom, tuple, formatTerm, ChanError } from 'lib-chan/browser';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

/** Show `text` in element `id`, with a state for styling (and for tests). */
function show(id, text, state, code) {
  const el = $(id);
  el.textContent = text;
  if (state) el.dataset.state = state;
  if (code) el.dataset.code = code;
  else delete el.dataset.code;
}

const codeOf = (e) => (e instanceof ChanError ? e.code : 'error');
const describe = (e) => `error: ${codeOf(e)}${e instanceof ChanError ? '' : ` (${e.message ?? e})`}`;

/** Reflect the channel's end in `statusId`: "closed: <reason>". */
function watch(ch, statusId) {
  ch.closed.then((info) => {
    const reason = info.error?.code ?? info.reason;
    show(statusId, `closed: ${reason}`, 'closed', reason);
  });
}

async function main() {
  const [serverKey, config] = await Promise.all([
    fetch('/server-key')
      .then((r) => r.text())
      .then((t) => t.trim()),
    fetch('/config.json').then((r) => r.json()),
  ]);
  const url = params.get('ws') ?? config.url;
  show('server-key', serverKey);
  let names;
  let chat;

  $('connect').disabled = false;
  $('join').disabled = false;

  $('connect').onclick = async () => {
    names?.close();
    show('status', 'connecting…', 'connecting');
    try {
      names = await connect(url, 'nameServer', $('password').value, [], { serverKey });
    } catch (e) {
      show('status', describe(e), 'error', codeOf(e));
      return;
    }
    show('status', `connected (${names.secure ? 'secure' : 'legacy'}) to ${names.peer}`, 'open');
    watch(names, 'status');
    $('store').disabled = false;
    $('lookup').disabled = false;
  };

  $('store').onclick = () => {
    try {
      names.cast(tuple(atom('store'), atom($('key').value), $('value').value));
      show('result', `stored ${$('key').value}`, 'ok');
    } catch (e) {
      show('result', describe(e), 'error', codeOf(e));
    }
  };

  $('lookup').onclick = async () => {
    show('result', 'looking up…', 'pending');
    try {
      const reply = await names.rpc(tuple(atom('lookup'), atom($('key').value)), { timeoutMs: 5000 });
      show('result', formatTerm(reply), 'ok');
    } catch (e) {
      show('result', describe(e), 'error', codeOf(e));
    }
  };

  $('join').onclick = async () => {
    chat?.close();
    show('chat-status', 'joining…', 'connecting');
    try {
      chat = await connect(url, 'chat', null, $('nick').value, { serverKey });
    } catch (e) {
      show('chat-status', describe(e), 'error', codeOf(e));
      return;
    }
    show('chat-status', `joined as ${$('nick').value}`, 'open');
    watch(chat, 'chat-status');
    $('say').disabled = false;
    chat.onPush((msg) => {
      const li = document.createElement('li');
      li.textContent = formatTerm(msg);
      $('pushes').append(li);
    });
  };

  $('say').onclick = () => {
    try {
      chat.cast(tuple(atom('say'), $('say-text').value));
    } catch (e) {
      show('chat-status', describe(e), 'error', codeOf(e));
    }
  };
}

main().catch((e) => show('status', describe(e), 'error', codeOf(e)));
