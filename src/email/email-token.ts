import { createHash, randomBytes } from 'node:crypto';

export type EmailTokenPurpose =
  'password_reset' | 'email_verify' | 'email_change';

/** 256 random bits, base64url: 43 characters. */
export function generateEmailToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Checked before any lookup: a truncated, padded, non-base64url or oversized token is refused without touching
 * the database, and what reaches the database is always one indexed lookup of a SHA-256.
 */
export function isWellFormedEmailToken(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}

export function hashEmailToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
