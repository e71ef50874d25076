/**
 * The small SSH interface `lib-chan remote` is written against: connect (host key checked by
 * the caller's verifier, key-file or agent authentication), run a command with its stdout,
 * stderr, stdin and exit, upload a folder by SFTP, close. The only implementation is
 * ssh2-client.ts (the `ssh2` package), imported when a remote command runs, never before.
 *
 * Every failure is a ChanError whose code names what went wrong at the connect stage:
 * connectionRefused, connectTimeout, hostKeyMismatch, unknownHostKey, authFail, or
 * connectionLost (the session ended after it was up).
 */
import type { HostKeyVerdict } from './known-hosts.ts';

export interface SshTarget {
  user: string;
  host: string;
  port: number;
}

export interface SshAuth {
  /** Private key files (unencrypted; an encrypted key belongs in ssh-agent). */
  keyFiles: string[];
  /** ssh-agent socket (SSH_AUTH_SOCK). */
  agent?: string;
}

export interface SshConnectOptions {
  target: SshTarget;
  auth: SshAuth;
  /** The whole connect stage: TCP, SSH handshake, host key, authentication. */
  timeoutMs: number;
  /** Decides on the presented host key (its SSH wire blob). Anything but a match ends the connection. */
  verifyHostKey(blob: Uint8Array): HostKeyVerdict | 'accepted';
  /** Host key algorithms to ask for first (the types pinned in known_hosts). */
  preferHostKeyTypes?: string[];
}

export interface RemoteExit {
  code: number | null;
  signal: string | null;
}

export interface RemoteProcess {
  onStdout(f: (chunk: Uint8Array) => void): void;
  onStderr(f: (chunk: Uint8Array) => void): void;
  write(text: string): void;
  /** Close its stdin. */
  end(): void;
  /** The channel closed (with the exit status when the server sent one). */
  readonly closed: Promise<RemoteExit>;
}

export interface UploadResult {
  files: number;
  bytes: number;
  /** Entries that are neither files nor folders (symlinks, sockets, ...): not uploaded. */
  skipped: string[];
}

export interface SshConnection {
  exec(command: string): Promise<RemoteProcess>;
  /** Copy the regular files and folders under `localDir` into `remoteDir` (created; relative to the login folder). */
  upload(localDir: string, remoteDir: string): Promise<UploadResult>;
  close(): void;
  /** Settles when the connection ends, for whatever reason. */
  readonly ended: Promise<void>;
}

export type SshConnector = (opts: SshConnectOptions) => Promise<SshConnection>;
