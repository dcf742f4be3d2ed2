import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import { Clock } from 'src/common/clock';
import { RouteMetadata } from 'src/common/route-metadata';
import { mfaConfig } from 'src/config/mfa.config';
import { InvalidAccessTokenError, StepUpRequiredError } from './access.errors';
import type { Principal } from './principal';
import { STEP_UP_KEY, type StepUpOptions } from './step-up.decorator';

function objectBody(body: unknown): Record<string, unknown> | undefined {
  return typeof body === 'object' && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : undefined;
}

/**
 * Global guard registered after RolesGuard: on a @StepUp() operation the token's `auth_time` must be at most
 * STEP_UP_MAX_AGE old (RFC 9470). A claim comparison against the Clock, no database read: re-authentication
 * issues a new access token with a fresh `auth_time`.
 */
@Injectable()
export class StepUpGuard implements CanActivate {
  private readonly stepUp: RouteMetadata<StepUpOptions>;

  constructor(
    reflector: Reflector,
    private readonly clock: Clock,
    @Inject(mfaConfig.KEY)
    private readonly config: ConfigType<typeof mfaConfig>,
  ) {
    this.stepUp = new RouteMetadata(reflector, STEP_UP_KEY);
  }

  canActivate(context: ExecutionContext): boolean {
    const options = this.stepUp.get(context);
    if (!options) return true;
    const request = context
      .switchToHttp()
      .getRequest<{ user?: Principal; body?: unknown }>();
    if (options.when && !options.when(objectBody(request.body))) return true;
    // @StepUp on a @Public route is a programming error; refuse rather than let anyone in.
    if (!request.user) throw new InvalidAccessTokenError('missing');
    const maxAge = this.config.stepUpMaxAgeSeconds;
    if (this.clock.nowSeconds() - request.user.authTime <= maxAge) return true;
    throw new StepUpRequiredError(maxAge);
  }
}
