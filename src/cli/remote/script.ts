/**
 * The POSIX shell scripts `lib-chan remote` runs on the remote host (with sh, whatever the
 * login shell is; they need setsid, ps and GNU tail, as Linux hosts have).
 *
 * Start: the gateway runs as `setsid -w sh -c 'echo PID; exec CMD ARGS'`, so it leads its own
 * session and process group (the PID it reports is the group to kill) and outlives the SSH
 * session. Its stdout and stderr go to files in its remote folder, which two `tail -f --pid`
 * stream back over the SSH channel while the start is watched (and drain what is left when it
 * exits). A watcher reads the channel's stdin:
 *   `detach`  the start succeeded: report the process start time, stop streaming, leave it running;
 *   `stop`, or the end of stdin (the local side failed, or vanished: its connection dropped or it
 *             was killed): SIGTERM the group, SIGKILL what is left after the grace, report whether
 *             anything remains, and remove the log files and uploaded files.
 * So no failure after the boot stage leaves anything behind, even when the local side dies.
 *
 * Markers are lines `NONCE WORD ...` with a random nonce per run, so the gateway's own output
 * cannot be mistaken for them.
 */

/** One argument for sh, single-quoted. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The program a remote command starts with (after any VAR=value words), for the PATH check. */
export function firstWord(command: string): string {
  const words: string[] = [];
  let cur = '';
  let quote: '"' | "'" | undefined;
  let any = false;
  for (const ch of command) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      any = true;
    } else if (/\s/.test(ch)) {
      if (cur !== '' || any) words.push(cur);
      cur = '';
      any = false;
    } else {
      cur += ch;
    }
  }
  if (cur !== '' || any) words.push(cur);
  return words.find((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) ?? '';
}

export interface StartScriptOptions {
  nonce: string;
  /** The gateway's remote folder (relative to the login folder, or absolute). */
  dir: string;
  /** Where the command runs (relative to the login folder); undefined: the login folder. */
  cwd?: string;
  /** The remote command, as the operator wrote it (a shell command line). */
  command: string;
  args: string[];
  /** Export LIB_CHAN_LOG_LEVEL=info (readiness is read from info-level log events). */
  infoLogs: boolean;
  /** Tenths of a second between SIGTERM and SIGKILL when the watcher stops the gateway. */
  graceTenths: number;
  /** Paths under `dir` removed when the start fails. */
  removeOnFailure: string[];
}

export function startScript(o: StartScriptOptions): string {
  const inner = `echo "$0 PID $$"; exec ${o.command} "$@"`;
  const clean = ['"$ad/out.log"', '"$ad/err.log"', ...o.removeOnFailure.map((p) => `"$ad/"${shQuote(p)}`)].join(' ');
  return [
    `N=${o.nonce}; d=${shQuote(o.dir)}; c=${shQuote(firstWord(o.command))}`,
    'echo "$N PATH $PATH"',
    'umask 077',
    'for t in setsid ps tail sed awk; do command -v $t >/dev/null 2>&1 || { echo "$N NOTFOUND $t"; exit 127; }; done',
    'case $d in /*) ad=$d ;; *) ad=$HOME/$d ;; esac',
    'out="$ad/out.log"; err="$ad/err.log"',
    o.cwd !== undefined ? `cd ${shQuote(o.cwd)} 2>/dev/null || { echo "$N NOCWD"; exit 126; }` : ':',
    // Nothing is created before the command is known to be there.
    'p=$(command -v "$c" 2>/dev/null) || { echo "$N NOTFOUND $c"; exit 127; }',
    'case $p in */*) if [ -d "$p" ] || [ ! -x "$p" ]; then echo "$N NOEXEC $p"; exit 126; fi ;; esac',
    '{ mkdir -p "$ad" && : >"$out" && : >"$err"; } 2>/dev/null || { echo "$N NODIR $ad"; exit 126; }',
    o.infoLogs ? 'LIB_CHAN_LOG_LEVEL=info; export LIB_CHAN_LOG_LEVEL' : ':',
    `setsid -w sh -c ${shQuote(inner)} "$N" ${o.args.map(shQuote).join(' ')} >"$out" 2>"$err" </dev/null &`,
    'w=$!',
    'tail -s 0.1 -n +1 -f --pid=$w "$out" & t1=$!',
    'tail -s 0.1 -n +1 -f --pid=$w "$err" >&2 & t2=$!',
    'exec 4<&0',
    ALIVE,
    '{',
    // When the session is gone, writing the report fails; the clean-up must not die of SIGPIPE first.
    "  trap '' PIPE",
    '  read -r m <&4 || m=eof',
    '  pg=$(sed -n "1s/^$N PID //p" "$out"); [ -n "$pg" ] || pg=$w',
    '  if [ "$m" = detach ]; then',
    '    echo "$N DETACHED $(ps -o lstart= -p "$pg")"',
    '    kill $t1 $t2 $$ 2>/dev/null; exit 0',
    '  fi',
    ...stopLines(o.graceTenths, `rm -rf ${clean}; (cd && rmdir -p "$d" 2>/dev/null)`),
    '  exit 0',
    '} &',
    'r=$!',
    'wait $w 2>/dev/null; s=$?',
    'wait $t1 $t2',
    'echo "$N EXIT $s"; echo "$N EXIT $s" >&2',
    'wait $r',
  ].join('\n');
}

