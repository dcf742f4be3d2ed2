import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The pure decisions of a provider sign-in, kept apart from I/O so each one is tested on its own: how the browser
 * cookie names its flow, where the browser is sent back and with what error, and what username a new account gets.
 */

/** The `error` values a client's redirect_uri can receive (docs/federation.md lists what each means). */
export type ReturnError =
  | 'access_denied'
  | 'invalid_request'
  | 'invalid_state'
  | 'invalid_grant'
  | 'invalid_response'
  | 'temporarily_unavailable'
  | 'account_exists'
  | 'registration_closed'
  | 'identity_in_use'
  | 'email_not_verified';

export const sha256 = (value: string): string =>
  createHash('sha256').update(value).digest('base64url');

/** The cookie holds `<flow id>.<secret>`; only the secret's SHA-256 is stored with the flow. */
export function parseBinding(
  cookie: string | undefined,
): { flowId: string; secret: string } | undefined {
  const match = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/.exec(cookie ?? '');
  return match ? { flowId: match[1], secret: match[2] } : undefined;
}

export function bindingMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(sha256(secret));
  const b = Buffer.from(storedHash);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `redirectUri` with `params` added to its query (its own query is kept); undefined values are left out. */
export function returnUrl(
  redirectUri: string,
  params: Record<string, string | null | undefined>,
): string {
  const url = new URL(redirectUri);
  for (const [key, value] of Object.entries(params))
    if (value !== undefined && value !== null) url.searchParams.set(key, value);
  return url.href;
}

/**
 * What the provider's own `error` parameter becomes: access_denied passes through (the user said no); anything
 * else is reported as invalid_request, so a provider cannot put arbitrary text in the client's URL.
 */
export function providerReturnError(error: string): ReturnError {
  return error === 'access_denied' ? 'access_denied' : 'invalid_request';
}

/**
 * What a failed code exchange or ID-token check becomes. The token endpoint's own refusal (a used or unknown
 * code, a PKCE verifier that does not match) is invalid_grant; an unreachable provider is temporarily_unavailable;
 * every check openid-client makes of the answer (signature, issuer, audience, expiry, nonce, state) failing is
 * invalid_response.
 */
export function exchangeReturnError(error: unknown): ReturnError {
  const e = error as { name?: string; error?: unknown; code?: unknown };
  if (e?.name === 'ResponseBodyError')
    return e.error === 'invalid_grant' ? 'invalid_grant' : 'invalid_request';
  if (
    e?.name === 'AbortError' ||
    e?.name === 'TimeoutError' ||
    (error instanceof TypeError && /fetch failed/i.test(error.message))
  )
    return 'temporarily_unavailable';
  if (e?.name === 'AuthorizationResponseError') return 'invalid_request';
  return 'invalid_response';
}

const USERNAME = /^[a-zA-Z0-9_.-]{3,32}$/;

/**
 * A username for an account a provider creates, from what the provider says (preferred_username, the address's
 * local part, the name) reduced to the registration rules; `attempt` > 0 adds a suffix to get past a taken one.
 */
export function derivedUsername(
  claims: { preferred_username?: unknown; email?: unknown; name?: unknown },
  attempt: number,
  suffix: string,
): string {
  const candidates = [
    claims.preferred_username,
    typeof claims.email === 'string' ? claims.email.split('@')[0] : undefined,
    claims.name,
  ];
  let base = 'user';
  for (const candidate of candidates) {
    if (typeof candidate !== 'string') continue;
    const cleaned = candidate
      .normalize('NFKD')
      .replace(/[^a-zA-Z0-9_.-]+/g, '')
      .slice(0, 24);
    if (cleaned.length >= 3) {
      base = cleaned;
      break;
    }
  }
  const name = attempt === 0 ? base : `${base}-${suffix}`;
  return USERNAME.test(name) ? name : `user-${suffix}`;
}
