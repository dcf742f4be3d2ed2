import {
  base32Of,
  codeAt,
  isWellFormedCode,
  matchingStep,
  newTotpSecret,
  totpUri,
} from './totp';

const T0 = Date.UTC(2026, 11, 3, 12, 0, 0); // a step boundary: 1796212800 / 30
const STEP = Math.floor(T0 / 1000 / 30);

describe('totp', () => {
  const secret = newTotpSecret();

  it('makes 160-bit secrets', () => {
    expect(secret).toHaveLength(20);
    expect(newTotpSecret().equals(secret)).toBe(false);
  });

  it('finds the step of the current code and of the codes one step either side, and no further', () => {
    expect(matchingStep(secret, codeAt(secret, T0), T0)).toBe(STEP);
    expect(matchingStep(secret, codeAt(secret, T0 - 30_000), T0)).toBe(
      STEP - 1,
    );
    expect(matchingStep(secret, codeAt(secret, T0 + 30_000), T0)).toBe(
      STEP + 1,
    );
    const farOld = codeAt(secret, T0 - 60_000);
    const farNew = codeAt(secret, T0 + 60_000);
    const near = [-1, 0, 1].map((d) => codeAt(secret, T0 + d * 30_000));
    if (!near.includes(farOld))
      expect(matchingStep(secret, farOld, T0)).toBeNull();
    if (!near.includes(farNew))
      expect(matchingStep(secret, farNew, T0)).toBeNull();
  });

  it('refuses another secret’s code', () => {
    const other = newTotpSecret();
    const code = codeAt(other, T0);
    const mine = [-1, 0, 1].map((d) => codeAt(secret, T0 + d * 30_000));
    if (!mine.includes(code)) expect(matchingStep(secret, code, T0)).toBeNull();
  });

  it.each([
    ['seven digits', '1234567'],
    ['five digits', '12345'],
    ['spaces', '123 456'],
    ['letters', '12a456'],
    ['Arabic-Indic digits', '\u0661\u0662\u0663\u0664\u0665\u0666'],
    ['full-width digits', '\uff11\uff12\uff13\uff14\uff15\uff16'],
    ['empty', ''],
  ])('refuses %s without throwing', (_name, code) => {
    expect(isWellFormedCode(code)).toBe(false);
    expect(() => matchingStep(secret, code, T0)).not.toThrow();
    expect(matchingStep(secret, code, T0)).toBeNull();
  });

  it('shows the secret in RFC 4648 base32, as authenticator apps expect it typed', () => {
    // RFC 6238's test secret: the ASCII bytes of "12345678901234567890".
    expect(base32Of(Buffer.from('12345678901234567890', 'ascii'))).toBe(
      'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
    );
  });

  it('gives the otpauth URI with issuer, label, SHA-1, 6 digits and 30-second steps', () => {
    const uri = new URL(
      totpUri(
        Buffer.from('12345678901234567890', 'ascii'),
        'Gatehouse',
        'alice',
      ),
    );

    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Gatehouse:alice');
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      issuer: 'Gatehouse',
      secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });
  });

  it('computes the RFC 6238 SHA-1 test vector at T = 59 s (8-digit 94287082, so 6-digit 287082)', () => {
    expect(codeAt(Buffer.from('12345678901234567890', 'ascii'), 59_000)).toBe(
      '287082',
    );
  });
});
