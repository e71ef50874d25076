/**
 * Node-only: key files and the known-hosts file (formats in keys.ts).
 *
 * - A secret key file is created with mode 0600 and never overwritten; it is
 *   refused at load time when group or others may read it (badConf telling
 *   the user to `chmod 600 <file>`), as ssh refuses an open private key.
 * - The known-hosts file pins each server's identity key on first use. A
 *   different key later is serverKeyMismatch naming the host, both
 *   fingerprints and the file and line to edit; the file is not touched.
 *   Nothing is ever re-pinned silently.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChanError } from "../errors.js";
import { bytesEqual } from "../wire/bytes.js";
import { tweetnaclProvider } from "./crypto.js";
import { KEY_KINDS, decodePublicKey, encodeSecretKeyFile, formatKnownHostLine, keyPairFromSecret, lookupKnownHost, parseKnownHosts, parseSecretKeyFile, serverKeyMismatchError, } from "./keys.js";
const SECRET_BYTES = 32;
/** Permission bits for group and others. */
const GROUP_OTHER = 0o077;
function fsError(err, file, what) {
    const code = err?.code ?? 'error';
    return new ChanError('badConf', `${file}: cannot ${what} (${code})`, { details: { file }, cause: err });
}
/**
 * Create a new secret key file (mode 0600; an existing file is an error,
 * never overwritten) and return its key pair.
 */
export function generateKeyFile(file, kind, provider = tweetnaclProvider) {
    const secret = provider.randomBytes(SECRET_BYTES);
    const text = encodeSecretKeyFile(kind, secret, provider);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    try {
        fs.writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
    }
    catch (err) {
        if (err.code === 'EEXIST') {
            throw new ChanError('badConf', `${file} already exists; refusing to overwrite a key (move it away first)`, { details: { file } });
        }
        throw fsError(err, file, 'write');
    }
    return keyPairFromSecret(kind, secret, provider);
}
/**
 * Load a secret key file. Refused (badConf) when group or others have any
 * permission on it, on systems with POSIX modes.
 */
export function loadKeyFile(file, kind, provider = tweetnaclProvider) {
    let fd;
    try {
        fd = fs.openSync(file, 'r');
    }
    catch (err) {
        throw fsError(err, file, 'open the key file');
    }
    try {
        const st = fs.fstatSync(fd);
        if (process.platform !== 'win32' && (st.mode & GROUP_OTHER) !== 0) {
            const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
            throw new ChanError('badConf', `${file}: ${KEY_KINDS[kind].what} file is accessible by group or others (mode ${mode}); run: chmod 600 ${file}`, {
                details: { file, mode },
            });
        }
        const text = fs.readFileSync(fd, 'utf8');
        return keyPairFromSecret(kind, parseSecretKeyFile(kind, text, file), provider);
    }
    finally {
        fs.closeSync(fd);
    }
}
/**
 * Trust on first use: 'match' when `file` pins `publicKey` for `hostport`;
 * 'new' when the host is not in the file, after appending a line that pins
 * it (the file and its directory are created when missing); and
 * serverKeyMismatch, leaving the file unchanged, when the host is pinned to
 * another key.
 */
export function checkKnownHost(file, hostport, publicKey, provider = tweetnaclProvider) {
    if (/\s/.test(hostport) || hostport === '')
        throw new ChanError('badArgument', `host "${hostport}" cannot be written to a known-hosts file`);
    let text = '';
    try {
        text = fs.readFileSync(file, 'utf8');
    }
    catch (err) {
        if (err.code !== 'ENOENT')
            throw fsError(err, file, 'read the known-hosts file');
    }
    const found = lookupKnownHost(parseKnownHosts(text).entries, hostport, publicKey);
    if (found.status === 'match')
        return 'match';
    if (found.status === 'mismatch') {
        throw serverKeyMismatchError(hostport, found.entry.keyText, publicKey, { file, line: found.entry.line }, provider);
    }
    try {
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        const sep = text === '' || text.endsWith('\n') ? '' : '\n';
        fs.appendFileSync(file, sep + formatKnownHostLine(hostport, publicKey), { mode: 0o644 });
    }
    catch (err) {
        throw fsError(err, file, 'append to the known-hosts file');
    }
    return 'new';
}
/**
 * The key `file` lists first for `hostport`, or undefined (no file, no entry,
 * unreadable or malformed: checkKnownHost reports those when it matters).
 * A hint only, read before the connection exists: the client computes its
 * es with it while the reply is on its way; checkKnownHost still decides.
 */
export function knownHostKey(file, hostport) {
    try {
        const entry = parseKnownHosts(fs.readFileSync(file, 'utf8')).entries.find((e) => e.hostport === hostport);
        return entry ? decodePublicKey('server', entry.keyText) : undefined;
    }
    catch {
        return undefined;
    }
}
/**
 * A `checkKey` for clientOnReply that pins through `file` (see
 * checkKnownHost). `listed`: the key knownHostKey read from the file for this
 * host just before connecting; the same key presented is a match without
 * reading the file again, anything else is checked against the file as it is now.
 */
export function knownHostsChecker(file, hostport, provider, listed) {
    return (serverKey) => {
        if (listed !== undefined && bytesEqual(listed, serverKey))
            return;
        checkKnownHost(file, hostport, serverKey, provider);
    };
}
//# sourceMappingURL=keys-node.js.map