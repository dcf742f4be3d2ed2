import { registerAs } from '@nestjs/config';
import { parseEnv } from './env.schema';

/** Who may create an account, and the password they must choose. */
export const registrationConfig = registerAs('registration', () => {
  const env = parseEnv();
  return {
    registration: env.AUTH_REGISTRATION,
    passwordMinLength: env.PASSWORD_MIN_LENGTH,
  };
});
