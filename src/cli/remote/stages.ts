/**
 * The stages of `lib-chan remote start`, the failure codes of each, and the exit status of each
 * code (one table; the README's "Remote start" table is rendered from it and a test compares).
 */
import type { ErrorCode } from '../../errors.ts';
import { LIMITS } from '../../limits.ts';

export const STAGES = ['connect', 'upload', 'boot', 'init', 'startup'] as const;
export type Stage = (typeof STAGES)[number];

/** What each stage waits for, and the limit that bounds it. */
export const STAGE_INFO: Record<Stage, { until: string; limit: keyof typeof LIMITS; option: string }> = {
  connect: { until: 'SSH session up: TCP, host key checked against known_hosts, authenticated', limit: 'remoteConnectTimeoutMs', option: '--connect-timeout' },
  upload: { until: '(with --upload) the folder copied by SFTP', limit: 'remoteUploadTimeoutMs', option: '--upload-timeout' },
  boot: {
    until: 'the remote command found on the remote PATH, started in its own process group, its PID reported',
    limit: 'remoteBootTimeoutMs',
    option: '--boot-timeout',
  },
  init: { until: 'conf, handlers and identity loaded (the `initialized` log event)', limit: 'remoteInitTimeoutMs', option: '--init-timeout' },
  startup: { until: 'listeners bound (the `configLoaded` event: ports, public key)', limit: 'remoteStartupTimeoutMs', option: '--startup-timeout' },
};

interface FailureSpec {
  exit: number;
  stages: readonly Stage[] | 'any';
  meaning: string;
  /** What is left on the remote host after this failure. */
  left: string;
}

const NOTHING_STARTED = 'nothing: nothing was started';
const STOPPED = 'nothing: the process group is stopped (SIGTERM, SIGKILL after --stop-timeout; children too), its logs and the upload removed';

/** Exit status per code. 0 ok, 1 anything else, 2 usage, 3 badConf as for `lib_chan start`. */
export const REMOTE_FAILURES = {
  connectionRefused: { exit: 10, stages: ['connect'], meaning: 'nothing listens on the SSH port, or the host is unreachable', left: NOTHING_STARTED },
  connectTimeout: { exit: 11, stages: ['connect'], meaning: 'no SSH session within the connect timeout', left: NOTHING_STARTED },
  hostKeyMismatch: {
    exit: 12,
    stages: ['connect'],
    meaning: 'the host key differs from the one pinned in known_hosts (or is @revoked); both fingerprints are printed',
    left: NOTHING_STARTED,
  },
  unknownHostKey: {
    exit: 13,
    stages: ['connect'],
    meaning: 'known_hosts has no key for the host (pin it, or pass --accept-new); the presented fingerprint is printed',
    left: NOTHING_STARTED,
  },
  authFail: { exit: 14, stages: ['connect'], meaning: 'SSH authentication refused (user, key file or agent keys)', left: NOTHING_STARTED },
  connectionLost: {
    exit: 15,
    stages: 'any',
    meaning: 'the SSH connection dropped after it was up',
    left: 'nothing once the remote watcher sees its session end (it stops the group and removes the files); the report says this could not be confirmed',
  },
  commandNotFound: {
    exit: 20,
    stages: ['boot'],
    meaning: 'the remote command (or setsid, ps, tail, sed, awk) is not on the remote PATH; the PATH is printed',
    left: 'nothing: checked before anything is created; an upload is removed',
  },
  permissionDenied: {
    exit: 21,
    stages: ['upload', 'boot'],
    meaning: 'the remote command is not executable, or a remote folder cannot be written',
    left: 'nothing: an upload is removed',
  },
  uploadFailed: { exit: 22, stages: ['upload'], meaning: 'an SFTP upload failed (or timed out)', left: 'nothing: the partial upload is removed' },
  bootTimeout: { exit: 23, stages: ['boot'], meaning: 'the remote command did not report its PID in time', left: STOPPED },
  badConf: { exit: 3, stages: ['init', 'startup'], meaning: "the gateway refused its conf; the gateway's own file:line: problem is printed", left: STOPPED },
  initTimeout: { exit: 30, stages: ['init'], meaning: 'the conf, handlers and identity were not loaded in time', left: STOPPED },
  startupTimeout: { exit: 40, stages: ['startup'], meaning: 'the listeners were not bound in time', left: STOPPED },
  exitedEarly: { exit: 41, stages: ['boot', 'init', 'startup'], meaning: 'the gateway exited before it was ready; its exit status is printed', left: STOPPED },
  badArgument: {
    exit: 2,
    stages: ['connect'],
    meaning: 'a local problem found before connecting (an unreadable or encrypted key file, no identity at all)',
    left: NOTHING_STARTED,
  },
} as const satisfies Partial<Record<ErrorCode, FailureSpec>>;

export type RemoteFailureCode = keyof typeof REMOTE_FAILURES;

export function exitStatusFor(code: string): number {
  return Object.hasOwn(REMOTE_FAILURES, code) ? REMOTE_FAILURES[code as RemoteFailureCode].exit : 1;
}

/** The README table of stages and codes. */
export function renderRemoteTable(): string {
  const rows = Object.entries(REMOTE_FAILURES).map(
    ([code, f]) => `| ${f.stages === 'any' ? 'any' : f.stages.join(', ')} | \`${code}\` | ${f.exit} | ${f.meaning} | ${f.left} |`,
  );
  return ['| stage | code | exit status | meaning | left behind on the remote host |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** The README table of the stages themselves. */
export function renderStageTable(): string {
  const rows = STAGES.map((s) => {
    const i = STAGE_INFO[s];
    return `| \`${s}\` | ${i.until} | \`${i.option}\` (\`${i.limit}\`, ${LIMITS[i.limit].default} ms) |`;
  });
  return ['| stage | ends when | timeout (limit, default) |', '|---|---|---|', ...rows].join('\n');
}
