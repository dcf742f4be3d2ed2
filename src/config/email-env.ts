import { z } from 'zod';
import {
  bool,
  DAY,
  duration,
  HOUR,
  int,
  MINUTE,
  optionalString,
} from './env-fields';

const noLineBreaks = (v: string | undefined): boolean =>
  v === undefined || !/[\r\n]/.test(v);

const httpUrl = optionalString.refine(
  (v) => v === undefined || /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(v),
  'expected an absolute http(s) URL without query or fragment, e.g. https://app.example.com',
);

/** Mail delivery (src/mail) and the flows that send mail: recovery, verification, email change (src/email). */
export const emailEnvFields = {
  // Off: the email routes answer 404 and nothing is mailed; production then needs no SMTP server.
  EMAIL_FEATURES: z.enum(['on', 'off']).default('on'),
  AUTH_EMAIL_VERIFICATION: z
    .enum(['off', 'optional', 'required'])
    .default('off'),
  PASSWORD_RESET_TTL: duration('30m', MINUTE, DAY),
  EMAIL_VERIFY_TTL: duration('24h', MINUTE, 30 * DAY),
  // Where mail links point: `${APP_URL}/reset-password#token=…`. Default http://localhost:PORT outside production.
  APP_URL: httpUrl,
  PRODUCT_NAME: z
    .string()
    .min(1)
    .max(100)
    .default('Gatehouse')
    .refine(noLineBreaks, 'must be one line'),

  SMTP_URL: optionalString.refine(
    (v) => v === undefined || /^smtps?:\/\/[^\s]+$/.test(v),
    'expected smtp://[user:pass@]host[:port] (STARTTLS when offered) or smtps://… (TLS from the start)',
  ),
  // Refuse to send over smtp:// unless the server upgrades with STARTTLS.
  SMTP_REQUIRE_TLS: bool(false),
  SMTP_TIMEOUT: duration('30s', 1, 5 * MINUTE),
  MAIL_FROM: z
    .string()
    .min(3)
    .max(320)
    .default('Gatehouse <no-reply@localhost>')
    .refine(noLineBreaks, 'must be one line'),
  MAIL_POLL_INTERVAL: duration('5s', 1, HOUR),
  MAIL_RETRY_BASE: duration('30s', 1, HOUR),
  MAIL_RETRY_MAX_DELAY: duration('15m', 1, DAY),
  // A mail the server refuses for good (5xx) is tried this many times in all, then recorded as failed.
  MAIL_MAX_ATTEMPTS: int(3, 1, 100),
  // A mail the server cannot take yet (4xx, no connection) is retried until it is this old, then recorded as failed.
  MAIL_MAX_AGE: duration('3d', MINUTE, 30 * DAY),
  MAIL_RETENTION: duration('7d', MINUTE, 365 * DAY),
  MAIL_PER_ADDRESS_MAX: int(3, 1, 1000),
  MAIL_PER_ADDRESS_WINDOW: duration('1h', MINUTE, DAY),
};

type EmailEnv = {
  NODE_ENV: string;
  EMAIL_FEATURES: 'on' | 'off';
  AUTH_EMAIL_VERIFICATION: string;
  SMTP_URL?: string;
  APP_URL?: string;
  MAIL_RETRY_BASE: number;
  MAIL_RETRY_MAX_DELAY: number;
};

/** The combinations of mail settings that cannot work, each reported on the key to change. */
export function checkEmail(env: EmailEnv, ctx: z.RefinementCtx): void {
  const issue = (key: string, message: string): void =>
    ctx.addIssue({ code: 'custom', path: [key], message });
  if (env.EMAIL_FEATURES === 'off') {
    if (env.AUTH_EMAIL_VERIFICATION !== 'off')
      issue('AUTH_EMAIL_VERIFICATION', 'needs EMAIL_FEATURES=on');
    return;
  }
  if (env.MAIL_RETRY_BASE > env.MAIL_RETRY_MAX_DELAY)
    issue('MAIL_RETRY_BASE', 'must not be longer than MAIL_RETRY_MAX_DELAY');
  if (env.NODE_ENV !== 'production') return;
  if (!env.SMTP_URL)
    issue(
      'SMTP_URL',
      'required in production while EMAIL_FEATURES=on (mail is only written to DATA_DIR/mail in development); or set EMAIL_FEATURES=off',
    );
  if (!env.APP_URL)
    issue(
      'APP_URL',
      'required in production while EMAIL_FEATURES=on: mail links point at the front end there',
    );
}
