import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { RouteMetadata } from 'src/common/route-metadata';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { DomainEvent } from 'src/events/domain-events';
import { InvalidAccessTokenError } from 'src/access/access.errors';
import {
  IS_BEARER_OPTIONAL_KEY,
  IS_PUBLIC_KEY,
} from 'src/access/public.decorator';
import type { Principal } from 'src/access/principal';

/** Global guard: every route needs a valid bearer token unless it (or its controller) is @Public(). */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  private readonly isPublic: RouteMetadata<boolean>;
  private readonly isBearerOptional: RouteMetadata<boolean>;

  constructor(
    reflector: Reflector,
    private readonly events: EventEmitter2,
  ) {
    super();
    this.isPublic = new RouteMetadata(reflector, IS_PUBLIC_KEY);
    this.isBearerOptional = new RouteMetadata(
      reflector,
      IS_BEARER_OPTIONAL_KEY,
    );
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (this.isPublic.get(context)) {
      const sentBearer =
        this.isBearerOptional.get(context) &&
        context
          .switchToHttp()
          .getRequest<{ headers: Record<string, unknown> }>().headers
          .authorization !== undefined;
      if (!sentBearer) return true;
    }
    return super.canActivate(context) as Promise<boolean>;
  }

  handleRequest<T = Principal>(
    _error: unknown,
    user: T | false,
    info: unknown,
  ): T {
    if (user) return user;
    // JwtStrategy refuses through fail(InvalidAccessTokenError), which passport passes on as `info`; anything
    // else (a fault inside passport) is refused as an invalid token.
    const failure =
      info instanceof InvalidAccessTokenError
        ? info
        : new InvalidAccessTokenError('invalid');
    this.events.emit(DomainEvent.AccessTokenRefused, {
      reason: failure.reason,
    });
    throw failure;
  }
}
