import {
  createSecretKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { verify } from 'jsonwebtoken';
import type { SigningAlgorithm } from './signing-key';
import { signJws } from './jws-signer';

const claims = {
  iss: 'gatehouse',
  aud: 'gatehouse-api',
  sub: '6f1c7c0e-2a52-4c57-9d5e-0b1f0e7e3d11',
  sid: '0b9e5a4e-8d3c-4f0a-a6a5-7c1e2d3f4a5b',
  jti: 'c2a1f9d8-1e0b-4c7d-9a8b-3f2e1d0c9b8a',
  iat: 1_764_770_000,
  exp: 1_764_770_900,
  username: 'zoë "quoted" <tag>',
  roles: ['user', 'admin'],
  token_version: 3,
  amr: ['pwd', 'mfa'],
  auth_time: 1_764_769_000,
  email_verified: true,
};

/** What AccessTokenService signed with before: @nestjs/jwt with the same header. */
function nestSign(alg: SigningAlgorithm, key: KeyObject): string {
  return new JwtService({}).sign(claims, {
    privateKey: key,
    algorithm: alg,
    keyid: 'kid-1',
    header: { alg, typ: 'at+jwt', kid: 'kid-1' },
  });
}

describe(signJws.name, () => {
  it('writes the same HS256 token as @nestjs/jwt, byte for byte', () => {
    const key = createSecretKey(
      Buffer.from('a-secret-of-at-least-32-bytes-0123456789'),
    );
    const token = signJws(
      { alg: 'HS256', typ: 'at+jwt', kid: 'kid-1' },
      claims,
      key,
    );
    expect(token).toBe(nestSign('HS256', key));
  });

  it('writes the same RS256 token as @nestjs/jwt, byte for byte', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const token = signJws(
      { alg: 'RS256', typ: 'at+jwt', kid: 'kid-1' },
      claims,
      privateKey,
    );
    expect(token).toBe(nestSign('RS256', privateKey));
  });

  it('writes an ES256 token with @nestjs/jwt header and claims and a JOSE signature that verifies', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
    });
    const token = signJws(
      { alg: 'ES256', typ: 'at+jwt', kid: 'kid-1' },
      claims,
      privateKey,
    );
    const [header, payload, signature] = token.split('.');
    const [nestHeader, nestPayload] = nestSign('ES256', privateKey).split('.');
    expect(`${header}.${payload}`).toBe(`${nestHeader}.${nestPayload}`);
    // r‖s, 32 bytes each (a DER signature would be 70–72 bytes).
    expect(Buffer.from(signature, 'base64url')).toHaveLength(64);
    expect(
      verify(token, publicKey, {
        algorithms: ['ES256'],
        clockTimestamp: claims.iat,
      }),
    ).toEqual(claims);
  });

  it('makes a token that fails verification once a claim is changed', () => {
    const key = createSecretKey(
      Buffer.from('a-secret-of-at-least-32-bytes-0123456789'),
    );
    const [header, , signature] = signJws(
      { alg: 'HS256', typ: 'at+jwt', kid: 'kid-1' },
      claims,
      key,
    ).split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...claims, roles: ['admin'] }),
    ).toString('base64url');
    expect(() =>
      verify(`${header}.${forged}.${signature}`, key, {
        algorithms: ['HS256'],
        clockTimestamp: claims.iat,
      }),
    ).toThrow('invalid signature');
  });
});