/**
 * `alive`: does the process group $pg still have a live member? Zombies do not count (they are
 * dead and wait only to be collected; `kill -0` still succeeds on them, and a detached gateway's
 * parent, PID 1, collects late or never on some VMs and containers).
 */
const ALIVE = `alive() { ps -eo pgid=,stat= 2>/dev/null | awk -v g="$pg" '$1==g && $2 !~ /^Z/ {f=1} END {exit !f}'; }`;

/** SIGTERM the group $pg, SIGKILL after the grace, run `then`, and report `$N GONE $pg TERM|KILL` or `$N LEFT $pg`. */
function stopLines(graceTenths: number, then = ':'): string[] {
  return [
    '  kill -s TERM -- "-$pg" 2>/dev/null; how=TERM; i=0',
    `  while alive && [ $i -lt ${graceTenths} ]; do sleep 0.1; i=$((i+1)); done`,
    '  if alive; then how=KILL; kill -s KILL -- "-$pg" 2>/dev/null; i=0',
    '    while alive && [ $i -lt 20 ]; do sleep 0.1; i=$((i+1)); done; fi',
    `  ${then}`,
    '  if alive; then echo "$N LEFT $pg"; else echo "$N GONE $pg $how"; fi',
  ];
}

/**
 * Stop a detached gateway: only when the process `pid` still started at `lstart` (so a reused PID
 * is never signalled), or when its process group still has members (a group ID is not reused
 * while the group exists). Reports `$N NOTRUNNING`, or the lines of stopLines.
 */
export function stopScript(o: { nonce: string; pid: number; lstart: string; graceTenths: number }): string {
  return [
    `N=${o.nonce}; pg=${o.pid}; want=${shQuote(normalizeLstart(o.lstart))}`,
    ...ownedCheck(),
    'if [ "$own" != yes ]; then echo "$N NOTRUNNING $why"; exit 0; fi',
    ...stopLines(o.graceTenths),
  ].join('\n');
}

/** Is the gateway alive? `$N RUNNING`, or `$N NOTRUNNING why`, then the last lines of its logs (stdout to stdout, stderr to stderr). */
export function statusScript(o: { nonce: string; pid: number; lstart: string; dir: string; lines: number }): string {
  return [
    `N=${o.nonce}; pg=${o.pid}; want=${shQuote(normalizeLstart(o.lstart))}; d=${shQuote(o.dir)}`,
    ...ownedCheck(),
    'if [ "$own" = yes ]; then echo "$N RUNNING $why"; else echo "$N NOTRUNNING $why"; fi',
    `tail -n ${o.lines} "$d/out.log" 2>/dev/null; tail -n ${o.lines} "$d/err.log" >&2 2>/dev/null`,
    'exit 0',
  ].join('\n');
}

/** Sets own=yes|no and why=leader|group|exited|pid-reused for the recorded group $pg. */
function ownedCheck(): string[] {
  return [
    ALIVE,
    'now=$(ps -o lstart= -p "$pg" 2>/dev/null | tr -s " " | sed "s/^ //; s/ $//"); lst=$(ps -o stat= -p "$pg" 2>/dev/null)',
    'if ! alive; then own=no; why=exited',
    'elif [ -n "$now" ] && [ "$now" = "$want" ]; then own=yes; why=leader',
    // The leader is gone (or dead) but members of its group live on: a group ID is not reused while the group exists.
    'elif [ -z "$now" ] || [ "${lst#Z}" != "$lst" ]; then own=yes; why=group',
    'else own=no; why=pid-reused; fi',
  ];
}

/** `ps -o lstart=` pads with spaces; compare with single spaces. */
export function normalizeLstart(s: string): string {
  return s.trim().replace(/\s+/g, ' ');
}

/** Wrap a script for the login shell, whatever it is. */
export function viaSh(script: string): string {
  return `sh -c ${shQuote(script)}`;
}
