import {
  createSecretKey,
  generateKeyPairSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { sign } from 'jsonwebtoken';
import { decodeCompactJws, signatureIsValid } from './compact-jws';

const PAYLOAD = { sub: 'ada', iat: 1_800_000_000 };

function es256(namedCurve = 'P-256'): {
  privateKey: KeyObject;
  publicKey: KeyObject;
} {
  return generateKeyPairSync('ec', { namedCurve });
}

function checked(token: string, alg: 'HS256' | 'ES256', key: KeyObject) {
  const jws = decodeCompactJws(token);
  return jws !== undefined && signatureIsValid(jws, alg, key);
}

describe('compact JWS', () => {
  it('decodes header and payload once and keeps the signed bytes as sent', () => {
    const secret = createSecretKey(randomBytes(32));
    const token = sign(PAYLOAD, secret, {
      algorithm: 'HS256',
      header: { alg: 'HS256', kid: 'k1', typ: 'at+jwt' },
    });
    const jws = decodeCompactJws(token);
    expect(jws?.header).toEqual({ alg: 'HS256', kid: 'k1', typ: 'at+jwt' });
    expect(jws?.payload).toEqual(PAYLOAD);
    expect(`${jws?.signingInput}.${jws?.signature}`).toBe(token);
  });

  it.each([
    ['two segments', 'eyJhIjoxfQ.eyJhIjoxfQ'],
    ['an empty signature', 'eyJhIjoxfQ.eyJhIjoxfQ.'],
    ['a character outside base64url', 'eyJhIjoxfQ.eyJhIjoxfQ.ab+c'],
    ['a header that is no JSON', 'bm90IGpzb24.eyJhIjoxfQ.abc'],
    ['a payload that is a JSON array', 'eyJhIjoxfQ.WzFd.abc'],
  ])('refuses %s', (_what, token) => {
    expect(decodeCompactJws(token)).toBeUndefined();
  });

  it('accepts an HS256 MAC only as its exact base64url text', () => {
    const secret = createSecretKey(randomBytes(32));
    const token = sign(PAYLOAD, secret, { algorithm: 'HS256' });
    expect(checked(token, 'HS256', secret)).toBe(true);
    expect(checked(`${token}A`, 'HS256', secret)).toBe(false);
    expect(checked(token, 'HS256', createSecretKey(randomBytes(32)))).toBe(
      false,
    );
  });

  it('refuses an ES256 signature spelled another way than its one canonical base64url form', () => {
    const { privateKey, publicKey } = es256();
    const token = sign(PAYLOAD, privateKey, { algorithm: 'ES256' });
    expect(checked(token, 'ES256', publicKey)).toBe(true);
    // 64 bytes take 86 base64url characters, 516 bits: the last 4 are unused, and a lax decoder ignores them.
    const last = token.at(-1) ?? '';
    const alphabet =
      'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sameBits = alphabet[alphabet.indexOf(last) ^ 1];
    const respelled = `${token.slice(0, -1)}${sameBits}`;
    expect(
      Buffer.from(respelled.split('.')[2], 'base64url').equals(
        Buffer.from(token.split('.')[2], 'base64url'),
      ),
    ).toBe(true);
    expect(checked(respelled, 'ES256', publicKey)).toBe(false);
  });

  it('refuses a key that does not fit the algorithm', () => {
    const p384 = es256('P-384');
    const token = sign(PAYLOAD, p384.privateKey, { algorithm: 'ES384' });
    const jws = decodeCompactJws(token);
    expect(jws).toBeDefined();
    if (!jws) return;
    expect(signatureIsValid(jws, 'ES256', p384.publicKey)).toBe(false);
    const secret = createSecretKey(randomBytes(32));
    expect(signatureIsValid(jws, 'ES256', secret)).toBe(false);
    expect(signatureIsValid(jws, 'HS256', es256().publicKey)).toBe(false);
  });
});
