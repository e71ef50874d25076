/**
 * Brute-force defence, the state behind authorize() (authorize.ts):
 *
 * - Lock-outs by address prefix: failed logins are counted per prefix
 *   (IPv4 /32 and IPv6 /64 by default: addressPrefixV4 / addressPrefixV6);
 *   maxLoginFailures within loginLockoutMs lock the prefix out of every
 *   service for loginLockoutMs. Server-wide, not per service, because the
 *   secure login names its service only inside the encrypted auth message:
 *   a per-service lock-out could only be applied after the key exchange,
 *   while this one is checked on the plaintext hello, before any X25519.
 * - A guess budget per service, shared by all addresses (a token bucket of
 *   maxServiceLoginFailures tokens refilled at loginGuessesPerSecond): each
 *   password check takes a token before it runs and a success gives it
 *   back. While tokens remain, logins are checked at once; once they are
 *   spent, every login to the service, right or wrong, waits for its turn,
 *   so failures and successes are answered on the same schedule and an
 *   attacker who does not wait for answers gains nothing. A login whose
 *   turn would come after its handshake deadline is refused (rateLimited)
 *   without a check. Rotating addresses therefore cannot push more than the
 *   budget of guesses per second through one service.
 *
 * Memory is bounded: at most MAX_TRACKED entries per table, oldest evicted first.
 */
const MAX_TRACKED = 100_000;

interface Entry {
  failures: number;
  windowStart: number;
  lockedUntil: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export interface LoginGuardOptions {
  maxLoginFailures: number;
  loginLockoutMs: number;
  addressPrefixV4: number;
  addressPrefixV6: number;
  now?: () => number;
}

/** The guess budget of one service (its limits: loginGuessesPerSecond, maxServiceLoginFailures as the burst). */
export interface GuessBudget {
  loginGuessesPerSecond: number;
  maxServiceLoginFailures: number;
}

export class LoginGuard {
  private readonly perPrefix = new Map<string, Entry>();
  private readonly buckets = new Map<string, Bucket>();
  private opts: LoginGuardOptions;
  private readonly now: () => number;
  /** Counters for metrics. `checks`: passwords (or keys) compared; `budgetRefused`: logins refused because the service's budget was spent. */
  readonly counts = { failures: 0, lockouts: 0, refusedWhileLocked: 0, checks: 0, budgetRefused: 0 };
  /** Logins waiting for their turn in a service's guess budget right now (authorize.ts keeps it). */
  waiting = 0;
  /** prefixOf()'s last address and answer (under the current limits). */
  private lastAddress: string | undefined;
  private lastPrefix = '';

  constructor(opts: LoginGuardOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
  }

  /** New limits (a conf reload); counts and lock-outs in progress are kept. */
  setLimits(limits: Omit<LoginGuardOptions, 'now'>): void {
    this.opts = { ...limits, now: this.now };
    this.lastAddress = undefined;
  }

  /**
   * The key failures of `address` are counted under: its /addressPrefixV4 or /addressPrefixV6 network.
   * The last answer is kept: one login asks four or five times (the accept's per-address count, the
   * lock-out check, the success), and parsing the address each time (regular expressions, arrays, a
   * join) cost about 18 of the 141 µs of server CPU a legacy login took (erl.ours.cpu.login).
   */
  prefixOf(address: string): string {
    if (address === this.lastAddress) return this.lastPrefix;
    const prefix = addressPrefix(address, this.opts.addressPrefixV4, this.opts.addressPrefixV6);
    this.lastAddress = address;
    this.lastPrefix = prefix;
    return prefix;
  }

  /** 0 when a login from `address` may proceed; else the ms until its prefix may try again. */
  check(address: string): number {
    const t = this.now();
    const e = this.perPrefix.get(this.prefixOf(address));
    if (e && e.lockedUntil > t) {
      this.counts.refusedWhileLocked++;
      return e.lockedUntil - t;
    }
    return 0;
  }

  /**
   * Take a turn from `service`'s guess budget: the ms to wait before the
   * check may run (0: at once), or undefined when the turn would come later
   * than `maxWaitMs` (refuse without checking; nothing is taken).
   */
  reserve(service: string, budget: GuessBudget, maxWaitMs: number): number | undefined {
    const b = this.bucket(service, budget);
    b.tokens -= 1;
    if (b.tokens >= 0) return 0;
    const wait = Math.ceil((-b.tokens * 1000) / budget.loginGuessesPerSecond);
    if (wait > maxWaitMs) {
      b.tokens += 1;
      this.counts.budgetRefused++;
      return undefined;
    }
    return wait;
  }

