import { createHash, randomBytes } from 'node:crypto';
import { Secret } from 'otpauth';

export const RECOVERY_CODE_COUNT = 10;

/** 120 random bits as 24 base32 characters (otpauth's RFC 4648 encoder), in six groups of four: `ABCD-EFGH-…`. */
function recoveryCode(): string {
  const bytes = randomBytes(15);
  const base32 = new Secret({
    buffer: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + 15),
  }).base32;
  return base32.match(/.{4}/g)!.join('-');
}

export function generateRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, recoveryCode);
}

/**
 * A code as typed: case, spaces and dashes do not matter. Undefined when what is left cannot be a recovery code,
 * so a malformed one is refused without a lookup.
 */
export function normalizeRecoveryCode(input: string): string | undefined {
  const code = input.replace(/[\s-]/g, '').toUpperCase();
  return /^[A-Z2-7]{24}$/.test(code) ? code : undefined;
}

export function hashRecoveryCode(normalized: string): string {
  return createHash('sha256').update(normalized).digest('hex');
}
