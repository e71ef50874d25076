export interface LoginGuardOptions {
    maxLoginFailures: number;
    maxServiceLoginFailures: number;
    loginLockoutMs: number;
    now?: () => number;
}
export declare class LoginGuard {
    private readonly perPair;
    private readonly perService;
    private opts;
    private readonly now;
    /** Counters for metrics. */
    readonly counts: {
        failures: number;
        lockouts: number;
        refusedWhileLocked: number;
    };
    constructor(opts: LoginGuardOptions);
    /** New limits (a conf reload); counts and lock-outs in progress are kept. */
    setLimits(limits: Omit<LoginGuardOptions, 'now'>): void;
    /** 0 when a login may proceed; else the ms until this address may try the service again. */
    check(address: string, service: string): number;
    /** Extra delay to add before answering a login to this service (a distributed attack slows down). */
    serviceDelayMs(service: string): number;
    /** Count a failed login; true when this failure starts a lock-out of the pair (log it). */
    failed(address: string, service: string): boolean;
    succeeded(address: string, service: string): void;
    private bump;
}
//# sourceMappingURL=login-guard.d.ts.map