  /** Give back a turn that was reserved but never used for a check (the login was refused first). */
  release(service: string, budget: GuessBudget): void {
    const b = this.bucket(service, budget);
    b.tokens = Math.min(budget.maxServiceLoginFailures, b.tokens + 1);
  }

  /** Count a check that ran; a success gives its turn back to the budget. */
  checked(service: string, budget: GuessBudget, ok: boolean): void {
    this.counts.checks++;
    if (ok) this.release(service, budget);
  }

  /** Count a failed login; true when this failure starts a lock-out of the prefix (log it). */
  failed(address: string): boolean {
    this.counts.failures++;
    const t = this.now();
    const key = this.prefixOf(address);
    let e = this.perPrefix.get(key);
    if (!e || t - e.windowStart > this.opts.loginLockoutMs) {
      if (e) this.perPrefix.delete(key);
      e = { failures: 0, windowStart: t, lockedUntil: e?.lockedUntil ?? 0 };
      if (this.perPrefix.size >= MAX_TRACKED) this.perPrefix.delete(this.perPrefix.keys().next().value!);
      this.perPrefix.set(key, e);
    }
    e.failures++;
    if (e.failures >= this.opts.maxLoginFailures && e.lockedUntil <= t) {
      e.lockedUntil = t + this.opts.loginLockoutMs;
      e.failures = 0;
      this.counts.lockouts++;
      return true;
    }
    return false;
  }

  /** When the lock-out of `address`'s prefix ends (epoch ms by this guard's clock); 0 when it is not locked. */
  lockedUntil(address: string): number {
    const e = this.perPrefix.get(this.prefixOf(address));
    return e && e.lockedUntil > this.now() ? e.lockedUntil : 0;
  }

  succeeded(address: string): void {
    const key = this.prefixOf(address);
    const e = this.perPrefix.get(key);
    if (e && e.lockedUntil <= this.now()) this.perPrefix.delete(key);
  }

  /** The bucket of `service`, refilled up to now. */
  private bucket(service: string, budget: GuessBudget): Bucket {
    const t = this.now();
    let b = this.buckets.get(service);
    if (!b) {
      if (this.buckets.size >= MAX_TRACKED) this.buckets.delete(this.buckets.keys().next().value!);
      b = { tokens: budget.maxServiceLoginFailures, at: t };
      this.buckets.set(service, b);
      return b;
    }
    b.tokens = Math.min(budget.maxServiceLoginFailures, b.tokens + ((t - b.at) * budget.loginGuessesPerSecond) / 1000);
    b.at = t;
    return b;
  }
}

/**
 * `address` reduced to its network of `v4` bits (IPv4, also IPv4-mapped IPv6
 * such as ::ffff:10.0.0.1) or `v6` bits (IPv6, zone dropped), as text:
 * "10.0.0.0/24", "2001:db8:0:1::/64". Anything else is returned as is.
 */
export function addressPrefix(address: string, v4: number, v6: number): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const a4 = parseIPv4(mapped ? mapped[1] : address);
  if (a4 !== undefined) {
    const masked = v4 >= 32 ? a4 : v4 <= 0 ? 0 : (a4 & (~0 << (32 - v4))) >>> 0;
    return `${[masked >>> 24, (masked >>> 16) & 255, (masked >>> 8) & 255, masked & 255].join('.')}/${v4}`;
  }
  const groups = parseIPv6(address.replace(/%.*$/, ''));
  if (groups === undefined) return address;
  const out = groups.map((g, i) => {
    const bits = Math.max(0, Math.min(16, v6 - i * 16));
    return bits === 16 ? g : bits === 0 ? 0 : g & ((0xffff << (16 - bits)) & 0xffff);
  });
  return `${out.map((g) => g.toString(16)).join(':')}/${v6}`;
}

function parseIPv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const b = m.slice(1).map(Number);
  if (b.some((x) => x > 255)) return undefined;
  return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
}

/** The 8 groups of an IPv6 address (with :: and a dotted IPv4 tail), or undefined. */
function parseIPv6(s: string): number[] | undefined {
  if (!s.includes(':') || s.length > 45) return undefined;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const n = parseIPv4(v4[1]);
    if (n === undefined) return undefined;
    s = `${s.slice(0, -v4[1].length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string): number[] | undefined => {
    if (h === '') return [];
    const parts = h.split(':');
    if (parts.some((p) => !/^[0-9a-f]{1,4}$/i.test(p))) return undefined;
    return parts.map((p) => parseInt(p, 16));
  };
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  if (!head || !rest) return undefined;
  const fixed = head.length + rest.length;
  if (halves.length === 1 ? fixed !== 8 : fixed > 7) return undefined;
  return [...head, ...new Array<number>(8 - fixed).fill(0), ...rest];
}
