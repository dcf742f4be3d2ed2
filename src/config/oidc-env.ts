import { z } from 'zod';
import { bool, optionalString } from './env-fields';

/** Sign-in through external OpenID Connect providers (src/federation, docs/federation.md). */
export const oidcEnvFields = {
  // Comma-separated provider names (letters and digits), e.g. google,keycloak; each reads OIDC_<NAME>_* below.
  OIDC_PROVIDERS: optionalString.refine(
    (v) =>
      v === undefined ||
      v.split(',').every((name) => /^[a-z][a-z0-9]{0,31}$/i.test(name.trim())),
    'expected comma-separated names of letters and digits (at most 32), e.g. google,keycloak',
  ),
  // Comma-separated URLs a sign-in may return to (exact match, no wildcards), e.g. https://app.example.com/callback.
  OIDC_ALLOWED_REDIRECTS: optionalString.refine(
    (v) =>
      v === undefined ||
      v.split(',').every((url) => redirectUrl(url.trim()) !== undefined),
    'expected comma-separated absolute http(s) URLs without a fragment, e.g. https://app.example.com/signed-in',
  ),
};

export interface OidcProviderSettings {
  /** The configured name, lower case: the :provider of the routes. */
  name: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  scopes: string[];
  /** Take the provider's sign-in as multi-factor: no mfa_required challenge after it. */
  trustMfa: boolean;
}

/** An absolute http(s) URL without a fragment, in its normalised form; undefined when it is not one. */
export function redirectUrl(value: string): string | undefined {
  if (!URL.canParse(value)) return undefined;
  const url = new URL(value);
  if (!['http:', 'https:'].includes(url.protocol) || url.hash || url.username)
    return undefined;
  return url.href;
}

/** Loopback addresses, where plain http is allowed even in production (RFC 8252, native apps). */
export function isLoopback(url: string): boolean {
  return ['localhost', '127.0.0.1', '[::1]'].includes(new URL(url).hostname);
}

const providerSchema = (production: boolean) =>
  z.object({
    ISSUER: z
      .string({ error: 'required for every name in OIDC_PROVIDERS' })
      .refine(
        (v) => redirectUrl(v) !== undefined && !new URL(v).search,
        'expected the issuer URL, e.g. https://accounts.google.com',
      )
      .refine(
        (v) => !production || v.startsWith('https://') || isLoopback(v),
        'must be https in production',
      ),
    CLIENT_ID: z
      .string({ error: 'required for every name in OIDC_PROVIDERS' })
      .min(1)
      .max(512),
    CLIENT_SECRET: z
      .string({ error: 'required for every name in OIDC_PROVIDERS' })
      .min(1)
      .max(1024),
    SCOPES: z
      .string()
      .default('openid email profile')
      .transform((v) => v.split(/[\s,]+/).filter(Boolean))
      .refine(
        (scopes) =>
          scopes.includes('openid') &&
          scopes.every((s) => /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s)),
        'expected space-separated scopes including openid',
      ),
    TRUST_MFA: bool(false),
  });

/**
 * The per-provider keys OIDC_<NAME>_ISSUER, _CLIENT_ID, _CLIENT_SECRET, _SCOPES and _TRUST_MFA of every name in
 * OIDC_PROVIDERS. Their names depend on a value, so they are read here rather than by the schema's object; a bad
 * one is reported on its full key like any other.
 */
export function parseOidcProviders(
  env: { NODE_ENV: string; OIDC_PROVIDERS?: string; PUBLIC_URL?: string },
  source: NodeJS.ProcessEnv,
): { providers: OidcProviderSettings[]; issues: string[] } {
  const names = (env.OIDC_PROVIDERS ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  const providers: OidcProviderSettings[] = [];
  const issues: string[] = [];
  const production = env.NODE_ENV === 'production';
  if (new Set(names).size !== names.length)
    issues.push('OIDC_PROVIDERS: a name is listed twice');
  if (production && names.length > 0 && !env.PUBLIC_URL)
    issues.push(
      'PUBLIC_URL: required in production with OIDC_PROVIDERS (the providers redirect back to PUBLIC_URL/auth/oidc/<name>/callback)',
    );
  for (const name of new Set(names)) {
    const prefix = `OIDC_${name.toUpperCase()}_`;
    const read = (key: string): string | undefined => {
      const value = source[prefix + key];
      return value === undefined || value.trim() === '' ? undefined : value;
    };
    const result = providerSchema(production).safeParse({
      ISSUER: read('ISSUER'),
      CLIENT_ID: read('CLIENT_ID'),
      CLIENT_SECRET: read('CLIENT_SECRET'),
      SCOPES: read('SCOPES'),
      TRUST_MFA: read('TRUST_MFA'),
    });
    if (!result.success) {
      for (const issue of result.error.issues)
        issues.push(`${prefix}${issue.path.join('.')}: ${issue.message}`);
      continue;
    }
    providers.push({
      name,
      issuer: result.data.ISSUER,
      clientId: result.data.CLIENT_ID,
      clientSecret: result.data.CLIENT_SECRET,
      scopes: result.data.SCOPES,
      trustMfa: result.data.TRUST_MFA,
    });
  }
  return { providers, issues };
}

/** Production returns only to https pages (or a loopback address): a plain-http page would leak the one-time code. */
export function checkOidcRedirects(
  env: { NODE_ENV: string; OIDC_ALLOWED_REDIRECTS?: string },
  ctx: z.RefinementCtx,
): void {
  if (env.NODE_ENV !== 'production' || !env.OIDC_ALLOWED_REDIRECTS) return;
  for (const url of env.OIDC_ALLOWED_REDIRECTS.split(',').map((u) => u.trim()))
    if (!url.startsWith('https://') && !isLoopback(url))
      ctx.addIssue({
        code: 'custom',
        path: ['OIDC_ALLOWED_REDIRECTS'],
        message: `${url}: must be https in production (or a loopback address)`,
      });
}
