import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { TokenExpiredError } from 'jsonwebtoken';
import { InvalidAccessTokenError } from '../auth.errors';
import { IS_PUBLIC_KEY } from '../decorators/public.decorator';
import type { Principal } from '../principal';

/** Global guard: every route needs a valid bearer token unless it (or its controller) is @Public(). */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
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
    if (error instanceof InvalidAccessTokenError) throw error;
    if (info instanceof InvalidAccessTokenError) throw info;
    if (info instanceof TokenExpiredError)
      throw new InvalidAccessTokenError('expired');
    if (info instanceof Error && info.message === 'No auth token')
      throw new InvalidAccessTokenError('missing');
    throw new InvalidAccessTokenError('invalid');
  }
}
