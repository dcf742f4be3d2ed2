import { registerAs } from '@nestjs/config';
import { parseEnv } from './env.schema';

export const metricsConfig = registerAs('metrics', () => {
  const env = parseEnv();
  return {
    production: env.NODE_ENV === 'production',
    token: env.METRICS_TOKEN,
  };
});
