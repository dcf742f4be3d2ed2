import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Role } from './role.enum';
import {
  InsufficientRoleError,
  InvalidAccessTokenError,
} from './access.errors';
import { Public } from './public.decorator';
import { Roles } from './roles.decorator';
import type { Principal } from './principal';
import { RolesGuard } from './roles.guard';

@Roles(Role.Admin)
class AdminController {
  list(): void {}
  @Roles(Role.User)
  openToUsers(): void {}
}

class PlainController {
  anyone(): void {}
  @Roles(Role.Admin)
  adminOnly(): void {}
  @Roles(Role.User, Role.Admin)
  eitherRole(): void {}
  @Roles()
  emptyRoles(): void {}
  @Public()
  @Roles(Role.Admin)
  publicButRestricted(): void {}
}

function principal(roles: Role[]): Principal {
  return {
    userId: '00000000-0000-4000-8000-000000000001',
    username: 'ada',
    roles,
    sessionId: '00000000-0000-4000-8000-000000000002',
    tokenId: 'jti',
    issuedAt: 0,
    tokenVersion: 0,
    expiresAt: 0,
    amr: ['pwd'],
    authTime: 0,
  };
}

function contextFor(
  controller: new () => object,
  handler: string,
  user?: Principal,
): ExecutionContext {
  const request = { user };
  return {
    getClass: () => controller,
    getHandler: () =>
      (controller.prototype as Record<string, () => void>)[handler],
    switchToHttp: () => ({
      getRequest: () => request,
      getResponse: () => ({}),
      getNext: () => undefined,
    }),
    getType: () => 'http',
    getArgs: () => [request],
    getArgByIndex: () => request,
    switchToRpc: () => {
      throw new Error('not rpc');
    },
    switchToWs: () => {
      throw new Error('not ws');
    },
  } as unknown as ExecutionContext;
}

describe(RolesGuard.name, () => {
  const guard = new RolesGuard(new Reflector());

  it('lets any caller through a handler without @Roles, even unauthenticated', () => {
    expect(guard.canActivate(contextFor(PlainController, 'anyone'))).toBe(true);
    expect(
      guard.canActivate(
        contextFor(PlainController, 'anyone', principal([Role.User])),
      ),
    ).toBe(true);
  });

  it('treats an empty @Roles() as no restriction', () => {
    expect(
      guard.canActivate(
        contextFor(PlainController, 'emptyRoles', principal([Role.User])),
      ),
    ).toBe(true);
  });

  it('admits a caller holding the required role', () => {
    expect(
      guard.canActivate(
        contextFor(PlainController, 'adminOnly', principal([Role.Admin])),
      ),
    ).toBe(true);
  });

  it('refuses a caller without the role with a 403 insufficient_scope error', () => {
    let thrown: unknown;
    try {
      guard.canActivate(
        contextFor(PlainController, 'adminOnly', principal([Role.User])),
      );
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InsufficientRoleError);
    const error = thrown as InsufficientRoleError;
    expect(error.status).toBe(403);
    expect(error.code).toBe('AUTH.INSUFFICIENT_ROLE');
    expect(error.headers?.['www-authenticate']).toMatch(
      /^Bearer .*error="insufficient_scope"/,
    );
  });

  it('refuses a caller with no roles at all', () => {
    expect(() =>
      guard.canActivate(
        contextFor(PlainController, 'adminOnly', principal([])),
      ),
    ).toThrow(InsufficientRoleError);
  });

  it('admits a caller holding any one of several listed roles', () => {
    expect(
      guard.canActivate(
        contextFor(PlainController, 'eitherRole', principal([Role.User])),
      ),
    ).toBe(true);
    expect(
      guard.canActivate(
        contextFor(PlainController, 'eitherRole', principal([Role.Admin])),
      ),
    ).toBe(true);
  });

  it('applies class-level @Roles to every handler of the controller', () => {
    expect(() =>
      guard.canActivate(
        contextFor(AdminController, 'list', principal([Role.User])),
      ),
    ).toThrow(InsufficientRoleError);
    expect(
      guard.canActivate(
        contextFor(AdminController, 'list', principal([Role.User, Role.Admin])),
      ),
    ).toBe(true);
  });

  it('lets handler-level @Roles override the class-level roles', () => {
    expect(
      guard.canActivate(
        contextFor(AdminController, 'openToUsers', principal([Role.User])),
      ),
    ).toBe(true);
  });

  it('answers 401 (token missing), not 403, when no user is set on a restricted route', () => {
    let thrown: unknown;
    try {
      guard.canActivate(contextFor(AdminController, 'list'));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidAccessTokenError);
    expect((thrown as InvalidAccessTokenError).status).toBe(401);
    expect((thrown as InvalidAccessTokenError).reason).toBe('missing');
  });

  it('refuses @Roles on a @Public route when nobody is authenticated instead of letting everyone in', () => {
    expect(() =>
      guard.canActivate(contextFor(PlainController, 'publicButRestricted')),
    ).toThrow(InsufficientRoleError);
  });
});
