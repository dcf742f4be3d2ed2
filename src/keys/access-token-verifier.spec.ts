import {
  createSecretKey,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import type { ConfigType } from '@nestjs/config';
import { sign, type Algorithm } from 'jsonwebtoken';
import type { Principal } from 'src/access/principal';
import type { tokensConfig } from 'src/config/tokens.config';
import type { RevocationService } from 'src/revocation/revocation.service';
import type { AccessTokenClaims } from './access-token';
import { AccessTokenVerifier } from './access-token-verifier';
import type { SigningKey } from './signing-key';
import type { SigningKeysService } from './signing-keys.service';

const ISSUER = 'https://gatehouse.test';
const AUDIENCE = 'gatehouse-api';
const TOLERANCE = 5;
const TTL = 900;
const NOW = 1_800_000_000;

function ecKey(kid: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
  });
  return {
    kid,
    alg: 'ES256',
    signingKey: privateKey,
    verificationKey: publicKey,
  };
}

function hmacKey(kid: string): SigningKey {
  const secret = createSecretKey(randomBytes(32));
  return { kid, alg: 'HS256', signingKey: secret, verificationKey: secret };
}

/** The key ring as the verifier sees it: a kid either names an accepted key or nothing. */
class FakeKeys {
  readonly byKid = new Map<string, SigningKey>();
  findKey(kid: unknown): SigningKey | undefined {
    return typeof kid === 'string' ? this.byKid.get(kid) : undefined;
  }
}

class FakeRevocations {
  readonly sessions = new Set<string>();
  readonly minVersions = new Map<string, number>();
  isRevoked(sessionId: string, userId: string, tokenVersion: number): boolean {
    return (
      this.sessions.has(sessionId) ||
      tokenVersion < (this.minVersions.get(userId) ?? 0)
    );
  }
}

class FakeClock {
  seconds = NOW;
  now(): Date {
    return new Date(this.seconds * 1000);
  }
  nowSeconds(): number {
    return this.seconds;
  }
}

