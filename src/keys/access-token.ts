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
  /** RFC 8176 authentication methods of the session's sign-in (`pwd`, `otp`, `mfa`…); refresh keeps them. */
  amr: string[];
  /** When the user last proved who they are in this session, in whole seconds (OpenID Connect, RFC 9470). */
  auth_time: number;
  /** Present when AUTH_EMAIL_VERIFICATION is optional or required (OpenID Connect's claim name). */
  email_verified?: boolean;
}

export const ACCESS_TOKEN_TYPE = 'at+jwt';
