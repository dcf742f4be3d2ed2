import { registerAs } from '@nestjs/config';
import { parseEnv } from './env.schema';

export const throttlingConfig = registerAs('throttling', () => {
  const env = parseEnv();
  return {
    maxRequests: env.RATE_LIMIT_MAX,
    windowSeconds: env.RATE_LIMIT_WINDOW,
    ipv6Prefix: env.RATE_LIMIT_IPV6_PREFIX,
    localMaxKeys: env.RATE_LIMIT_LOCAL_MAX_KEYS,
  };
});
