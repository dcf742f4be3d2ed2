import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

/** RFC 6238 as every authenticator app reads it: SHA-1, 6 digits, 30-second steps. */
const PERIOD = 30;
const DIGITS = 6;

/** 160 random bits, the size RFC 4226 recommends for HMAC-SHA-1. */
export function newTotpSecret(): Buffer {
  return randomBytes(20);
}

function totp(secret: Buffer, issuer = '', label = ''): TOTP {
  return new TOTP({
    issuer,
    label,
    algorithm: 'SHA1',
    digits: DIGITS,
    period: PERIOD,
    secret: Secret.fromHex(secret.toString('hex')),
  });
}

export function base32Of(secret: Buffer): string {
  return Secret.fromHex(secret.toString('hex')).base32;
}

/** The `otpauth://totp/…` URI authenticator apps scan, labelled `issuer:label`. */
export function totpUri(secret: Buffer, issuer: string, label: string): string {
  return totp(secret, issuer, label).toString();
}

/**
 * Six ASCII digits and nothing else. Checked before otpauth sees the code: its validate() throws RangeError on
 * some non-ASCII digits of the right length (Arabic-Indic, for one).
 */
export function isWellFormedCode(code: string): boolean {
  return /^[0-9]{6}$/.test(code);
}

/** The time step a well-formed code belongs to, within one step either side of now; null when it matches none. */
export function matchingStep(
  secret: Buffer,
  code: string,
  nowMs: number,
): number | null {
  if (!isWellFormedCode(code)) return null;
  const delta = totp(secret).validate({
    token: code,
    timestamp: nowMs,
    window: 1,
  });
  return delta === null ? null : Math.floor(nowMs / 1000 / PERIOD) + delta;
}

/** The code for a moment (tests, and nothing else in production code). */
export function codeAt(secret: Buffer, nowMs: number): string {
  return totp(secret).generate({ timestamp: nowMs });
}
