import { z } from 'zod';
import { DAY, duration } from './env-fields';

/** The second factor (src/mfa) and step-up for sensitive routes (src/access/step-up.guard.ts). */
export const mfaEnvFields = {
  // The issuer authenticator apps show next to the account; default PRODUCT_NAME.
  MFA_ISSUER: z
    .string()
    .max(100)
    .optional()
    .refine(
      (v) => v === undefined || !/[\r\n:]/.test(v),
      'must be one line without ":"',
    ),
  // Sensitive routes need a sign-in (or re-authentication) at most this old (RFC 9470 max_age).
  STEP_UP_MAX_AGE: duration('5m', 10, DAY),
};
