/**
 * Node defaults for the secure client: the native crypto provider, trust on
 * first use through ~/.lib_chan/known_hosts (unless a key is pinned or
 * knownHosts is false), announced (onFirstUse, else a LIB_CHAN_TOFU process
 * warning) or refused (trustOnFirstUse: false), and client keys read from
 * key files. `hostport` is the canonical form (formatHostPort: `[::1]:1234`).
 */
import os from 'node:os';
import path from 'node:path';
import { nodeProvider } from '../auth/crypto-node.ts';
import { knownHostKey, knownHostsChecker, loadKeyFile, type FirstUse, type FirstUseInfo } from '../auth/keys-node.ts';
import type { ConnectOptions } from './connect.ts';

/** `$LIB_CHAN_KNOWN_HOSTS`, else `~/.lib_chan/known_hosts` (of `env`'s HOME when it has one). */
export function defaultKnownHostsFile(env: Record<string, string | undefined> = process.env): string {
  return env.LIB_CHAN_KNOWN_HOSTS ?? path.join(env.HOME ?? os.homedir(), '.lib_chan', 'known_hosts');
}

export function nodeClientDefaults(options: ConnectOptions, hostport: string): ConnectOptions {
  if (options.protocol === 'legacy') return options;
  const out: ConnectOptions = { ...options, crypto: options.crypto ?? nodeProvider };
  if (out.serverKey === undefined && out.checkServerKey === undefined && out.knownHosts !== false) {
    const file = out.knownHosts ?? defaultKnownHostsFile();
    // Read once here: the key listed lets the client compute its es ahead, and spares the check a second read when it matches.
    out.serverKeyHint = knownHostKey(file, hostport);
    const firstUse: FirstUse = out.trustOnFirstUse === false ? { refuse: true } : { onNew: out.onFirstUse ?? announceFirstUse };
    out.checkServerKey = knownHostsChecker(file, hostport, out.crypto, out.serverKeyHint, firstUse);
  }
  if (out.clientKey === undefined && out.clientKeyFile !== undefined) {
    out.clientKey = loadKeyFile(out.clientKeyFile, 'client', out.crypto);
  }
  return out;
}

/** The default announcement of a key pinned on first use: a process warning the caller sees on stderr (or with process.on('warning')). */
function announceFirstUse(info: FirstUseInfo): void {
  process.emitWarning(
    `lib_chan: first connection to ${info.hostport}: trusting its server key ${info.fingerprint} and pinning it in ${info.file}. Check the fingerprint with the server's operator (lib_chan status), or pass serverKey / trustOnFirstUse: false`,
    { code: 'LIB_CHAN_TOFU' },
  );
}
