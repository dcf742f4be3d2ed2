import { codeAt, isWellFormedCode, matchingStep, newTotpSecret } from './totp';

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
});
