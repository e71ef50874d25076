/**
 * Brute-force defence: failed logins are counted per (address, service) and
 * per service. Too many from one address lock that address out of that
 * service for a window; a storm against one service from many addresses is
 * slowed with a delay instead, so a correct login from another address still
 * gets in. Memory is bounded: the oldest entries are evicted first.
 */
const MAX_TRACKED = 100_000;

interface Entry {
  failures: number;
  windowStart: number;
  lockedUntil: number;
}

export interface LoginGuardOptions {
  maxLoginFailures: number;
  maxServiceLoginFailures: number;
  loginLockoutMs: number;
  now?: () => number;
}

export class LoginGuard {
  private readonly perPair = new Map<string, Entry>();
  private readonly perService = new Map<string, Entry>();
  private opts: LoginGuardOptions;
  private readonly now: () => number;
  /** Counters for metrics. */
  readonly counts = { failures: 0, lockouts: 0, refusedWhileLocked: 0 };

  constructor(opts: LoginGuardOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
  }

  /** New limits (a conf reload); counts and lock-outs in progress are kept. */
  setLimits(limits: Omit<LoginGuardOptions, 'now'>): void {
    this.opts = { ...limits, now: this.now };
  }

  /** 0 when a login may proceed; else the ms until this address may try the service again. */
  check(address: string, service: string): number {
    const t = this.now();
    const e = this.perPair.get(`${address}|${service}`);
    if (e && e.lockedUntil > t) {
      this.counts.refusedWhileLocked++;
      return e.lockedUntil - t;
    }
    return 0;
  }

  /** Extra delay to add before answering a login to this service (a distributed attack slows down). */
  serviceDelayMs(service: string): number {
    const e = this.perService.get(service);
    if (!e || this.now() - e.windowStart > this.opts.loginLockoutMs) return 0;
    const over = e.failures - this.opts.maxServiceLoginFailures;
    return over > 0 ? Math.min(2_000, over * 10) : 0;
  }

  /** Count a failed login; true when this failure starts a lock-out of the pair (log it). */
  failed(address: string, service: string): boolean {
    this.counts.failures++;
    const pair = this.bump(this.perPair, `${address}|${service}`);
    this.bump(this.perService, service);
    if (pair.failures >= this.opts.maxLoginFailures && pair.lockedUntil <= this.now()) {
      pair.lockedUntil = this.now() + this.opts.loginLockoutMs;
      pair.failures = 0;
      this.counts.lockouts++;
      return true;
    }
    return false;
  }

  succeeded(address: string, service: string): void {
    this.perPair.delete(`${address}|${service}`);
  }

  private bump(map: Map<string, Entry>, key: string): Entry {
    const t = this.now();
    let e = map.get(key);
    if (!e || t - e.windowStart > this.opts.loginLockoutMs) {
      if (e) map.delete(key);
      e = { failures: 0, windowStart: t, lockedUntil: e?.lockedUntil ?? 0 };
      if (map.size >= MAX_TRACKED) map.delete(map.keys().next().value!);
      map.set(key, e);
    }
    e.failures++;
    return e;
  }
}
