import { registerAs } from '@nestjs/config';
import { parseEnv } from './env.schema';

export const loggingConfig = registerAs('logging', () => {
  const env = parseEnv();
  return {
    level: env.LOG_LEVEL,
    // Humans read development logs; machines read everything else.
    format:
      env.LOG_FORMAT ?? (env.NODE_ENV === 'development' ? 'pretty' : 'json'),
  };
});
