/**
 * The login policy, once for both protocols: authorize() decides who may
 * try which service by which method (service lookup, down state, policy,
 * lock-out), before any expensive step; the verify() it returns runs the
 * credential check under the guard (lock-out again, the service's guess
 * budget and its wait, the check, the accounting and the lock-out log).
 * The legacy driver (session.ts) and the secure one (secure-session.ts)
 * only translate the verdicts to their wire replies.
 *
 * Order of the secure login, and what each refusal costs the server:
 *   hello      prefix locked out          -> plaintext refusal, no X25519
 *   auth       service, down, method      -> after the key exchange (the service is encrypted)
 *   verify     budget spent past deadline -> rateLimited, no password check (no scrypt)
 *              else wait for the turn, then check
 */
import type { ServerConfig } from '../conf/schema.ts';
import type { Transport } from '../transport/transport.ts';
import { serviceUnavailable, type Service, type ServiceRegistry } from './services.ts';
import type { LoginGuard } from './login-guard.ts';
import type { Logger } from './log.ts';
import type { SessionMetrics } from './metrics.ts';

/** How the peer wants to log in: the legacy MD5 challenge, or a secure method. */
export type LoginMethod = 'legacy' | 'none' | 'password' | 'key';

export interface AuthorizeContext {
  config: ServerConfig;
  services: ServiceRegistry;
  guard: LoginGuard;
  log: Logger;
  metrics?: SessionMetrics;
  /** Channels open now that logged in without a credential (bounded by maxAnonymousChannels). */
  anonymousChannels?: () => number;
}

/** The results authorize() and verify() end a login with (the secure result names; legacy maps them). */
export type Refusal = 'badService' | 'serviceDown' | 'legacyRefused' | 'methodRefused' | 'rateLimited' | 'authFail' | 'serverBusy';

export type Admission =
  | { ok: false; result: Refusal; reason?: string; service?: Service; retryAfterMs?: number }
  | {
      ok: true;
      service: Service;
      /** `abandoned`: true once the login no longer needs an answer (its connection went): then no check runs. */
      verify: (check: () => boolean | Promise<boolean>, maxWaitMs: number, abandoned?: () => boolean) => Promise<Verdict>;
    };

export type Verdict = { result: 'ack' } | { result: 'authFail' | 'rateLimited'; reason?: string; retryAfterMs?: number };

/**
 * Whether the peer counts as loopback for `{legacy, loopback}`: a connection
 * from a configured trusted proxy does not (behind a same-host proxy every
 * peer would), unless the proxy forwarded the client's own address
 * (WebSocket X-Forwarded-For), which the transport then reports.
 */
export function peerIsLoopback(config: ServerConfig, transport: Transport): boolean {
  if (!transport.isLoopback) return false;
  return !(config.trustedProxies ?? []).includes(transport.remoteAddress) || transport.forwarded === true;
}

export function legacyAllowed(service: Service, config: ServerConfig, transport: Transport): boolean {
  if (!service.config.auth.includes('legacy')) return false;
  const policy = service.config.legacy ?? config.legacy;
  return policy === 'allow' || (policy === 'loopback' && peerIsLoopback(config, transport));
}

/** The ms a prefix is still locked out (0: not locked); for the secure hello, before any DH. */
export function lockedOut(ctx: AuthorizeContext, transport: Transport): number {
  return ctx.guard.check(transport.remoteAddress);
}

/** The secret the legacy MD5 login checks: the service's own legacy password, else its (plain) password. */
export function legacySecret(service: Service): string | undefined {
  const c = service.config;
  return c.legacyPassword?.secret ?? (c.password.kind === 'plain' ? c.password.secret : undefined);
}

