import { SetMetadata } from '@nestjs/common';
import type { Role } from './role.enum';

export const ROLES_KEY = 'gatehouse:roles';

/** Restricts a handler or controller to callers holding at least one of the roles. */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator =>
  SetMetadata(ROLES_KEY, roles);
