import { registerAs } from '@nestjs/config';
import { parseEnv } from './env.schema';

/** The flows that prove or recover an email address: reset, verification, change, and how often they may mail. */
export const emailConfig = registerAs('email', () => {
  const env = parseEnv();
  return {
    enabled: env.EMAIL_FEATURES === 'on',
    verification: env.AUTH_EMAIL_VERIFICATION,
    resetTtlSeconds: env.PASSWORD_RESET_TTL,
    verifyTtlSeconds: env.EMAIL_VERIFY_TTL,
    appUrl: (env.APP_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ''),
    productName: env.PRODUCT_NAME,
    perAddressMax: env.MAIL_PER_ADDRESS_MAX,
    perAddressWindowSeconds: env.MAIL_PER_ADDRESS_WINDOW,
  };
});
