import type { ExecutionContext } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import { Clock } from 'src/common/clock';
import type { mfaConfig } from 'src/config/mfa.config';
import { InvalidAccessTokenError, StepUpRequiredError } from './access.errors';
import type { Principal } from './principal';
import { Role } from './role.enum';
import { StepUp } from './step-up.decorator';
import { StepUpGuard } from './step-up.guard';

const NOW = 1_800_000_000;
const MAX_AGE = 300;

class FixedClock extends Clock {
  now(): Date {
    return new Date(NOW * 1000);
  }
}

class AccountController {
  profile(): void {}
  @StepUp()
  changePassword(): void {}
  @StepUp({ when: (body) => body?.roles !== undefined })
  updateUser(): void {}
}

function principal(authTime: number): Principal {
  return {
    userId: '00000000-0000-4000-8000-000000000001',
    username: 'ada',
    roles: [Role.Admin],
    sessionId: '00000000-0000-4000-8000-000000000002',
    tokenId: 'jti',
    issuedAt: authTime,
    expiresAt: NOW + 900,
    tokenVersion: 0,
    amr: ['pwd'],
    authTime,
  };
}

function contextFor(
  handler: keyof AccountController,
  user?: Principal,
  body?: unknown,
): ExecutionContext {
  const request = { user, body };
  return {
    getClass: () => AccountController,
    getHandler: () => AccountController.prototype[handler],
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
}

function refusal(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe(StepUpGuard.name, () => {
  const config = {
    stepUpMaxAgeSeconds: MAX_AGE,
  } as ConfigType<typeof mfaConfig>;
  const guard = new StepUpGuard(new Reflector(), new FixedClock(), config);

  it('lets a handler without @StepUp through, whatever the sign-in’s age or no caller at all', () => {
    expect(guard.canActivate(contextFor('profile', principal(0)))).toBe(true);
    expect(guard.canActivate(contextFor('profile'))).toBe(true);
  });

  it('admits a sign-in at most STEP_UP_MAX_AGE old', () => {
    expect(
      guard.canActivate(contextFor('changePassword', principal(NOW))),
    ).toBe(true);
    expect(
      guard.canActivate(contextFor('changePassword', principal(NOW - MAX_AGE))),
    ).toBe(true);
  });

  it('refuses an older sign-in with a 401 RFC 9470 challenge naming max_age', () => {
    const thrown = refusal(() =>
      guard.canActivate(
        contextFor('changePassword', principal(NOW - MAX_AGE - 1)),
      ),
    );
    expect(thrown).toBeInstanceOf(StepUpRequiredError);
    const error = thrown as StepUpRequiredError;
    expect(error.status).toBe(401);
    expect(error.code).toBe('AUTH.STEP_UP_REQUIRED');
    expect(error.headers).toEqual({
      'www-authenticate':
        'Bearer error="insufficient_user_authentication", error_description="A more recent sign-in is required", max_age=300',
    });
  });

  it('asks for a recent sign-in only for the bodies `when` accepts', () => {
    const stale = principal(NOW - 3600);
    expect(
      guard.canActivate(contextFor('updateUser', stale, { disabled: true })),
    ).toBe(true);
    expect(guard.canActivate(contextFor('updateUser', stale, ['roles']))).toBe(
      true,
    );
    expect(guard.canActivate(contextFor('updateUser', stale))).toBe(true);
    expect(
      refusal(() =>
        guard.canActivate(contextFor('updateUser', stale, { roles: [] })),
      ),
    ).toBeInstanceOf(StepUpRequiredError);
    expect(
      guard.canActivate(
        contextFor('updateUser', principal(NOW), { roles: ['admin'] }),
      ),
    ).toBe(true);
  });

  it('refuses a @StepUp handler reached without a caller rather than let anyone in', () => {
    expect(
      refusal(() => guard.canActivate(contextFor('changePassword'))),
    ).toEqual(new InvalidAccessTokenError('missing'));
  });
});
