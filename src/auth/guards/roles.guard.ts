import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Role } from 'src/users/role.enum';
import { InsufficientRoleError, InvalidAccessTokenError } from '../auth.errors';
import { IS_PUBLIC_KEY } from '../decorators/public.decorator';
import { ROLES_KEY } from '../decorators/roles.decorator';
import type { Principal } from '../principal';

/**
 * Global guard registered after JwtAuthGuard, so `request.user` is set when roles are checked.
 * Roles come from the token; a role change voids older tokens through the revocation set.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const required = this.reflector.getAllAndOverride<Role[] | undefined>(
      ROLES_KEY,
      [context.getHandler(), context.getClass()],
    );
    if (!required || required.length === 0) return true;
    const user = context.switchToHttp().getRequest<{ user?: Principal }>().user;
    if (!user) {
      const isPublic = this.reflector.getAllAndOverride<boolean>(
        IS_PUBLIC_KEY,
        [context.getHandler(), context.getClass()],
      );
      // @Roles on a @Public route is a programming error; refuse rather than let anyone in.
      throw isPublic
        ? new InsufficientRoleError()
        : new InvalidAccessTokenError('missing');
    }
    if (!required.some((role) => user.roles.includes(role)))
      throw new InsufficientRoleError();
    return true;
  }
}
