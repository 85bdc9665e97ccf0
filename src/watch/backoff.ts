// Exponential backoff with jitter for retrying failed passes (and restarting a dead kernel
// monitor): the delay doubles with every failure up to a cap, and success resets it. The jitter
// ("equal jitter": half fixed, half random) keeps retries from falling into step with a
// periodic cause, while never retrying sooner than half the nominal delay.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Returns [0, 1); injectable so tests can pin the jitter. */
  random?: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 60_000 };

export class Backoff {
  /** Consecutive failures since the last success. */
  failures = 0;

  constructor(private readonly opts: BackoffOptions = DEFAULT_BACKOFF) {}

  /** Counts one more failure and returns how long to wait before the next attempt. */
  next(): number {
    const nominal = Math.min(this.opts.maxMs, this.opts.initialMs * 2 ** this.failures);
    this.failures++;
    const random = this.opts.random ?? Math.random;
    return Math.round(nominal / 2 + (random() * nominal) / 2);
  }

  reset(): void {
    this.failures = 0;
  }
}
