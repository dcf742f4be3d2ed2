/** The claims Gatehouse puts in every access token (header: typ "at+jwt", alg, kid). */
export interface AccessTokenClaims {
  iss: string;
  aud: string;
  sub: string;
  sid: string;
  jti: string;
  /** Seconds since the epoch, with millisecond precision so a revocation "before T" is exact. */
  iat: number;
  exp: number;
  username: string;
  roles: string[];
}

export const ACCESS_TOKEN_TYPE = 'at+jwt';
