/**
 * Key text forms, fingerprints, key files and known-hosts lines: the pure
 * part (no file I/O; `keys-node.ts` reads and writes the files).
 *
 * | what                          | text form                                 |
 * |-------------------------------|-------------------------------------------|
 * | server identity, public       | `lcsk1:<base64url, 32 bytes X25519>`      |
 * | client key, public            | `lcck1:<base64url, 32 bytes Ed25519>`     |
 * | secret key file line          | `lcsk1-secret:<...>` / `lcck1-secret:<...>` (32 bytes: X25519 secret / Ed25519 seed) |
 * | fingerprint (for people)      | `SHA512:<base64, first 32 bytes of SHA-512(public key)>` |
 * | known-hosts line              | `<host>:<port> lcsk1:<...>`               |
 */
import { ChanError } from '../errors.ts';
import { type CryptoProvider, type KeyPair } from './crypto.ts';
export declare const KEY_KINDS: {
    /** The server's static X25519 identity (the Noise `s`). */
    readonly server: {
        readonly prefix: "lcsk1";
        readonly what: "server identity key (X25519)";
    };
    /** A client's Ed25519 login key (method `key`). */
    readonly client: {
        readonly prefix: "lcck1";
        readonly what: "client login key (Ed25519)";
    };
};
export type KeyKind = keyof typeof KEY_KINDS;
/** `lcsk1:...` or `lcck1:...`: the public key as one copyable word. */
export declare function encodePublicKey(kind: KeyKind, publicKey: Uint8Array): string;
/** Parse a public key text form; badArgument naming the problem when it is not one. */
export declare function decodePublicKey(kind: KeyKind, text: string): Uint8Array;
/** `SHA512:<base64>` of the first 256 bits of SHA-512(key), for people to compare (like ssh's SHA256:...). */
export declare function fingerprint(publicKey: Uint8Array, provider?: CryptoProvider): string;
/** Key pair from the 32 secret bytes of a key file (X25519 secret or Ed25519 seed). */
export declare function keyPairFromSecret(kind: KeyKind, secret: Uint8Array, provider?: CryptoProvider): KeyPair;
/** The text of a secret key file. It names its public key in a comment so `cat` is enough to copy it. */
export declare function encodeSecretKeyFile(kind: KeyKind, secret: Uint8Array, provider?: CryptoProvider): string;
/** Parse a secret key file's text; badConf naming the file when it holds no valid key line. */
export declare function parseSecretKeyFile(kind: KeyKind, text: string, file?: string): Uint8Array;
export interface KnownHostEntry {
    /** `host:port` exactly as written (IPv6 as `[::1]:1234`). */
    hostport: string;
    keyText: string;
    /** 1-based line number in the file. */
    line: number;
}
export type KnownHostStatus = {
    status: 'match';
    entry: KnownHostEntry;
} | {
    status: 'new';
} | {
    status: 'mismatch';
    entry: KnownHostEntry;
};
/**
 * Parse a known-hosts file: one `host:port key` per line, `#` comments and
 * blank lines ignored. Lines that do not parse are skipped (reported in
 * `bad`), as ssh does, so one damaged line cannot lock a user out silently.
 */
export declare function parseKnownHosts(text: string): {
    entries: KnownHostEntry[];
    bad: number[];
};
/** `host:port`, with IPv6 literals in brackets. */
export declare function formatHostPort(host: string, port: number): string;
export declare function formatKnownHostLine(hostport: string, publicKey: Uint8Array): string;
/**
 * What the file says about `hostport` presenting `publicKey`: a line with the
 * same key is a match (a host may have several lines, as in ssh); otherwise
 * the first line for the host is a mismatch; no line is new.
 */
export declare function lookupKnownHost(entries: readonly KnownHostEntry[], hostport: string, publicKey: Uint8Array): KnownHostStatus;
/** The ssh-like error for a changed server key: host, both fingerprints, and the line to edit. */
export declare function serverKeyMismatchError(hostport: string, oldKey: Uint8Array | string, newKey: Uint8Array, where?: {
    file?: string;
    line?: number;
}, provider?: CryptoProvider): ChanError;
//# sourceMappingURL=keys.d.ts.map