import { registerAs } from '@nestjs/config';
import { parseEnv } from 'src/config/env.schema';

export const loginAttemptsConfig = registerAs('loginAttempts', () => {
  const env = parseEnv();
  return {
    maxFailures: env.LOGIN_MAX_FAILURES,
    windowMs: env.LOGIN_FAILURE_WINDOW * 1000,
    lockoutBaseMs: env.LOGIN_LOCKOUT_BASE * 1000,
    lockoutMaxMs: env.LOGIN_LOCKOUT_MAX * 1000,
  };
});
