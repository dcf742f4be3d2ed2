import {
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
} from 'node:crypto';
import {
  decryptPrivateKey,
  deriveEncryptionKey,
  encryptPrivateKey,
  generateSigningKeyPair,
  keyMismatch,
  publicHalfMismatch,
  publicJwkOf,
  thumbprintOf,
} from './key-crypto';

const createHashOf = (text: string): string =>
  createHash('sha256').update(text).digest('base64url');

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

  it('derives the same at-rest key from a secret as every earlier release did (HKDF-SHA256, v1 salt and info)', () => {
    expect(deriveEncryptionKey('k'.repeat(32)).toString('hex')).toBe(
      '71735311365615907bd200f9c455e0c7e3df92f3016e60de625801c11304a299',
    );
  });

  it('opens a private key sealed in the v1 format by another implementation', () => {
    // AES-256-GCM, 12-byte IV, 16-byte tag, PKCS#8 DER body, the kid as AAD: sealed with node:crypto directly.
    const sealed =
      'v1.N-FU12h-DO-6HYcqbJbFWsWeAGX5F47oRkSLD7XwFeaIxP2KtMYoTmBm3fdwFA641kDzlnxNBuRJKRiJzBXBvjjR8FCXWNrYl6fN7F59TKenrFAQoabQcwaPdYb77SgWfduWg873cFule15ki8o3bPnDqiVz457aiwrk0OZe18EHpKSA37bjxn9Xg8NddTtC1Hxb89jNoC_Hb30AOBMgRDuYPklQyg';
    const opened = decryptPrivateKey(
      sealed,
      'kid-1',
      deriveEncryptionKey('k'.repeat(32)),
    );
    expect(publicJwkOf(opened)).toEqual({
      kty: 'EC',
      crv: 'P-256',
      x: 'EUWCw4so6ItP9pgo2UFdHMhthqg4ZrRVDObqdEEY4Vo',
      y: '_cp2DPBf3GiDqQcdvVyGtG2NQujagHFt02xSCMvV4R0',
    });
  });

  it('seals a private key in the v1 format: IV, tag and PKCS#8 body under AES-256-GCM with the kid as AAD', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key = deriveEncryptionKey('k'.repeat(32));
    const sealed = encryptPrivateKey(privateKey, 'kid-1', key);
    expect(sealed).toMatch(/^v1\.[\w-]+$/);
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from('kid-1'));
    decipher.setAuthTag(raw.subarray(12, 28));
    const der = Buffer.concat([
      decipher.update(raw.subarray(28)),
      decipher.final(),
    ]);
    expect(
      publicJwkOf(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })),
    ).toEqual(publicJwkOf(privateKey));
  });

  it('never seals the same key twice to the same ciphertext', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key = deriveEncryptionKey('k'.repeat(32));
    expect(encryptPrivateKey(privateKey, 'kid-1', key)).not.toBe(
      encryptPrivateKey(privateKey, 'kid-1', key),
    );
  });

  it.each([
    ['the IV', 3],
    ['the tag', 20],
    ['the body', 40],
  ])('refuses a sealed key with a changed byte in %s', (_where, index) => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key = deriveEncryptionKey('k'.repeat(32));
    const raw = Buffer.from(
      encryptPrivateKey(privateKey, 'kid-1', key).slice(3),
      'base64url',
    );
    raw[index] ^= 1;
    expect(() =>
      decryptPrivateKey(`v1.${raw.toString('base64url')}`, 'kid-1', key),
    ).toThrow();
  });

  it.each([
    ['another format', (sealed: string) => `v2${sealed.slice(2)}`],
    ['no format', (sealed: string) => sealed.slice(3)],
    ['no payload', () => 'v1.'],
    ['no separator', () => 'v1'],
  ])(
    'refuses a sealed key with %s as of an unknown format',
    (_what, change) => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const key = deriveEncryptionKey('k'.repeat(32));
      const sealed = encryptPrivateKey(privateKey, 'kid-1', key);
      expect(() => decryptPrivateKey(change(sealed), 'kid-1', key)).toThrow(
        'unknown private key format',
      );
    },
  );

  it('gives the same RFC 7638 thumbprint for a key whatever other members its JWK carries', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
    });
    const jwk = publicJwkOf(publicKey);
    expect(thumbprintOf(publicJwkOf(privateKey))).toBe(thumbprintOf(jwk));
    expect(thumbprintOf({ ...jwk, kid: 'k', use: 'sig' })).toBe(
      thumbprintOf(jwk),
    );
    expect(thumbprintOf({ y: jwk.y, x: jwk.x, crv: jwk.crv, kty: 'EC' })).toBe(
      thumbprintOf(jwk),
    );
  });

  it('computes an EC thumbprint over crv, kty, x and y in that order (RFC 7638 §3.2)', () => {
    const jwk = { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AQ' };
    // sha256 of {"crv":"P-256","kty":"EC","x":"AA","y":"AQ"}
    expect(thumbprintOf(jwk)).toBe(
      createHashOf('{"crv":"P-256","kty":"EC","x":"AA","y":"AQ"}'),
    );
  });

  it('refuses to publish a key type it has no JWK members for', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    expect(() => publicJwkOf(publicKey)).toThrow('unsupported key type OKP');
  });

  it('refuses to publish a secret', () => {
    expect(() => publicJwkOf(createSecretKey(Buffer.alloc(32)))).toThrow();
  });

  it.each(['RS256', 'ES256'] as const)(
    'generates a key pair that fits %s',
    async (alg) => {
      const { privateKey, publicKey } = await generateSigningKeyPair(alg);
      expect(keyMismatch(privateKey, alg)).toBeUndefined();
      expect(publicKey.type).toBe('public');
      expect(publicJwkOf(publicKey)).toEqual(publicJwkOf(privateKey));
    },
  );

  it('generates RSA keys of 2048 bits', async () => {
    const { privateKey } = await generateSigningKeyPair('RS256');
    expect(privateKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it('says which key it got and which the algorithm needs', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    const small = generateKeyPairSync('rsa', {
      modulusLength: 1024,
    }).privateKey;
    expect(keyMismatch(rsa, 'ES256')).toBe(
      'is a rsa key, but JWT_ALGORITHM=ES256 needs an EC P-256 key',
    );
    expect(keyMismatch(p384, 'RS256')).toBe(
      'is an ec key on secp384r1, but JWT_ALGORITHM=RS256 needs an RSA key',
    );
    expect(keyMismatch(createSecretKey(Buffer.alloc(32)), 'RS256')).toBe(
      'is a secret key, but JWT_ALGORITHM=RS256 needs an RSA key',
    );
    expect(keyMismatch(createSecretKey(Buffer.alloc(32)), 'ES256')).toBe(
      'is a secret key, but JWT_ALGORITHM=ES256 needs an EC P-256 key',
    );
    expect(keyMismatch(small, 'RS256')).toBe(
      'is a 1024-bit RSA key; RS256 needs at least 2048 bits',
    );
  });

  it('refuses a stored public key that lacks a member or carries another value', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicJwkOf(privateKey);
    const kid = thumbprintOf(jwk);
    const { y: _y, ...withoutY } = jwk;
    expect(publicHalfMismatch(privateKey, kid, withoutY)).toMatch(
      /stored public key/,
    );
    expect(
      publicHalfMismatch(privateKey, kid, { ...withoutY, d: jwk.y }),
    ).toMatch(/stored public key/);
    expect(
      publicHalfMismatch(privateKey, kid, { ...jwk, crv: 'P-384' }),
    ).toMatch(/stored public key/);
  });
});
