export interface Session {
  id: string;
  userId: string;
  createdAt: Date;
  lastUsedAt: Date;
  idleExpiresAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  userAgent: string | null;
  ip: string | null;
  /** RFC 8176 methods the sign-in used (`pwd`, `otp`, `mfa`…): refresh keeps them, re-authentication replaces them. */
  amr: string[];
  /** When the user last proved who they are in this session (login or re-authentication). */
  authTime: Date;
}

/** How the user proved who they are: signed into the session's access tokens as `amr` and `auth_time`. */
export interface SessionAuth {
  amr: string[];
  authTime: Date;
}

/** Who is asking and from where: recorded on the session, never used for authentication. */
export interface ClientContext {
  ip?: string;
  userAgent?: string;
}

export interface TokenPair {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  refresh_expires_in: number;
}

/** An access token alone, for a session whose refresh token stays as it is (re-authentication). */
export interface AccessTokenOnly {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}
