import crypto from 'node:crypto';
import {
  createHmac,
  createSecretKey,
  generateKeyPairSync,
  randomBytes,
  sign as signBytes,
  type KeyObject,
} from 'node:crypto';
import { sign } from 'jsonwebtoken';
import { decodeCompactJws, signatureIsValid } from './compact-jws';
import type { SigningAlgorithm } from './signing-key';

const PAYLOAD = { sub: 'ada', iat: 1_800_000_000 };

function es256(namedCurve = 'P-256'): {
  privateKey: KeyObject;
  publicKey: KeyObject;
} {
  return generateKeyPairSync('ec', { namedCurve });
}

const part = (json: unknown): string =>
  Buffer.from(JSON.stringify(json)).toString('base64url');

/** A token signed by hand, so a test can pair any header with any key and signature encoding. */
function handSigned(
  alg: SigningAlgorithm,
  key: KeyObject,
  dsaEncoding: 'der' | 'ieee-p1363' = 'ieee-p1363',
): string {
  const input = `${part({ alg, typ: 'at+jwt' })}.${part(PAYLOAD)}`;
  const signature =
    key.type === 'secret'
      ? createHmac('sha256', key).update(input).digest()
      : signBytes('sha256', Buffer.from(input), { key, dsaEncoding });
  return `${input}.${signature.toString('base64url')}`;
}

/** The same token with another payload under the original signature. */
function withPayload(token: string, payload: object): string {
  const [header, , signature] = token.split('.');
  return `${header}.${part(payload)}.${signature}`;
}

function checked(token: string, alg: SigningAlgorithm, key: KeyObject) {
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
    ['a header that is a JSON number', `${part(1)}.${part(PAYLOAD)}.abc`],
    ['a header that is a JSON string', `${part('x')}.${part(PAYLOAD)}.abc`],
    ['a header that is JSON true', `${part(true)}.${part(PAYLOAD)}.abc`],
    ['a header that is JSON null', `${part(null)}.${part(PAYLOAD)}.abc`],
    ['a payload that is a JSON string', `${part({})}.${part('x')}.abc`],
    ['a payload that is JSON null', `${part({})}.${part(null)}.abc`],
    ['a payload that is no JSON', `${part({})}.bm90IGpzb24.abc`],
    ['four segments', `${part({})}.${part(PAYLOAD)}.abc.abc`],
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

  it('accepts an RS256 signature from the RSA public key and refuses it over a changed payload', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
    });
    const token = handSigned('RS256', privateKey);
    expect(checked(token, 'RS256', publicKey)).toBe(true);
    expect(
      checked(
        withPayload(token, { ...PAYLOAD, sub: 'eve' }),
        'RS256',
        publicKey,
      ),
    ).toBe(false);
  });

  it.each<SigningAlgorithm>(['HS256', 'ES256'])(
    'refuses a %s token whose payload was changed after signing',
    (alg) => {
      const { privateKey, publicKey } = es256();
      const secret = createSecretKey(randomBytes(32));
      const token = handSigned(alg, alg === 'HS256' ? secret : privateKey);
      const key = alg === 'HS256' ? secret : publicKey;
      expect(checked(token, alg, key)).toBe(true);
      expect(
        checked(withPayload(token, { ...PAYLOAD, sub: 'eve' }), alg, key),
      ).toBe(false);
    },
  );

  it('refuses a private key as the verification key, also when asked again', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const token = handSigned('RS256', privateKey);
    expect(checked(token, 'RS256', privateKey)).toBe(false);
    expect(checked(token, 'RS256', privateKey)).toBe(false);
  });

  it('refuses an EC key under RS256 although its DER signature checks out', () => {
    const { privateKey, publicKey } = es256();
    const token = handSigned('RS256', privateKey, 'der');
    expect(checked(token, 'RS256', publicKey)).toBe(false);
  });

  it('refuses a secp256k1 key under ES256 although its 64-byte signature checks out', () => {
    const { privateKey, publicKey } = es256('secp256k1');
    const token = handSigned('ES256', privateKey);
    expect(Buffer.from(token.split('.')[2], 'base64url')).toHaveLength(64);
    expect(checked(token, 'ES256', publicKey)).toBe(false);
  });

  it('refuses an RSA public key that verified RS256 tokens as an HS256 secret (algorithm confusion)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
    });
    expect(checked(handSigned('RS256', privateKey), 'RS256', publicKey)).toBe(
      true,
    );
    const pem = createSecretKey(
      Buffer.from(publicKey.export({ format: 'pem', type: 'spki' })),
    );
    expect(checked(handSigned('HS256', pem), 'HS256', publicKey)).toBe(false);
  });

  it.each([
    ['63 bytes', (sig: Buffer) => sig.subarray(1)],
    ['65 bytes', (sig: Buffer) => Buffer.concat([Buffer.alloc(1), sig])],
  ])('refuses an ES256 signature of %s', (_what, change) => {
    const { privateKey, publicKey } = es256();
    const token = handSigned('ES256', privateKey);
    const input = token.slice(0, token.lastIndexOf('.'));
    const signature = token.slice(token.lastIndexOf('.') + 1);
    const changed = change(Buffer.from(signature, 'base64url'));
    expect(
      checked(`${input}.${changed.toString('base64url')}`, 'ES256', publicKey),
    ).toBe(false);
  });

  it('refuses an ES256 signature in DER form', () => {
    const { privateKey, publicKey } = es256();
    expect(
      checked(handSigned('ES256', privateKey, 'der'), 'ES256', publicKey),
    ).toBe(false);
  });

  it('counts an error inside the signature check as an invalid signature', () => {
    const { privateKey, publicKey } = es256();
    const token = handSigned('ES256', privateKey);
    const verify = jest.spyOn(crypto, 'verify').mockImplementation(() => {
      throw new Error('library failure');
    });
    try {
      expect(checked(token, 'ES256', publicKey)).toBe(false);
      expect(verify).toHaveBeenCalled();
    } finally {
      verify.mockRestore();
    }
  });
});
