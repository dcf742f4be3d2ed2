import { registerAs } from '@nestjs/config';
import { parseEnv } from './env.schema';

/** ADMIN_*: validated together by the env schema (all three or none). */
export const firstAdminConfig = registerAs('firstAdmin', () => {
  const env = parseEnv();
  return {
    username: env.ADMIN_USERNAME,
    email: env.ADMIN_EMAIL,
    password: env.ADMIN_PASSWORD,
  };
});
