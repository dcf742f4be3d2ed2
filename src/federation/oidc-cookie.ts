/** The cookie that binds a provider sign-in to the browser that started it (HttpOnly, Secure, SameSite=Lax). */
export const FLOW_COOKIE = 'gatehouse_oidc';
const PATH = '/auth/oidc';

/**
 * One named cookie from a Cookie header. Hand-written rather than a cookie library: one name with a value of
 * base64url, dots and hyphens, which needs no decoding.
 */
export function readCookie(
  header: string | undefined,
  name: string,
): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name)
      return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** SameSite=Lax: sent on the provider's top-level redirect back, never on a cross-site subrequest. */
export function flowCookie(value: string, maxAgeSeconds: number): string {
  return `${FLOW_COOKIE}=${value}; Path=${PATH}; Max-Age=${maxAgeSeconds}; HttpOnly; Secure; SameSite=Lax`;
}

export function clearedFlowCookie(): string {
  return `${FLOW_COOKIE}=; Path=${PATH}; Max-Age=0; HttpOnly; Secure; SameSite=Lax`;
}
