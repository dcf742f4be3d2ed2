import { Controller, Get, Module } from '@nestjs/common';
import { CurrentUser } from 'src/access/current-user.decorator';
import { Public } from 'src/access/public.decorator';
import { Roles } from 'src/access/roles.decorator';
import type { Principal } from 'src/access/principal';
import { Role } from 'src/access/role.enum';
import { createAppWithAdmin, loginAdmin } from './helpers/admin';
import { newUser, registerAndLogin, type TestApp } from './helpers/test-app';

/**
 * Test-only routes that use @Roles without any @UseGuards: the global JwtAuthGuard and RolesGuard must run in that
 * order by themselves, so @Roles sees an authenticated user and a missing token is a 401, never a 403 or a 500.
 */
@Controller('test-roles')
class RolesProbeController {
  @Get('admin')
  @Roles(Role.Admin)
  admin(@CurrentUser() user: Principal): { userId: string } {
    return { userId: user.userId };
  }

  @Get('user')
  @Roles(Role.User)
  user(@CurrentUser() user: Principal): { userId: string } {
    return { userId: user.userId };
  }

  @Get('any')
  any(@CurrentUser() user: Principal): { userId: string } {
    return { userId: user.userId };
  }

  @Get('public')
  @Public()
  open(): { ok: true } {
    return { ok: true };
  }

  @Get('public-admin')
  @Public()
  @Roles(Role.Admin)
  publicAdmin(): { ok: true } {
    return { ok: true };
  }
}

@Roles(Role.Admin)
@Controller('test-roles-class')
class AdminProbeController {
  @Get()
  list(): { ok: true } {
    return { ok: true };
  }

  @Get('users-too')
  @Roles(Role.User)
  usersToo(): { ok: true } {
    return { ok: true };
  }
}

@Module({ controllers: [RolesProbeController, AdminProbeController] })
class RolesProbeModule {}

/** The app with the configured admin, plus the probe module next to AppModule (same global guards, pipe, filter and HTTP setup). */
const createAppWithProbes = (): Promise<TestApp> =>
  createAppWithAdmin({}, { imports: [RolesProbeModule] });

describe('guard order (e2e)', () => {
  let t: TestApp;
  let user: { id: string; access: string };
  let admin: string;

  beforeAll(async () => {
    t = await createAppWithProbes();
    user = await registerAndLogin(t, newUser());
    admin = (await loginAdmin(t)).access;
  });
  afterAll(async () => {
    await t.close();
  });

  const get = (path: string, token?: string) => {
    const req = t.http().get(path);
    return token ? req.set('authorization', `Bearer ${token}`) : req;
  };

  it.each(['/test-roles/admin', '/test-roles/user', '/test-roles-class'])(
    '%s answers 401 (not 403, not 500) without a token',
    async (path) => {
      const res = await get(path);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('AUTH.TOKEN_MISSING');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="gatehouse"');
    },
  );

  it('answers 401 to an invalid token on a role-restricted route', async () => {
    const res = await get('/test-roles/admin', 'x.y.z');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('AUTH.TOKEN_INVALID');
  });

  it('answers 403 insufficient_scope to a user on an admin route', async () => {
    const res = await get('/test-roles/admin', user.access);
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('AUTH.INSUFFICIENT_ROLE');
    expect(res.headers['www-authenticate']).toMatch(
      /error="insufficient_scope"/,
    );
  });

  it('lets an admin through with request.user set', async () => {
    const res = await get('/test-roles/admin', admin).expect(200);
    expect(res.body.userId).toEqual(expect.any(String));
  });

  it('lets a user through a user route, with request.user set', async () => {
    const res = await get('/test-roles/user', user.access).expect(200);
    expect(res.body).toEqual({ userId: user.id });
  });

  it('lets an admin (who also holds role user) through a user route', async () => {
    await get('/test-roles/user', admin).expect(200);
  });

  it('requires only authentication on a route without @Roles', async () => {
    await get('/test-roles/any').expect(401);
    const res = await get('/test-roles/any', user.access).expect(200);
    expect(res.body).toEqual({ userId: user.id });
  });

  it('applies class-level @Roles, with handler-level @Roles overriding it', async () => {
    expect((await get('/test-roles-class', user.access)).status).toBe(403);
    await get('/test-roles-class', admin).expect(200);
    await get('/test-roles-class/users-too', user.access).expect(200);
    await get('/test-roles-class/users-too').expect(401);
  });

  it('keeps @Public routes open and refuses @Roles on a @Public route rather than opening it', async () => {
    await get('/test-roles/public').expect(200);
    expect((await get('/test-roles/public-admin')).status).toBe(403);
    expect((await get('/test-roles/public-admin', admin)).status).toBe(403);
  });
});
