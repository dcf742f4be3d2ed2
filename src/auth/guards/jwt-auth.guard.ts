import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { TokenExpiredError } from 'jsonwebtoken';
import { MetricsService } from 'src/metrics/metrics.service';
import { InvalidAccessTokenError } from '../auth.errors';
import { IS_PUBLIC_KEY } from '../decorators/public.decorator';
import type { Principal } from '../principal';

/** Global guard: every route needs a valid bearer token unless it (or its controller) is @Public(). */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly metrics: MetricsService,
  ) {
    super();
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    return super.canActivate(context) as Promise<boolean>;
  }

  handleRequest<T = Principal>(
    error: unknown,
    user: T | false,
    info: unknown,
  ): T {
    if (user) return user;
    const failure =
      error instanceof InvalidAccessTokenError
        ? error
        : info instanceof InvalidAccessTokenError
          ? info
          : new InvalidAccessTokenError(
              info instanceof TokenExpiredError
                ? 'expired'
                : info instanceof Error && info.message === 'No auth token'
                  ? 'missing'
                  : 'invalid',
            );
    this.metrics.tokenVerificationFailed(failure.reason);
    throw failure;
  }
}
