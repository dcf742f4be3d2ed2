import { createDecipheriv, hkdfSync } from 'node:crypto';
import {
  generateRefreshToken,
  hashRefreshToken,
  isWellFormedRefreshToken,
  openSuccessor,
  sealSuccessor,
} from './refresh-token';

describe('refresh tokens', () => {
  describe(generateRefreshToken.name, () => {
    it('returns 256 random bits as 43 URL-safe characters, never twice the same', () => {
      const tokens = Array.from({ length: 1000 }, generateRefreshToken);
      for (const token of tokens) {
        expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(Buffer.from(token, 'base64url')).toHaveLength(32);
      }
      expect(new Set(tokens).size).toBe(tokens.length);
    });
  });

  describe(isWellFormedRefreshToken.name, () => {
    it('accepts what the generator makes', () => {
      expect(isWellFormedRefreshToken(generateRefreshToken())).toBe(true);
    });

    it.each([
      ['empty', ''],
      ['too short', 'a'.repeat(42)],
      ['too long', 'a'.repeat(44)],
      ['padded base64', `${'a'.repeat(42)}=`],
      ['standard base64 alphabet', `${'a'.repeat(42)}+`],
      ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-nature-xx'],
      ['whitespace', ` ${'a'.repeat(42)}`],
      ['a trailing newline', `${'a'.repeat(43)}\n`],
    ])('rejects %s', (_label, value) => {
      expect(isWellFormedRefreshToken(value)).toBe(false);
    });
  });

  describe(hashRefreshToken.name, () => {
    it('is the hex SHA-256 of the token', () => {
      // SHA-256("abc"), FIPS 180-2 test vector.
      expect(hashRefreshToken('abc')).toBe(
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      );
      const token = generateRefreshToken();
      expect(hashRefreshToken(token)).toBe(hashRefreshToken(token));
      expect(hashRefreshToken(token)).not.toContain(token);
    });
  });

  describe('successor sealing', () => {
    const pair = {
      access_token: 'header.payload.signature',
      refresh_token: generateRefreshToken(),
      expires_in: 900,
    };

    it('opens with the token it was sealed under', () => {
      const presented = generateRefreshToken();
      const sealed = sealSuccessor(presented, pair);
      expect(openSuccessor(presented, sealed)).toEqual(pair);
    });

    it('hides the pair from whoever does not hold the presented token', () => {
      const presented = generateRefreshToken();
      const sealed = sealSuccessor(presented, pair);
      expect(sealed).not.toContain(pair.refresh_token);
      expect(Buffer.from(sealed, 'base64url').toString('latin1')).not.toContain(
        pair.refresh_token,
      );
      expect(openSuccessor(generateRefreshToken(), sealed)).toBeUndefined();
    });

    it('uses a fresh nonce each time', () => {
      const presented = generateRefreshToken();
      expect(sealSuccessor(presented, pair)).not.toBe(
        sealSuccessor(presented, pair),
      );
    });

    it('seals with AES-256-GCM under HKDF-SHA-256 of the presented token (info "gatehouse refresh successor v1"), so pairs stored by an earlier release still open', () => {
      const presented = generateRefreshToken();
      const raw = Buffer.from(sealSuccessor(presented, pair), 'base64url');
      const key = Buffer.from(
        hkdfSync(
          'sha256',
          presented,
          Buffer.alloc(0),
          'gatehouse refresh successor v1',
          32,
        ),
      );
      const decipher = createDecipheriv(
        'aes-256-gcm',
        key,
        raw.subarray(0, 12),
      );
      decipher.setAuthTag(raw.subarray(12, 28));
      const plain = Buffer.concat([
        decipher.update(raw.subarray(28)),
        decipher.final(),
      ]);

      expect(JSON.parse(plain.toString('utf8'))).toEqual(pair);
    });

    it('refuses tampered or garbage input instead of throwing', () => {
      const presented = generateRefreshToken();
      const raw = Buffer.from(sealSuccessor(presented, pair), 'base64url');
      raw[raw.length - 1] ^= 1;
      expect(
        openSuccessor(presented, raw.toString('base64url')),
      ).toBeUndefined();
      expect(openSuccessor(presented, '')).toBeUndefined();
      expect(openSuccessor(presented, 'not sealed at all')).toBeUndefined();
    });
  });
});
