import { registerAs } from '@nestjs/config';
import { parseEnv } from './env.schema';

export const sessionConfig = registerAs('session', () => {
  const env = parseEnv();
  return {
    reuseGraceSeconds: env.REFRESH_REUSE_GRACE,
    idleTtlSeconds: env.SESSION_IDLE_TTL,
    maxTtlSeconds: env.SESSION_MAX_TTL,
    purgeIntervalSeconds: env.SESSION_PURGE_INTERVAL,
  };
});