/** Decide whether `transport` may try to log in to `name` by `method`; nothing expensive is done here. */
export function authorize(ctx: AuthorizeContext, transport: Transport, name: string | undefined, method: LoginMethod): Admission {
  const locked = ctx.guard.check(transport.remoteAddress);
  if (locked > 0) return { ok: false, result: 'rateLimited', reason: `too many failed logins; retry in ${Math.ceil(locked / 1000)} s`, retryAfterMs: locked };
  const service = name === undefined ? undefined : ctx.services.get(name);
  if (!service) return { ok: false, result: 'badService' };
  const cfg = service.config;
  const down = serviceUnavailable(service);
  // Its worker crashed past the restart intensity (or it is a singleton this gateway does not lead): refused, with the reason.
  if (down !== undefined) return { ok: false, result: 'serviceDown', reason: `service ${cfg.name} is down: ${down}`, service };
  let needsCheck: boolean;
  if (method === 'legacy') {
    if (!legacyAllowed(service, ctx.config, transport)) {
      const reason = cfg.auth.includes('legacy')
        ? `the legacy MD5 login is refused for service ${cfg.name}: it sends a password hash an eavesdropper can attack offline. Use the secure client, or enable it with {legacy, allow} in the service options or at the top of the conf`
        : // {legacy, allow} alone would not help here: the service's auth list leaves legacy out.
          `the legacy MD5 login is refused for service ${cfg.name}: its {auth, [...]} option does not list legacy. Use the secure client, or add legacy to that list (plus {legacy, allow} for peers not on loopback)`;
      return { ok: false, result: 'legacyRefused', reason, service };
    }
    if (cfg.password.kind === 'scrypt' && cfg.legacyPassword === undefined) {
      return {
        ok: false,
        result: 'legacyRefused',
        reason: `service ${cfg.name} stores a password hash, which the legacy MD5 login cannot check; use the secure client`,
        service,
      };
    }
    needsCheck = legacySecret(service) !== undefined;
  } else if (method === 'key') {
    if (!cfg.auth.includes('key')) return methodRefused(service);
    needsCheck = true;
  } else {
    // Before the password-none shortcut: {auth, [key]} must not let a keyless login in.
    if (!cfg.auth.includes('password')) return methodRefused(service);
    if (method === 'none' && cfg.password.kind !== 'none') {
      // No credential at all is a client that forgot one (lib-chan call without --password-file), not a guess:
      // said plainly, not counted toward the lock-out and not metered (it tells nothing a legacy challenge would not).
      return { ok: false, result: 'authFail', reason: `service ${cfg.name} needs a password (or a client key) and none was sent`, service };
    }
    needsCheck = cfg.password.kind !== 'none';
  }
  const max = ctx.config.limits.maxAnonymousChannels;
  if (!needsCheck && (ctx.anonymousChannels?.() ?? 0) >= max) {
    ctx.metrics?.limitHit('maxAnonymousChannels');
    return { ok: false, result: 'serverBusy', reason: `the server has ${max} channels open without a password (maxAnonymousChannels); try later`, service };
  }
  return {
    ok: true,
    service,
    verify: (check, maxWaitMs, abandoned) =>
      needsCheck ? verify(ctx, transport, service, method, check, maxWaitMs, abandoned) : Promise.resolve({ result: 'ack' }),
  };
}

function methodRefused(service: Service): Admission {
  const cfg = service.config;
  return { ok: false, result: 'methodRefused', reason: `service ${cfg.name} accepts ${cfg.auth.filter((m) => m !== 'legacy').join(', ')}`, service };
}

async function verify(
  ctx: AuthorizeContext,
  transport: Transport,
  service: Service,
  method: LoginMethod,
  check: () => boolean | Promise<boolean>,
  maxWaitMs: number,
  abandoned: () => boolean = () => false,
): Promise<Verdict> {
  const { guard } = ctx;
  const name = service.config.name;
  const budget = service.config.limits;
  const address = transport.remoteAddress;
  const locked = (): Verdict | undefined => {
    const ms = guard.check(address);
    return ms > 0 ? { result: 'rateLimited', reason: `too many failed logins; retry in ${Math.ceil(ms / 1000)} s`, retryAfterMs: ms } : undefined;
  };
  // Logins started before a lock-out (a legacy challenge, a secure hello) must not keep guessing after it.
  const early = locked();
  if (early) return early;
  const wait = guard.reserve(name, budget, maxWaitMs);
  if (wait === undefined) {
    ctx.metrics?.limitHit('loginGuessesPerSecond');
    return {
      result: 'rateLimited',
      reason: `service ${name} is taking at most ${budget.loginGuessesPerSecond} login attempts per second (loginGuessesPerSecond); retry later`,
    };
  }
  if (wait > 0) {
    guard.waiting++;
    try {
      await new Promise((r) => setTimeout(r, wait));
    } finally {
      guard.waiting--;
    }
    // A guess whose connection went while it waited is not checked: its turn goes back (no scrypt for nobody).
    const late = abandoned() ? { result: 'rateLimited' as const, reason: 'the connection went while the login waited' } : locked();
    if (late) {
      guard.release(name, budget);
      return late;
    }
  }
  const ok = await check();
  guard.checked(name, budget, ok);
  // Again after an asynchronous check (scrypt): concurrent guesses must not outlive a lock-out they caused.
  const after = locked();
  if (after) return after;
  if (!ok) {
    if (guard.failed(address)) logLockout(ctx, transport, name, method);
    return { result: 'authFail' };
  }
  guard.succeeded(address);
  return { result: 'ack' };
}

/** A failed login just locked `transport`'s address prefix out: say so, once. */
export function logLockout(ctx: AuthorizeContext, transport: Transport, service: string, method: string): void {
  const l = ctx.config.limits;
  ctx.metrics?.limitHit('maxLoginFailures');
  ctx.log.warn(
    {
      event: 'loginLockout',
      peer: transport.peer,
      address: transport.remoteAddress,
      prefix: ctx.guard.prefixOf(transport.remoteAddress),
      service,
      method,
      failures: l.maxLoginFailures,
      lockoutMs: l.loginLockoutMs,
      lockedUntil: ctx.guard.lockedUntil(transport.remoteAddress),
      key: 'maxLoginFailures',
    },
    `too many failed logins from ${ctx.guard.prefixOf(transport.remoteAddress)} (last to ${service}): locked out for ${l.loginLockoutMs} ms`,
  );
}
