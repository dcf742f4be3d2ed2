import type { Role } from 'src/access/role.enum';

/** A user as the rest of the app sees it: never with the password hash. */
export interface User {
  id: string;
  username: string;
  /** Null for an account an external provider made without vouching for an address (docs/federation.md). */
  email: string | null;
  roles: Role[];
  disabled: boolean;
  /** The user proved they read mail at `email` (a verification or reset link, an email change, or an admin said so). */
  emailVerified: boolean;
  /** The user has a confirmed second factor (TOTP): a password alone no longer signs them in. */
  mfaEnabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface UserCredentials {
  user: User;
  /** Null: the account has no password (it signs in through a provider or a passkey). */
  passwordHash: string | null;
}
