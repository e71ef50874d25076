import { type CryptoProvider, type KeyPair } from './crypto.ts';
import { type KeyKind } from './keys.ts';
/**
 * Create a new secret key file (mode 0600; an existing file is an error,
 * never overwritten) and return its key pair.
 */
export declare function generateKeyFile(file: string, kind: KeyKind, provider?: CryptoProvider): KeyPair;
/**
 * Load a secret key file. Refused (badConf) when group or others have any
 * permission on it, on systems with POSIX modes.
 */
export declare function loadKeyFile(file: string, kind: KeyKind, provider?: CryptoProvider): KeyPair;
/**
 * Trust on first use: 'match' when `file` pins `publicKey` for `hostport`;
 * 'new' when the host is not in the file, after appending a line that pins
 * it (the file and its directory are created when missing); and
 * serverKeyMismatch, leaving the file unchanged, when the host is pinned to
 * another key.
 */
export declare function checkKnownHost(file: string, hostport: string, publicKey: Uint8Array, provider?: CryptoProvider): 'match' | 'new';
/**
 * The key `file` lists first for `hostport`, or undefined (no file, no entry,
 * unreadable or malformed: checkKnownHost reports those when it matters).
 * A hint only, read before the connection exists: the client computes its
 * es with it while the reply is on its way; checkKnownHost still decides.
 */
export declare function knownHostKey(file: string, hostport: string): Uint8Array | undefined;
/**
 * A `checkKey` for clientOnReply that pins through `file` (see
 * checkKnownHost). `listed`: the key knownHostKey read from the file for this
 * host just before connecting; the same key presented is a match without
 * reading the file again, anything else is checked against the file as it is now.
 */
export declare function knownHostsChecker(file: string, hostport: string, provider?: CryptoProvider, listed?: Uint8Array): (serverKey: Uint8Array) => void;
//# sourceMappingURL=keys-node.d.ts.map