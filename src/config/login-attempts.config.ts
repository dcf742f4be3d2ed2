import { registerAs } from '@nestjs/config';
import { parseEnv } from './env.schema';

/**
 * What an attempt may take once its hash has a slot: the argon2 verify itself (tens of milliseconds, seconds on a
 * starved machine) and the settle afterwards (a query or two, a Redis call with a 2 s timeout). Generous, because
 * a reservation that lapses too early hands out a fresh guess, while one that lasts too long only matters after a
 * crash.
 */
const AFTER_QUEUE_ALLOWANCE_MS = 30_000;

export const loginAttemptsConfig = registerAs('loginAttempts', () => {
  const env = parseEnv();
  return {
    maxFailures: env.LOGIN_MAX_FAILURES,
    windowMs: env.LOGIN_FAILURE_WINDOW * 1000,
    lockoutBaseMs: env.LOGIN_LOCKOUT_BASE * 1000,
    lockoutMaxMs: env.LOGIN_LOCKOUT_MAX * 1000,
    // A hash waits at most HASH_QUEUE_MAX_WAIT for a slot (PasswordService), so a reservation made before the
    // wait outlives it by a static bound, in Redis and in this process alike, without renewing anything.
    inFlightTtlMs: env.HASH_QUEUE_MAX_WAIT * 1000 + AFTER_QUEUE_ALLOWANCE_MS,
  };
});
