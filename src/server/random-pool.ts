/**
 * Random bytes for the legacy login's challenges, drawn from a pool that is
 * filled 4 KiB at a time. A call to the system's generator costs the same
 * for 50 bytes as for 4 KiB here (about 2 µs warm, several more between
 * logins, when its code is out of the caches), and a login takes one
 * challenge. Each byte is handed out once and wiped in the pool as it is.
 * Challenges are sent in the clear: nothing secret is kept in the pool (the
 * secure handshake's keys come from the crypto provider, not from here).
 */
import { randomFillSync } from 'node:crypto';

export const RANDOM_POOL_BYTES = 4096;

export class RandomPool {
  private pool = new Uint8Array(0);
  private pos = 0;

  /** `n` fresh random bytes, a copy of their own. */
  take(n: number): Uint8Array {
    if (n > RANDOM_POOL_BYTES) return randomFillSync(new Uint8Array(n));
    if (this.pos + n > this.pool.length) {
      this.pool = randomFillSync(new Uint8Array(RANDOM_POOL_BYTES));
      this.pos = 0;
    }
    const out = this.pool.slice(this.pos, this.pos + n);
    this.pool.fill(0, this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}
