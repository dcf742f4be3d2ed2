/**
 * The per-account lockout as a pure state machine, so the in-process store and the Redis script (which mirrors
 * it line by line in login-attempts.redis-store.ts) decide identically.
 *
 * An attempt first reserves a slot: it is refused while the account is locked, or while the failures already
 * counted plus the attempts still being verified reach the threshold. Reserving before argon2 runs is what keeps
 * 30 parallel guesses from all reaching the hash: at most `threshold` can be in flight or failed at once.
 * After `maxFailures` failures within `windowMs` the account is locked for `lockoutBaseMs`, doubling with every
 * further lockout up to `lockoutMaxMs`; once locked, each further failure locks again (one guess per lockout).
 * A success resets everything; so does a quiet `windowMs` after the last lockout ended.
 */
export interface LoginAttemptPolicy {
  maxFailures: number;
  windowMs: number;
  lockoutBaseMs: number;
  lockoutMaxMs: number;
  /**
   * How long the reservations in flight count after the latest one was made; after that they are presumed
   * abandoned (an instance that crashed never settles them). It must cover the longest an attempt can take from
   * reservation to settle, waiting for a hash slot included (login-attempts.config.ts), or a queued attempt's slot
   * is handed out again as a fresh guess.
   */
  inFlightTtlMs: number;
}

export interface LoginAttemptCounters {
  /** Failures counted in the current window. */
  failures: number;
  windowStart: number;
  /** Lockouts so far; the next one lasts lockoutBaseMs * 2^level. */
  level: number;
  lockedUntil: number;
  /** Reserved attempts whose password check has not finished. */
  inFlight: number;
  /** After this, reservations are presumed abandoned (a crashed instance never settles them). */
  inFlightUntil: number;
}

export type LoginAttemptOp = 'reserve' | 'success' | 'failure' | 'release';

export interface LoginAttemptStep {
  counters: LoginAttemptCounters;
  granted: boolean;
  /** For a refused reservation: how long to wait. */
  retryAfterMs: number;
}

const MAX_LEVEL = 40;

export const EMPTY_COUNTERS: LoginAttemptCounters = {
  failures: 0,
  windowStart: 0,
  level: 0,
  lockedUntil: 0,
  inFlight: 0,
  inFlightUntil: 0,
};

export function lockoutMs(level: number, policy: LoginAttemptPolicy): number {
  return Math.min(
    policy.lockoutBaseMs * 2 ** Math.min(level, MAX_LEVEL),
    policy.lockoutMaxMs,
  );
}

/**
 * Applies one operation at `now` (ms). `release` says whether this settle frees a reservation made in the same
 * store (see LoginAttemptsService for when it does not).
 */
export function step(
  previous: LoginAttemptCounters,
  op: LoginAttemptOp,
  now: number,
  policy: LoginAttemptPolicy,
  release = true,
): LoginAttemptStep {
  const c = { ...previous };
  if (now >= c.windowStart + policy.windowMs) c.failures = 0;
  if (c.level > 0 && now >= c.lockedUntil + policy.windowMs) c.level = 0;
  if (now >= c.inFlightUntil) c.inFlight = 0;
  const threshold = c.level > 0 ? 1 : policy.maxFailures;

  if (op === 'reserve') {
    if (c.lockedUntil > now)
      return { counters: c, granted: false, retryAfterMs: c.lockedUntil - now };
    if (c.failures + c.inFlight >= threshold)
      return {
        counters: c,
        granted: false,
        retryAfterMs: lockoutMs(c.level, policy),
      };
    c.inFlight += 1;
    c.inFlightUntil = now + policy.inFlightTtlMs;
    return { counters: c, granted: true, retryAfterMs: 0 };
  }

  if (release && c.inFlight > 0) c.inFlight -= 1;
  if (op === 'success') {
    Object.assign(c, {
      failures: 0,
      windowStart: 0,
      level: 0,
      lockedUntil: 0,
    });
  } else if (op === 'failure') {
    if (c.failures === 0) c.windowStart = now;
    c.failures += 1;
    if (c.failures >= threshold) {
      c.lockedUntil = Math.max(c.lockedUntil, now + lockoutMs(c.level, policy));
      c.level = Math.min(c.level + 1, MAX_LEVEL);
      c.failures = 0;
    }
  }
  return { counters: c, granted: true, retryAfterMs: 0 };
}

/** True when the counters say nothing a later attempt would need, so the entry can be dropped. */
export function isIdle(
  c: LoginAttemptCounters,
  now: number,
  policy: LoginAttemptPolicy,
): boolean {
  return (
    (c.failures === 0 || now >= c.windowStart + policy.windowMs) &&
    (c.level === 0 || now >= c.lockedUntil + policy.windowMs) &&
    c.lockedUntil <= now &&
    (c.inFlight === 0 || now >= c.inFlightUntil)
  );
}
