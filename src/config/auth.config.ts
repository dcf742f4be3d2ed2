import { registerAs } from '@nestjs/config';
import { parseEnv } from './env.schema';

export const authConfig = registerAs('auth', () => {
  const env = parseEnv();
  return {
    production: env.NODE_ENV === 'production',
    dataDir: env.DATA_DIR,
    jwtSecret: env.JWT_SECRET,
    accessTtlSeconds: env.JWT_ACCESS_TTL,
    issuer: env.JWT_ISSUER,
    audience: env.JWT_AUDIENCE,
    clockToleranceSeconds: env.JWT_CLOCK_TOLERANCE,
    registration: env.AUTH_REGISTRATION,
    passwordMinLength: env.PASSWORD_MIN_LENGTH,
  };
});
