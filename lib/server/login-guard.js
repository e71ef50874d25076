/**
 * Brute-force defence: failed logins are counted per (address, service) and
 * per service. Too many from one address lock that address out of that
 * service for a window; a storm against one service from many addresses is
 * slowed with a delay instead, so a correct login from another address still
 * gets in. Memory is bounded: the oldest entries are evicted first.
 */
const MAX_TRACKED = 100_000;
export class LoginGuard {
    perPair = new Map();
    perService = new Map();
    opts;
    now;
    /** Counters for metrics. */
    counts = { failures: 0, lockouts: 0, refusedWhileLocked: 0 };
    constructor(opts) {
        this.opts = opts;
        this.now = opts.now ?? Date.now;
    }
    /** New limits (a conf reload); counts and lock-outs in progress are kept. */
    setLimits(limits) {
        this.opts = { ...limits, now: this.now };
    }
    /** 0 when a login may proceed; else the ms until this address may try the service again. */
    check(address, service) {
        const t = this.now();
        const e = this.perPair.get(`${address}|${service}`);
        if (e && e.lockedUntil > t) {
            this.counts.refusedWhileLocked++;
            return e.lockedUntil - t;
        }
        return 0;
    }
    /** Extra delay to add before answering a login to this service (a distributed attack slows down). */
    serviceDelayMs(service) {
        const e = this.perService.get(service);
        if (!e || this.now() - e.windowStart > this.opts.loginLockoutMs)
            return 0;
        const over = e.failures - this.opts.maxServiceLoginFailures;
        return over > 0 ? Math.min(2_000, over * 10) : 0;
    }
    /** Count a failed login; true when this failure starts a lock-out of the pair (log it). */
    failed(address, service) {
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
    succeeded(address, service) {
        this.perPair.delete(`${address}|${service}`);
    }
    bump(map, key) {
        const t = this.now();
        let e = map.get(key);
        if (!e || t - e.windowStart > this.opts.loginLockoutMs) {
            if (e)
                map.delete(key);
            e = { failures: 0, windowStart: t, lockedUntil: e?.lockedUntil ?? 0 };
            if (map.size >= MAX_TRACKED)
                map.delete(map.keys().next().value);
            map.set(key, e);
        }
        e.failures++;
        return e;
    }
}
//# sourceMappingURL=login-guard.js.map