import { createHash } from 'node:crypto';
import {
  generateEmailToken,
  hashEmailToken,
  isWellFormedEmailToken,
} from './email-token';

describe('email token', () => {
  it('generates 43 base64url characters (256 bits), a new one every time', () => {
    const token = generateEmailToken();

    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(generateEmailToken()).not.toBe(token);
  });

  it('finds a generated token well formed', () => {
    expect(isWellFormedEmailToken(generateEmailToken())).toBe(true);
    expect(isWellFormedEmailToken('Az09_-'.padEnd(43, 'x'))).toBe(true);
  });

  it.each([
    ['one character short', 'a'.repeat(42)],
    ['one character long', 'a'.repeat(44)],
    ['base64 padding', `${'a'.repeat(42)}=`],
    ['a "+" (base64, not base64url)', `${'a'.repeat(42)}+`],
    ['a character before a valid token', `.${'a'.repeat(43)}`],
    ['a character after a valid token', `${'a'.repeat(43)}.`],
    ['a newline after a valid token', `${'a'.repeat(43)}\n`],
    ['empty', ''],
  ])('refuses a token with %s before any lookup', (_case, token) => {
    expect(isWellFormedEmailToken(token)).toBe(false);
  });

  it('stores the hex SHA-256 of the token, never the token', () => {
    const token = generateEmailToken();

    expect(hashEmailToken(token)).toBe(
      createHash('sha256').update(token).digest('hex'),
    );
    expect(hashEmailToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashEmailToken(`${token}x`)).not.toBe(hashEmailToken(token));
  });
});
