import { registerAs } from '@nestjs/config';
import { parseEnv } from './env.schema';

/** How mail leaves: SMTP when SMTP_URL is set, else .eml files under DATA_DIR/mail (development only), and the outbox's pace. */
export const mailConfig = registerAs('mail', () => {
  const env = parseEnv();
  return {
    enabled: env.EMAIL_FEATURES === 'on',
    smtpUrl: env.SMTP_URL,
    requireTls: env.SMTP_REQUIRE_TLS,
    timeoutSeconds: env.SMTP_TIMEOUT,
    from: env.MAIL_FROM,
    dataDir: env.DATA_DIR,
    pollIntervalSeconds: env.MAIL_POLL_INTERVAL,
    retryBaseSeconds: env.MAIL_RETRY_BASE,
    retryMaxDelaySeconds: env.MAIL_RETRY_MAX_DELAY,
    maxAttempts: env.MAIL_MAX_ATTEMPTS,
    maxAgeSeconds: env.MAIL_MAX_AGE,
    retentionSeconds: env.MAIL_RETENTION,
  };
});
