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

/** The session id (`sid`) an access token belongs to. */
export const sidOf = (access: string): string => claimsOf(access).sid;

function decodePart(token: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(
    Buffer.from(token.split('.')[index], 'base64url').toString('utf8'),
  ) as Record<string, unknown>;
}
