import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { Test } from '@nestjs/testing';
import { InvalidAccessTokenError } from 'src/access/access.errors';
import type { Principal } from 'src/access/principal';
import { Public } from 'src/access/public.decorator';
import { Role } from 'src/access/role.enum';
import {
  AccessTokenVerifier,
  type AccessTokenFailure,
} from 'src/keys/access-token-verifier';
import { DomainEvent } from 'src/events/domain-events';
import { JwtAuthGuard } from './jwt-auth.guard';
import { JwtStrategy } from './jwt.strategy';

const PRINCIPAL: Principal = {
  userId: '00000000-0000-4000-8000-000000000001',
  username: 'ada',
  roles: [Role.User],
  sessionId: '00000000-0000-4000-8000-000000000002',
  tokenId: 'jti',
  issuedAt: 0,
  expiresAt: 900,
  tokenVersion: 0,
  amr: ['pwd'],
  authTime: 0,
};

class ProtectedController {
  me(): void {}
  @Public()
  health(): void {}
}

interface FakeRequest {
  headers: Record<string, string>;
  query?: Record<string, string>;
  user?: unknown;
}

function contextFor(request: FakeRequest, handler = 'me'): ExecutionContext {
  return {
    getClass: () => ProtectedController,
    getHandler: () =>
      (ProtectedController.prototype as unknown as Record<string, () => void>)[
        handler
      ],
    switchToHttp: () => ({
      getRequest: () => request,
      getResponse: () => ({}),
      getNext: () => undefined,
    }),
    getType: () => 'http',
    getArgs: () => [request, {}],
    getArgByIndex: (i: number) => [request, {}][i],
  } as unknown as ExecutionContext;
}

describe(JwtStrategy.name, () => {
  let verdict: Principal | AccessTokenFailure;
  let verify: jest.Mock<Principal | AccessTokenFailure, [string]>;
  let failures: jest.Mock<void, [string]>;
  let strategy: JwtStrategy;
  let guard: JwtAuthGuard;

  beforeEach(async () => {
    verdict = PRINCIPAL;
    verify = jest.fn((_token: string) => verdict);
    failures = jest.fn();
    const moduleRef = await Test.createTestingModule({
      providers: [
        JwtStrategy,
        JwtAuthGuard,
        Reflector,
        { provide: AccessTokenVerifier, useValue: { verify } },
        {
          // The refusals the guard announces for the metrics listener, by reason.
          provide: EventEmitter2,
          useValue: {
            emit: (event: string, payload: { reason: string }) =>
              event === DomainEvent.AccessTokenRefused &&
              failures(payload.reason),
          },
        },
      ],
    }).compile();
    strategy = moduleRef.get(JwtStrategy);
    guard = moduleRef.get(JwtAuthGuard);
  });

  describe('authenticate', () => {
    let success: jest.Mock;
    let fail: jest.Mock;

    // passport gives each request its own copy of the strategy with success/fail bound to that request.
    function authenticate(request: FakeRequest): void {
      const perRequest = Object.create(strategy) as JwtStrategy;
      Object.assign(perRequest, { success, fail });
      perRequest.authenticate(request as never);
    }

    beforeEach(() => {
      success = jest.fn();
      fail = jest.fn();
    });

    it('hands the bearer token to the verifier once and succeeds with its principal', () => {
      authenticate({ headers: { authorization: 'Bearer the.token.bytes' } });
      expect(verify.mock.calls).toEqual([['the.token.bytes']]);
      expect(success).toHaveBeenCalledWith(PRINCIPAL);
      expect(fail).not.toHaveBeenCalled();
    });

    it.each<AccessTokenFailure>(['invalid', 'expired', 'revoked'])(
      'fails with a 401 InvalidAccessTokenError carrying the verifier’s reason %s',
      (reason) => {
        verdict = reason;
        authenticate({ headers: { authorization: 'Bearer the.token.bytes' } });
        expect(success).not.toHaveBeenCalled();
        expect(fail).toHaveBeenCalledWith(
          expect.any(InvalidAccessTokenError),
          401,
        );
        expect(
          (fail.mock.calls[0] as [InvalidAccessTokenError])[0].reason,
        ).toBe(reason);
      },
    );

    it.each<[string, FakeRequest]>([
      ['no Authorization header', { headers: {} }],
      ['another scheme', { headers: { authorization: 'Basic dTpw' } }],
      [
        'a token in the query string only',
        { headers: {}, query: { access_token: 'the.token.bytes' } },
      ],
    ])(
      'fails as missing, without asking the verifier, on %s',
      (_what, request) => {
        authenticate(request);
        expect(verify).not.toHaveBeenCalled();
        expect(fail).toHaveBeenCalledWith(
          expect.any(InvalidAccessTokenError),
          401,
        );
        expect(
          (fail.mock.calls[0] as [InvalidAccessTokenError])[0].reason,
        ).toBe('missing');
      },
    );
  });

  describe('through JwtAuthGuard and passport', () => {
    it('lets the request in with the principal as its user', async () => {
      const request: FakeRequest = {
        headers: { authorization: 'Bearer the.token.bytes' },
      };
      await expect(guard.canActivate(contextFor(request))).resolves.toBe(true);
      expect(request.user).toBe(PRINCIPAL);
      expect(failures).not.toHaveBeenCalled();
    });

    it.each<AccessTokenFailure>(['invalid', 'expired', 'revoked'])(
      'refuses with the verifier’s reason %s and counts it',
      async (reason) => {
        verdict = reason;
        const request: FakeRequest = {
          headers: { authorization: 'Bearer the.token.bytes' },
        };
        await expect(guard.canActivate(contextFor(request))).rejects.toEqual(
          expect.objectContaining({ reason }),
        );
        expect(failures.mock.calls).toEqual([[reason]]);
        expect(request.user).toBeUndefined();
      },
    );

    it('refuses a request without a token as missing', async () => {
      await expect(
        guard.canActivate(contextFor({ headers: {} })),
      ).rejects.toBeInstanceOf(InvalidAccessTokenError);
      expect(failures.mock.calls).toEqual([['missing']]);
    });

    it('lets a @Public() route through without asking the verifier', async () => {
      expect(
        await guard.canActivate(contextFor({ headers: {} }, 'health')),
      ).toBe(true);
      expect(verify).not.toHaveBeenCalled();
    });
  });
});
