import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import {
  decryptPrivateKey,
  deriveEncryptionKey,
  encryptPrivateKey,
  keyMismatch,
  publicHalfMismatch,
  publicJwkOf,
  thumbprintOf,
} from './key-crypto';

describe('key-crypto', () => {
  it('computes the RFC 7638 §3.1 example thumbprint', () => {
    const jwk = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
    };
    expect(thumbprintOf(jwk)).toBe(
      'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
    );
  });

  it('exports only public members, even from a private key', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(Object.keys(publicJwkOf(privateKey)).sort()).toEqual([
      'e',
      'kty',
      'n',
    ]);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(Object.keys(publicJwkOf(ec.privateKey)).sort()).toEqual([
      'crv',
      'kty',
      'x',
      'y',
    ]);
  });

  it('round-trips a private key and refuses another encryption key or kid', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key = deriveEncryptionKey('k'.repeat(32));
    const sealed = encryptPrivateKey(privateKey, 'kid-1', key);
    const opened = decryptPrivateKey(sealed, 'kid-1', key);
    expect(createPublicKey(opened).export({ format: 'jwk' })).toEqual(
      createPublicKey(privateKey).export({ format: 'jwk' }),
    );
    expect(() =>
      decryptPrivateKey(sealed, 'kid-1', deriveEncryptionKey('x'.repeat(32))),
    ).toThrow();
    expect(() => decryptPrivateKey(sealed, 'kid-2', key)).toThrow();
  });

  it('pins key types to algorithms', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const small = generateKeyPairSync('rsa', {
      modulusLength: 1024,
    }).privateKey;
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    expect(keyMismatch(rsa, 'RS256')).toBeUndefined();
    expect(keyMismatch(p256, 'ES256')).toBeUndefined();
    expect(keyMismatch(small, 'RS256')).toMatch(/1024-bit/);
    expect(keyMismatch(p256, 'RS256')).toMatch(/needs an RSA key/);
    expect(keyMismatch(rsa, 'ES256')).toMatch(/needs an EC P-256 key/);
    expect(keyMismatch(p384, 'ES256')).toMatch(/secp384r1/);
  });

  it('binds a stored public key to its private key by the kid thumbprint', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicJwkOf(privateKey);
    const kid = thumbprintOf(jwk);
    expect(publicHalfMismatch(privateKey, kid, jwk)).toBeUndefined();
    const other = publicJwkOf(
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    );
    expect(publicHalfMismatch(privateKey, kid, other)).toMatch(
      /stored public key is not the public half/,
    );
    expect(publicHalfMismatch(privateKey, thumbprintOf(other), other)).toMatch(
      /thumbprint is not the kid/,
    );
    expect(publicHalfMismatch(privateKey, kid, { ...jwk, d: 'x' })).toMatch(
      /stored public key/,
    );
    expect(publicHalfMismatch(privateKey, kid, null)).toMatch(
      /stored public key/,
    );
  });
});
