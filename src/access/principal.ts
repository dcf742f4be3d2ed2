import type { Role } from './role.enum';

/** The authenticated caller, built from a verified access token; handlers get it through @CurrentUser(). */
export interface Principal {
  userId: string;
  username: string;
  roles: Role[];
  sessionId: string;
  tokenId: string;
  issuedAt: number;
  expiresAt: number;
  /** The user's token version the token was signed with (see AccessTokenClaims.token_version). */
  tokenVersion: number;
  /** RFC 8176 methods of the session's sign-in (the token's `amr`). */
  amr: string[];
  /** When the user last proved who they are, in seconds since the epoch (the token's `auth_time`); step-up reads it. */
  authTime: number;
}
