import { registerAs } from '@nestjs/config';
import { parseEnv } from './env.schema';

export const passwordConfig = registerAs('passwords', () => {
  const env = parseEnv();
  return { maxQueueWaitMs: env.HASH_QUEUE_MAX_WAIT * 1000 };
});
