import {
  generateRecoveryCodes,
  hashRecoveryCode,
  normalizeRecoveryCode,
  RECOVERY_CODE_COUNT,
} from './recovery-codes';

describe('recovery codes', () => {
  it('makes ten distinct codes of 120 random bits in six groups of four base32 characters', () => {
    const codes = generateRecoveryCodes();
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(new Set(codes).size).toBe(RECOVERY_CODE_COUNT);
    for (const code of codes)
      expect(code).toMatch(/^[A-Z2-7]{4}(-[A-Z2-7]{4}){5}$/);
  });

  it('reads a code whatever its case, spaces and dashes', () => {
    const [code] = generateRecoveryCodes();
    const plain = code.replace(/-/g, '');
    for (const typed of [
      code,
      code.toLowerCase(),
      plain,
      plain.toLowerCase(),
      ` ${code.replace(/-/g, ' ')} `,
    ])
      expect(normalizeRecoveryCode(typed)).toBe(plain);
    expect(hashRecoveryCode(normalizeRecoveryCode(code.toLowerCase())!)).toBe(
      hashRecoveryCode(plain),
    );
  });

  it.each([
    ['too short', 'ABCD-EFGH'],
    ['too long', 'ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23'],
    ['outside base32', 'ABCD-EFGH-IJKL-MNOP-QRST-UVW1'],
    ['empty', ''],
  ])('refuses a code that is %s', (_name, input) => {
    expect(normalizeRecoveryCode(input)).toBeUndefined();
  });

  it('hashes with SHA-256, hex', () => {
    expect(hashRecoveryCode('A'.repeat(24))).toMatch(/^[0-9a-f]{64}$/);
  });
});
