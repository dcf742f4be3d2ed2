import { Test } from '@nestjs/testing';
import type { Principal } from 'src/access/principal';
import { Role } from 'src/access/role.enum';
import { oauthConfig } from 'src/config/oauth.config';
import { tokensConfig } from 'src/config/tokens.config';
import {
  AccessTokenVerifier,
  type AccessTokenFailure,
} from 'src/keys/access-token-verifier';
import {
  SessionsService,
  type RefreshTokenInfo,
} from 'src/sessions/sessions.service';
import { OAuthService } from './oauth.service';

const ISSUER = 'https://gatehouse.test';
const AUDIENCE = 'gatehouse-api';
const SECRET = 'introspection secret:with+symbols';

const ACCESS = 'header.payload.signature';
const REFRESH = 'opaque-refresh-token';

function principal(roles: Role[] = [Role.User]): Principal {
  return {
    userId: '00000000-0000-4000-8000-000000000001',
    username: 'ada',
    roles,
    sessionId: '00000000-0000-4000-8000-000000000002',
    tokenId: '00000000-0000-4000-8000-000000000003',
    issuedAt: 1_800_000_000,
    expiresAt: 1_800_000_900,
    tokenVersion: 2,
    amr: ['pwd'],
    authTime: 1_799_999_000,
  };
}

const REFRESH_INFO: RefreshTokenInfo = {
  sessionId: '00000000-0000-4000-8000-000000000004',
  userId: '00000000-0000-4000-8000-000000000005',
  username: 'grace',
  roles: ['admin'],
  issuedAt: new Date(1_800_000_000_400),
  expiresAt: new Date(1_802_592_000_900),
  amr: ['pwd', 'otp', 'mfa'],
  authTime: new Date(1_799_990_000_700),
  active: true,
};

function basic(clientId: string, password: string): string {
  const encode = (value: string): string =>
    encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(password)}`).toString('base64')}`;
}

