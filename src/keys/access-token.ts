/** The claims Gatehouse puts in every access token (header: typ "at+jwt", alg, kid). */
export interface AccessTokenClaims {
  iss: string;
  aud: string;
  sub: string;
  sid: string;
  jti: string;
  /** Whole seconds since the epoch (RFC 7519 NumericDate), as `exp`. */
  iat: number;
  exp: number;
  username: string;
  roles: string[];
  /**
   * The user's token version when this token was signed. A role change or disable raises it, and the revocation
   * set refuses tokens below the new version: exact where a cut-off by `iat` (whole seconds) could not be.
   */
  token_version: number;
  /** Present when AUTH_EMAIL_VERIFICATION is optional or required (OpenID Connect's claim name). */
  email_verified?: boolean;
}

export const ACCESS_TOKEN_TYPE = 'at+jwt';
