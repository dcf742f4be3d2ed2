import { registerAs } from '@nestjs/config';
import { parseEnv } from './env.schema';

export const redisConfig = registerAs('redis', () => ({
  url: parseEnv().REDIS_URL,
}));
