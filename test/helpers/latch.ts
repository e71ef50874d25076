/** Wait for a condition signalled by events, with a deadline (never a bare sleep). */
export function deadline<T>(p: Promise<T>, ms: number, what: string, context?: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}${context ? `; last: ${context()}` : ''}`)), ms);
    }),
  ]);
}

/**
 * Wait until `find()` gives a value: checked now and each time the owner
 * calls the waiters in `waiters` (new output, exit), racing a deadline.
 * `exited()` true fails at once; `describe()` goes into every failure.
 */
export function waitUntil<T>(
  waiters: Set<() => void>,
  find: () => T | undefined,
  opts: { what: string; ms: number; exited: () => boolean; describe: () => string; name: string },
): Promise<T> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const v = find();
      if (v !== undefined) return settle(() => resolve(v));
      if (opts.exited()) settle(() => reject(new Error(`${opts.name} ended before ${opts.what}: ${opts.describe()}`)));
    };
    const timer = setTimeout(() => settle(() => reject(new Error(`no ${opts.what} within ${opts.ms} ms: ${opts.describe()}`))), opts.ms);
    const settle = (f: () => void): void => {
      clearTimeout(timer);
      waiters.delete(check);
      f();
    };
    waiters.add(check);
    check();
  });
}

/** Whether a process with this id exists (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