function claims(overrides: Record<string, unknown> = {}): AccessTokenClaims {
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

function tokenOf(
  key: SigningKey,
  payload: object = claims(),
  header: { alg?: Algorithm; kid?: string; typ?: string } = {},
  signWith: KeyObject | string = key.signingKey,
): string {
  const alg = header.alg ?? key.alg;
  return sign(payload, signWith, {
    algorithm: alg,
    header: { alg, kid: key.kid, typ: 'at+jwt', ...header },
  });
}

describe(AccessTokenVerifier.name, () => {
  let keys: FakeKeys;
  let revocations: FakeRevocations;
  let clock: FakeClock;
  let verifier: AccessTokenVerifier;
  let es: SigningKey;
  let hs: SigningKey;

  beforeEach(() => {
    keys = new FakeKeys();
    revocations = new FakeRevocations();
    clock = new FakeClock();
    es = ecKey('es-1');
    hs = hmacKey('hs-1');
    keys.byKid.set(es.kid, es).set(hs.kid, hs);
    verifier = new AccessTokenVerifier(
      keys as unknown as SigningKeysService,
      revocations as unknown as RevocationService,
      clock,
      {
        issuer: ISSUER,
        audience: AUDIENCE,
        clockToleranceSeconds: TOLERANCE,
      } as ConfigType<typeof tokensConfig>,
    );
  });

  describe('a token it has not seen', () => {
    it.each(['es', 'hs'] as const)(
      'turns a valid %s token into the principal it stands for',
      (which) => {
        const payload = claims();
        const principal = verifier.verify(
          tokenOf(which === 'es' ? es : hs, payload),
        );
        expect(principal).toEqual<Principal>({
          userId: payload.sub,
          username: 'ada',
          roles: ['user'] as Principal['roles'],
          sessionId: payload.sid,
          tokenId: payload.jti,
          issuedAt: NOW,
          expiresAt: NOW + TTL,
          tokenVersion: 3,
          amr: ['pwd'],
          authTime: NOW - 60,
        });
      },
    );

    it('refuses a token that declares another algorithm than its kid’s key', () => {
      const forged = tokenOf(es, claims(), { alg: 'HS256' }, 'any-secret');
      expect(verifier.verify(forged)).toBe('invalid');
    });

    it('refuses an HS256 token keyed with the public key of an asymmetric kid', () => {
      const pem = es.verificationKey.export({ type: 'spki', format: 'pem' });
      const forged = tokenOf(es, claims(), { alg: 'HS256' }, pem.toString());
      expect(verifier.verify(forged)).toBe('invalid');
    });

    it('refuses an unsigned token', () => {
      const [header, payload] = tokenOf(es).split('.');
      const none = Buffer.from(
        JSON.stringify({ alg: 'none', kid: es.kid, typ: 'at+jwt' }),
      ).toString('base64url');
      expect(verifier.verify(`${none}.${payload}.`)).toBe('invalid');
      expect(verifier.verify(`${header}.${payload}.`)).toBe('invalid');
    });

    it('refuses a kid it does not know, and a token without one', () => {
      const stranger = ecKey('es-unknown');
      expect(verifier.verify(tokenOf(stranger))).toBe('invalid');
      expect(verifier.verify(tokenOf(es, claims(), { kid: undefined }))).toBe(
        'invalid',
      );
    });

    it('refuses a signature made with another key under a known kid', () => {
      const impostor = ecKey(es.kid);
      expect(verifier.verify(tokenOf(impostor))).toBe('invalid');
    });

    it.each([
      ['issuer', { iss: 'https://elsewhere.test' }],
      ['audience', { aud: 'another-api' }],
    ])('refuses a token for another %s', (_what, overrides) => {
      expect(verifier.verify(tokenOf(es, claims(overrides)))).toBe('invalid');
    });

    it.each([['JWT'], ['at+JWT'], [undefined]])(
      'refuses a token whose header typ is %s',
      (typ) => {
        expect(verifier.verify(tokenOf(es, claims(), { typ }))).toBe('invalid');
      },
    );

    it.each([
      ['without token_version', { token_version: undefined }],
      ['with a fractional token_version', { token_version: 1.5 }],
      ['with a string token_version', { token_version: '3' }],
      ['without a session', { sid: undefined }],
      ['without roles', { roles: undefined }],
      ['without amr', { amr: undefined }],
      ['with an amr that is not a list of strings', { amr: ['pwd', 1] }],
      ['with amr as a string', { amr: 'pwd' }],
      ['without auth_time', { auth_time: undefined }],
      ['with a fractional auth_time', { auth_time: NOW - 0.5 }],
    ])('refuses a token %s', (_what, overrides) => {
      expect(verifier.verify(tokenOf(es, claims(overrides)))).toBe('invalid');
    });

    it('refuses what is not a JWT', () => {
      for (const token of ['', 'not-a-jwt', 'a.b.c', '..', '{}.{}.{}'])
        expect(verifier.verify(token)).toBe('invalid');
    });

    it('accepts a token up to the last second of the clock tolerance past exp, and refuses it from the next', () => {
      const token = tokenOf(es);
      clock.seconds = NOW + TTL + TOLERANCE - 1;
      expect(verifier.verify(token)).toMatchObject({ expiresAt: NOW + TTL });
      const fresh = tokenOf(es);
      clock.seconds = NOW + TTL + TOLERANCE;
      expect(verifier.verify(fresh)).toBe('expired');
      clock.seconds = NOW + TTL + TOLERANCE + 1;
      expect(verifier.verify(tokenOf(es))).toBe('expired');
    });

    it('refuses a token of an ended session', () => {
      const payload = claims();
      revocations.sessions.add(payload.sid);
      expect(verifier.verify(tokenOf(es, payload))).toBe('revoked');
    });

    it('refuses a token signed before its user’s cut-off version, and accepts one signed at it', () => {
      const userId = randomUUID();
      revocations.minVersions.set(userId, 4);
      expect(
        verifier.verify(tokenOf(es, claims({ sub: userId, token_version: 3 }))),
      ).toBe('revoked');
      expect(
        verifier.verify(tokenOf(es, claims({ sub: userId, token_version: 4 }))),
      ).toMatchObject({ userId, tokenVersion: 4 });
    });
  });

  describe('a token it has verified before', () => {
    it('is answered without checking the signature again', () => {
      const token = tokenOf(es);
      expect(verifier.verify(token)).not.toBe('invalid');
      // Same kid and alg, other key material: only a new signature check could tell the difference.
      keys.byKid.set(es.kid, ecKey(es.kid));
      expect(verifier.verify(token)).toMatchObject({ tokenVersion: 3 });
      expect(verifier.verify(tokenOf(es))).toBe('invalid');
    });

    it('is refused once its session is revoked', () => {
      const payload = claims();
      const token = tokenOf(es, payload);
      expect(verifier.verify(token)).toMatchObject({ sessionId: payload.sid });
      revocations.sessions.add(payload.sid);
      expect(verifier.verify(token)).toBe('revoked');
    });

    it('is refused once its user’s token version is cut off', () => {
      const payload = claims();
      const token = tokenOf(es, payload);
      expect(verifier.verify(token)).toMatchObject({ userId: payload.sub });
      revocations.minVersions.set(payload.sub, payload.token_version + 1);
      expect(verifier.verify(token)).toBe('revoked');
    });

    it('is refused once its key is removed or its kid names a key of another algorithm', () => {
      const token = tokenOf(es);
      expect(verifier.verify(token)).not.toBe('invalid');
      keys.byKid.set(es.kid, hmacKey(es.kid));
      expect(verifier.verify(token)).toBe('invalid');
      keys.byKid.set(es.kid, es);
      expect(verifier.verify(token)).not.toBe('invalid');
      keys.byKid.delete(es.kid);
      expect(verifier.verify(token)).toBe('invalid');
    });

    it('is never served once expired, and the full verification agrees', () => {
      const token = tokenOf(es);
      clock.seconds = NOW + TTL + TOLERANCE - 1;
      expect(verifier.verify(token)).not.toBe('expired');
      clock.seconds = NOW + TTL + TOLERANCE;
      expect(verifier.verify(token)).toBe('expired');
      expect(verifier.verify(token)).toBe('expired');
    });
  });
});
