import { z } from 'zod';
import { optionalString } from './env-fields';

/** Passkeys (src/passkeys): who the relying party is, and which web origins may run its ceremonies. */
export const webauthnEnvFields = {
  // Off: the passkey routes answer 404 and production needs no WEBAUTHN_* values.
  PASSKEYS: z.enum(['on', 'off']).default('on'),
  // The domain passkeys are bound to (no scheme, no port), e.g. example.com; default localhost outside production.
  WEBAUTHN_RP_ID: optionalString.refine(
    (v) => v === undefined || /^[a-z0-9.-]+$/i.test(v),
    'expected a bare domain such as example.com (no scheme, port or path)',
  ),
  // The name authenticators show; default PRODUCT_NAME.
  WEBAUTHN_RP_NAME: optionalString.refine(
    (v) => v === undefined || (v.length <= 100 && !/[\r\n]/.test(v)),
    'must be one line of at most 100 characters',
  ),
  // Comma-separated origins of the front ends that call navigator.credentials, e.g. https://app.example.com;
  // default http://localhost:PORT outside production.
  WEBAUTHN_ORIGINS: optionalString.refine(
    (v) =>
      v === undefined ||
      v.split(',').every((o) => /^https?:\/\/[^\s/?#]+$/.test(o.trim())),
    'expected comma-separated origins such as https://app.example.com (scheme, host, optional port; no path)',
  ),
};

type WebauthnEnv = {
  NODE_ENV: string;
  PASSKEYS: 'on' | 'off';
  WEBAUTHN_RP_ID?: string;
  WEBAUTHN_ORIGINS?: string;
};

/** Production names its relying party explicitly: a default of localhost would bind every passkey to nothing usable. */
export function checkWebauthn(env: WebauthnEnv, ctx: z.RefinementCtx): void {
  if (env.PASSKEYS === 'off' || env.NODE_ENV !== 'production') return;
  for (const key of ['WEBAUTHN_RP_ID', 'WEBAUTHN_ORIGINS'] as const)
    if (!env[key])
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message:
          'required in production while PASSKEYS=on (the domain passkeys are bound to, and the front-end origins); or set PASSKEYS=off',
      });
}
