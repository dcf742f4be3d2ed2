import { registerAs } from '@nestjs/config';
import { parseEnv } from './env.schema';

/** TOTP enrolment and login challenges, and how fresh a sign-in sensitive routes need. */
export const mfaConfig = registerAs('mfa', () => {
  const env = parseEnv();
  return {
    issuer: env.MFA_ISSUER?.trim() || env.PRODUCT_NAME,
    stepUpMaxAgeSeconds: env.STEP_UP_MAX_AGE,
    /** A login challenge lives this long (seconds) and dies after this many wrong codes. */
    challengeTtlSeconds: 300,
    maxCodeAttempts: 5,
    /** Encrypts TOTP secrets; undefined outside production means the development key in DATA_DIR. */
    encryptionSecret: env.KEYS_ENCRYPTION_KEY,
    production: env.NODE_ENV === 'production',
    dataDir: env.DATA_DIR,
  };
});
