import { registerAs } from '@nestjs/config';
import { parseEnv } from 'src/config/env.schema';

export const throttlingConfig = registerAs('throttling', () => {
  const env = parseEnv();
  return {
    maxRequests: env.RATE_LIMIT_MAX,
    windowSeconds: env.RATE_LIMIT_WINDOW,
  };
});
