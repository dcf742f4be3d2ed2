import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { RouteMetadata } from 'src/common/route-metadata';
import type { Role } from './role.enum';
import {
  InsufficientRoleError,
  InvalidAccessTokenError,
} from './access.errors';
import { IS_PUBLIC_KEY } from './public.decorator';
import { ROLES_KEY } from './roles.decorator';
import type { Principal } from './principal';

/**
 * Global guard registered after JwtAuthGuard, so `request.user` is set when roles are checked.
 * Roles come from the token; a role change voids older tokens through the revocation set.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  private readonly requiredRoles: RouteMetadata<Role[]>;
  private readonly isPublic: RouteMetadata<boolean>;

  constructor(reflector: Reflector) {
    this.requiredRoles = new RouteMetadata(reflector, ROLES_KEY);
    this.isPublic = new RouteMetadata(reflector, IS_PUBLIC_KEY);
  }

  canActivate(context: ExecutionContext): boolean {
    const required = this.requiredRoles.get(context);
    if (!required || required.length === 0) return true;
    const user = context.switchToHttp().getRequest<{ user?: Principal }>().user;
    if (!user) {
      // @Roles on a @Public route is a programming error; refuse rather than let anyone in.
      throw this.isPublic.get(context)
        ? new InsufficientRoleError()
        : new InvalidAccessTokenError('missing');
    }
    if (!required.some((role) => user.roles.includes(role)))
      throw new InsufficientRoleError();
    return true;
  }
}
