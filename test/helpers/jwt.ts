/** Reading a JWT's parts in tests. Nothing here verifies a signature: the server under test does that. */

export function headerOf(token: string): Record<string, unknown> {
  return decodePart(token, 0);
}

export function payloadOf(token: string): Record<string, unknown> {
  return decodePart(token, 1);
}

/** The claims Gatehouse puts in every access token. */
export interface AccessTokenClaims {
  sub: string;
  sid: string;
  roles: string[];
  iat: number;
  exp: number;
  token_version: number;
  amr: string[];
  auth_time: number;
  [claim: string]: unknown;
}

export function claimsOf(access: string): AccessTokenClaims {
  return payloadOf(access) as AccessTokenClaims;
}

/**
 * A login's first access token: the sign-in (`auth_time`) is recorded with the session and the token is signed one
 * database round trip later, so `iat` is the same second or the next, never before the sign-in.
 */
export function expectSignedInAtIssue(claims: {
  iat?: unknown;
  auth_time?: unknown;
}): void {
  const iat = claims.iat as number;
  const authTime = claims.auth_time as number;
  expect(Number.isInteger(authTime)).toBe(true);
  expect(iat - authTime).toBeGreaterThanOrEqual(0);
  expect(iat - authTime).toBeLessThanOrEqual(1);
}

/** The session id (`sid`) an access token belongs to. */
export const sidOf = (access: string): string => claimsOf(access).sid;

function decodePart(token: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(
    Buffer.from(token.split('.')[index], 'base64url').toString('utf8'),
  ) as Record<string, unknown>;
}