describe(OAuthService.name, () => {
  /** Tokens the fake verifier knows: anything else is 'invalid'. */
  let accessTokens: Map<string, Principal | AccessTokenFailure>;
  let refreshTokens: Map<string, RefreshTokenInfo>;
  let endSessions: jest.Mock<Promise<void>, [string[], string]>;
  let introspectionSecret: string | undefined;
  let service: OAuthService;

  beforeEach(async () => {
    accessTokens = new Map();
    refreshTokens = new Map();
    endSessions = jest.fn((_ids: string[], _reason: string) =>
      Promise.resolve(),
    );
    introspectionSecret = SECRET;
    const moduleRef = await Test.createTestingModule({
      providers: [
        OAuthService,
        {
          provide: AccessTokenVerifier,
          useValue: {
            verify: (token: string) => accessTokens.get(token) ?? 'invalid',
          },
        },
        {
          provide: SessionsService,
          useValue: {
            describeRefreshToken: (token: string) =>
              Promise.resolve(refreshTokens.get(token)),
            endSessions,
          },
        },
        {
          provide: oauthConfig.KEY,
          useValue: {
            get introspectionSecret() {
              return introspectionSecret;
            },
          },
        },
        {
          provide: tokensConfig.KEY,
          useValue: { issuer: ISSUER, audience: AUDIENCE },
        },
      ],
    }).compile();
    service = moduleRef.get(OAuthService);
  });

  describe('introspect', () => {
    it('describes a live access token from the verifier’s principal', async () => {
      accessTokens.set(ACCESS, principal());
      await expect(
        service.introspect(ACCESS, 'access_token'),
      ).resolves.toStrictEqual({
        active: true,
        sub: '00000000-0000-4000-8000-000000000001',
        username: 'ada',
        roles: [Role.User],
        exp: 1_800_000_900,
        iat: 1_800_000_000,
        iss: ISSUER,
        aud: AUDIENCE,
        sid: '00000000-0000-4000-8000-000000000002',
        jti: '00000000-0000-4000-8000-000000000003',
        amr: ['pwd'],
        auth_time: 1_799_999_000,
        token_type: 'access_token',
      });
    });

    it('describes an active refresh token, whatever the hint says', async () => {
      refreshTokens.set(REFRESH, REFRESH_INFO);
      const expected = {
        active: true,
        sub: REFRESH_INFO.userId,
        username: 'grace',
        roles: ['admin'],
        exp: 1_802_592_000,
        iat: 1_800_000_000,
        iss: ISSUER,
        aud: AUDIENCE,
        sid: REFRESH_INFO.sessionId,
        amr: ['pwd', 'otp', 'mfa'],
        auth_time: 1_799_990_000,
        token_type: 'refresh_token',
      };
      await expect(service.introspect(REFRESH)).resolves.toStrictEqual(
        expected,
      );
      await expect(
        service.introspect(REFRESH, 'access_token'),
      ).resolves.toStrictEqual(expected);
    });

    it('finds an access token without a hint', async () => {
      accessTokens.set(ACCESS, principal());
      await expect(service.introspect(ACCESS)).resolves.toMatchObject({
        active: true,
        token_type: 'access_token',
      });
    });

    it.each<AccessTokenFailure>(['invalid', 'expired', 'revoked'])(
      'answers only active:false for an access token the verifier calls %s',
      async (reason) => {
        accessTokens.set(ACCESS, reason);
        await expect(
          service.introspect(ACCESS, 'access_token'),
        ).resolves.toStrictEqual({ active: false });
        await expect(service.introspect(ACCESS)).resolves.toStrictEqual({
          active: false,
        });
      },
    );

    it('answers only active:false for an unknown or inactive refresh token', async () => {
      refreshTokens.set(REFRESH, { ...REFRESH_INFO, active: false });
      await expect(service.introspect(REFRESH)).resolves.toStrictEqual({
        active: false,
      });
      await expect(
        service.introspect('never-issued', 'refresh_token'),
      ).resolves.toStrictEqual({ active: false });
    });
  });

  describe('revoke', () => {
    it('ends the session of a live access token', async () => {
      accessTokens.set(ACCESS, principal());
      await service.revoke(ACCESS, 'access_token');
      expect(endSessions.mock.calls).toEqual([
        [['00000000-0000-4000-8000-000000000002'], 'token_revoked'],
      ]);
    });

    it('ends the session of a refresh token', async () => {
      refreshTokens.set(REFRESH, REFRESH_INFO);
      await service.revoke(REFRESH);
      expect(endSessions.mock.calls).toEqual([
        [[REFRESH_INFO.sessionId], 'token_revoked'],
      ]);
    });

    it('ignores a token it cannot use, without telling the caller', async () => {
      accessTokens.set(ACCESS, 'expired');
      await expect(service.revoke(ACCESS, 'access_token')).resolves.toBe(
        undefined,
      );
      await expect(service.revoke('never-issued')).resolves.toBe(undefined);
      expect(endSessions).not.toHaveBeenCalled();
    });
  });

  describe('authorizeIntrospection', () => {
    it('admits Basic credentials with any client id and the introspection secret', () => {
      expect(() =>
        service.authorizeIntrospection(basic('resource server', SECRET)),
      ).not.toThrow();
      expect(() =>
        service.authorizeIntrospection(basic('api', SECRET)),
      ).not.toThrow();
    });

    it.each([
      ['a wrong secret', basic('api', `${SECRET}x`)],
      ['an empty client id', basic('', SECRET)],
      [
        'no colon',
        `Basic ${Buffer.from('api-without-password').toString('base64')}`,
      ],
      [
        'the secret left unencoded',
        `Basic ${Buffer.from(`api:${SECRET}`).toString('base64')}`,
      ],
      ['no credentials at all', undefined],
      ['another scheme', `Digest ${SECRET}`],
    ])('refuses %s as an invalid client', (_what, authorization) => {
      expect(() => service.authorizeIntrospection(authorization)).toThrow(
        expect.objectContaining({ code: 'OAUTH.INVALID_CLIENT' }),
      );
    });

    it('refuses Basic credentials when no introspection secret is configured', () => {
      introspectionSecret = undefined;
      expect(() => service.authorizeIntrospection(basic('api', ''))).toThrow(
        expect.objectContaining({ code: 'OAUTH.INVALID_CLIENT' }),
      );
    });

    it('admits the bearer token of an admin', () => {
      accessTokens.set(ACCESS, principal([Role.User, Role.Admin]));
      expect(() =>
        service.authorizeIntrospection(`Bearer ${ACCESS}`),
      ).not.toThrow();
    });

    it('forbids the bearer token of a user who is not an admin', () => {
      accessTokens.set(ACCESS, principal([Role.User]));
      expect(() => service.authorizeIntrospection(`Bearer ${ACCESS}`)).toThrow(
        expect.objectContaining({ code: 'AUTH.INSUFFICIENT_ROLE' }),
      );
    });

    it.each<AccessTokenFailure>(['invalid', 'expired', 'revoked'])(
      'refuses an admin bearer token the verifier calls %s as an invalid client',
      (reason) => {
        accessTokens.set(ACCESS, reason);
        expect(() =>
          service.authorizeIntrospection(`Bearer ${ACCESS}`),
        ).toThrow(expect.objectContaining({ code: 'OAUTH.INVALID_CLIENT' }));
      },
    );
  });
});
