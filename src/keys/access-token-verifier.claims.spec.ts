import {
  createHmac,
  createSecretKey,
  randomBytes,
  randomUUID,
} from 'node:crypto';
import type { ConfigType } from '@nestjs/config';
import type { tokensConfig } from 'src/config/tokens.config';
import type { RevocationService } from 'src/revocation/revocation.service';
import { AccessTokenVerifier } from './access-token-verifier';
import type { SigningKey } from './signing-key';
import type { SigningKeysService } from './signing-keys.service';

// Kept apart from access-token-verifier.spec.ts (issue 20, mutation testing): the claims a Principal is built from
// and the header read before the signature, each refused on its own.
const ISSUER = 'https://gatehouse.test';
const AUDIENCE = 'gatehouse-api';
const TOLERANCE = 5;
const TTL = 900;
const NOW = 1_800_000_000;

const secret = createSecretKey(randomBytes(32));
const key: SigningKey = {
  kid: 'hs-1',
  alg: 'HS256',
  signingKey: secret,
  verificationKey: secret,
};

function claims(
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: randomUUID(),
    sid: randomUUID(),
    jti: randomUUID(),
    iat: NOW,
    exp: NOW + TTL,
    username: 'ada',
    roles: ['user'],
    token_version: 3,
    amr: ['pwd'],
    auth_time: NOW - 60,
    ...overrides,
  };
}

const b64 = (value: unknown): string =>
  Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** HS256 by hand, so a payload jsonwebtoken's sign() would refuse to write can still be signed. */
function tokenOf(
  payload: Record<string, unknown>,
  header: Record<string, unknown> = {},
): string {
  const signed = `${b64({ alg: 'HS256', kid: key.kid, typ: 'at+jwt', ...header })}.${b64(payload)}`;
  return `${signed}.${createHmac('sha256', secret).update(signed).digest('base64url')}`;
}

describe(AccessTokenVerifier.name, () => {
  let seconds: number;
  let verifier: AccessTokenVerifier;

  beforeEach(() => {
    seconds = NOW;
    verifier = new AccessTokenVerifier(
      {
        findKey: (kid: unknown) => (kid === key.kid ? key : undefined),
      } as unknown as SigningKeysService,
      { isRevoked: () => false } as unknown as RevocationService,
      {
        nowSeconds: () => seconds,
        now: () => new Date(seconds * 1000),
      },
      {
        issuer: ISSUER,
        audience: AUDIENCE,
        clockToleranceSeconds: TOLERANCE,
      } as ConfigType<typeof tokensConfig>,
    );
  });

  it('accepts a token carrying every claim (the baseline the cases below each break once)', () => {
    expect(verifier.verify(tokenOf(claims()))).toMatchObject({
      username: 'ada',
      expiresAt: NOW + TTL,
    });
  });

  it.each([
    ['without a subject', { sub: undefined }],
    ['with a numeric subject', { sub: 42 }],
    ['without a token id (jti)', { jti: undefined }],
    ['without iat', { iat: undefined }],
    ['with iat as a string', { iat: String(NOW) }],
    ['without exp', { exp: undefined }],
    ['without a username', { username: undefined }],
    ['with a username that is not a string', { username: ['ada'] }],
  ])('refuses a signed, unexpired token %s', (_what, overrides) => {
    expect(verifier.verify(tokenOf(claims(overrides)))).toBe('invalid');
  });

  it.each([
    ['null', 'null'],
    ['a JSON string', '"HS256"'],
    ['a number', '7'],
  ])('refuses, without throwing, a token whose header is %s', (_what, json) => {
    const [, payload, signature] = tokenOf(claims()).split('.');
    const header = Buffer.from(json, 'utf8').toString('base64url');

    expect(() =>
      verifier.verify(`${header}.${payload}.${signature}`),
    ).not.toThrow();
    expect(verifier.verify(`${header}.${payload}.${signature}`)).toBe(
      'invalid',
    );
  });

  it('keeps serving a verified token up to the last second of the clock tolerance past exp, then refuses it', () => {
    const token = tokenOf(claims());
    expect(verifier.verify(token)).toMatchObject({ expiresAt: NOW + TTL });

    seconds = NOW + TTL + TOLERANCE - 1;
    expect(verifier.verify(token)).toMatchObject({ expiresAt: NOW + TTL });
    seconds = NOW + TTL + TOLERANCE;
    expect(verifier.verify(token)).toBe('expired');
  });

  it('accepts a token whose nbf is up to the clock tolerance ahead, and refuses it from the second after', () => {
    expect(verifier.verify(tokenOf(claims({ nbf: NOW })))).toMatchObject({
      username: 'ada',
    });
    expect(
      verifier.verify(tokenOf(claims({ nbf: NOW + TOLERANCE }))),
    ).toMatchObject({ username: 'ada' });
    expect(verifier.verify(tokenOf(claims({ nbf: NOW + TOLERANCE + 1 })))).toBe(
      'invalid',
    );
  });

  it.each([
    ['a string', String(NOW)],
    ['null', null],
  ])('refuses a token whose nbf is %s', (_what, nbf) => {
    expect(verifier.verify(tokenOf(claims({ nbf })))).toBe('invalid');
  });

  it('accepts an audience list that names this API, and refuses one that does not', () => {
    expect(
      verifier.verify(tokenOf(claims({ aud: ['other-api', AUDIENCE] }))),
    ).toMatchObject({ username: 'ada' });
    expect(verifier.verify(tokenOf(claims({ aud: ['other-api'] })))).toBe(
      'invalid',
    );
    expect(verifier.verify(tokenOf(claims({ aud: undefined })))).toBe(
      'invalid',
    );
  });

  it.each([['none'], ['HS384'], ['RS256'], [undefined]])(
    'refuses a token its kid’s key did sign whose header declares alg %s',
    (alg) => {
      expect(verifier.verify(tokenOf(claims(), { alg }))).toBe('invalid');
    },
  );

  it.each([
    ['null', null],
    ['true', true],
    ['a string', '0'],
  ])(
    'refuses a token whose exp is %s as invalid, not expired',
    (_what, exp) => {
      expect(verifier.verify(tokenOf(claims({ exp })))).toBe('invalid');
    },
  );

  it('reports the verified-token cache counters for the metrics scrape', () => {
    const token = tokenOf(claims());
    verifier.verify(token);
    verifier.verify(token);
    expect(verifier.cacheStats()).toMatchObject({
      hits: 1,
      misses: 1,
      entries: 1,
    });
  });
});
