import { registerAs } from '@nestjs/config';
import { parseEnv } from './env.schema';

export const databaseConfig = registerAs('database', () => {
  const env = parseEnv();
  return {
    url: env.DATABASE_URL,
    dataDir: env.DATA_DIR,
    poolMax: env.DATABASE_POOL_MAX,
  };
});
