import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ADMIN,
  type AdminSession,
  createAppWithAdmin,
  loginAdmin,
} from './helpers/admin';
import { bearer, expectProblem } from './helpers/http';
import { claimsOf } from './helpers/jwt';
import { login, registerAndLogin, type TestApp } from './helpers/test-app';
import { createTestDatabase } from './helpers/test-database';

const MISSING_UUID = '00000000-0000-4000-8000-000000000000';

/** A problem body without the per-request fields, so two refusals can be compared. */
function comparable(body: Record<string, unknown>): Record<string, unknown> {
  const { request_id: _requestId, ...rest } = body;
  return rest;
}

/** What an admin may change about a user (roles, disabled, deletion) and what each change does to their tokens. */
describe('users admin (e2e)', () => {
  let t: TestApp;
  let admin: AdminSession;
  let adminId: string;

  beforeAll(async () => {
    t = await createAppWithAdmin();
    admin = await loginAdmin(t);
    adminId = admin.id;
  });
  afterAll(async () => {
    await t.close();
  });

  /** The body a wrong password gets, to compare refusals of disabled or deleted accounts with. */
  async function wrongPasswordBody(): Promise<unknown> {
    const res = await t
      .http()
      .post('/auth/login')
      .send({ username: ADMIN.username, password: 'definitely not it!!' })
      .expect(401);
    return comparable(res.body);
  }

  describe('PATCH /users/:id', () => {
    it.each([
      ['an empty body', {}, 'roles'],
      ['empty roles', { roles: [] }, 'roles'],
      ['an unknown role', { roles: ['root'] }, 'roles'],
      ['duplicate roles', { roles: ['admin', 'admin'] }, 'roles'],
      ['roles that are not an array', { roles: 'admin' }, 'roles'],
      ['roles: null', { roles: null }, 'roles'],
      ['disabled that is not a boolean', { disabled: 'yes' }, 'disabled'],
      ['a field that is not changeable', { username: 'renamed' }, 'username'],
      ['a password', { password: 'a new password here' }, 'password'],
    ])('refuses %s with a 400', async (_name, body, field) => {
      const { id } = await registerAndLogin(t);
      const res = await t
        .http()
        .patch(`/users/${id}`)
        .set(...bearer(admin.access))
        .send(body);
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(res.body.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ field })]),
      );
      const after = await t
        .http()
        .get(`/users/${id}`)
        .set(...bearer(admin.access))
        .expect(200);
      expect(after.body).toMatchObject({ roles: ['user'], disabled: false });
    });

    it('explains an empty body', async () => {
      const { id } = await registerAndLogin(t);
      const res = await t
        .http()
        .patch(`/users/${id}`)
        .set(...bearer(admin.access))
        .send({});
      expect(res.body.errors).toEqual([
        {
          field: 'roles',
          message:
            'at least one of roles, disabled, email_verified is required',
        },
      ]);
    });

    it('answers 404 for an unknown id', async () => {
      const res = await t
        .http()
        .patch(`/users/${MISSING_UUID}`)
        .set(...bearer(admin.access))
        .send({ disabled: true });
      expectProblem(res, 404, 'USERS.NOT_FOUND');
    });

    it('refuses to let an admin remove their own admin role (409)', async () => {
      const res = await t
        .http()
        .patch(`/users/${adminId}`)
        .set(...bearer(admin.access))
        .send({ roles: ['user'] });
      expectProblem(res, 409, 'USERS.SELF_LOCKOUT');
      expect(res.body.detail).toMatch(/own admin role/);
    });

    it('refuses to let an admin disable themselves (409)', async () => {
      const res = await t
        .http()
        .patch(`/users/${adminId}`)
        .set(...bearer(admin.access))
        .send({ disabled: true, roles: ['user', 'admin'] });
      expectProblem(res, 409, 'USERS.SELF_LOCKOUT');
    });

    it('leaves the admin an admin, signed in, after the refused self-changes', async () => {
      for (const body of [
        { roles: ['user'] },
        { disabled: true, roles: ['user', 'admin'] },
      ])
        await t
          .http()
          .patch(`/users/${adminId}`)
          .set(...bearer(admin.access))
          .send(body)
          .expect(409);
      const me = await t
        .http()
        .get(`/users/${adminId}`)
        .set(...bearer(admin.access))
        .expect(200);
      expect(me.body).toMatchObject({
        roles: ['user', 'admin'],
        disabled: false,
      });
    });

    it('lets an admin make a harmless change to themselves without losing their token', async () => {
      const res = await t
        .http()
        .patch(`/users/${adminId}`)
        .set(...bearer(admin.access))
        .send({ roles: ['user', 'admin'], disabled: false })
        .expect(200);
      expect(res.body).toMatchObject({
        roles: ['user', 'admin'],
        disabled: false,
      });
      await t
        .http()
        .get('/users')
        .set(...bearer(admin.access))
        .expect(200);
    });
  });

  describe('disable', () => {
    it('voids the access token at once, ends the sessions and refuses login and refresh', async () => {
      const { id, user } = await registerAndLogin(t);
      const pair = await login(t, user);
      const res = await t
        .http()
        .patch(`/users/${id}`)
        .set(...bearer(admin.access))
        .send({ disabled: true })
        .expect(200);
      expect(res.body).toMatchObject({ id, disabled: true, roles: ['user'] });

      const me = await t
        .http()
        .get('/auth/me')
        .set(...bearer(pair.access));
      expectProblem(me, 401, 'AUTH.TOKEN_REVOKED');

      const loginRes = await t
        .http()
        .post('/auth/login')
        .send({ username: user.username, password: user.password })
        .expect(401);
      expect(comparable(loginRes.body)).toEqual(await wrongPasswordBody());

      const refresh = await t
        .http()
        .post('/auth/refresh')
        .send({ refresh_token: pair.refresh });
      expect(refresh.status).toBe(401);
    });

    it('lets a re-enabled user log in again, but not resume the ended sessions', async () => {
      const { id, user, refresh } = await registerAndLogin(t);
      await t
        .http()
        .patch(`/users/${id}`)
        .set(...bearer(admin.access))
        .send({ disabled: true })
        .expect(200);
      await t
        .http()
        .patch(`/users/${id}`)
        .set(...bearer(admin.access))
        .send({ disabled: false })
        .expect(200);
      const fresh = await login(t, user);
      await t
        .http()
        .get('/auth/me')
        .set(...bearer(fresh.access))
        .expect(200);
      await t
        .http()
        .post('/auth/refresh')
        .send({ refresh_token: refresh })
        .expect(401);
    });
  });

  describe('role change', () => {
    it('voids old tokens on promotion; the next refresh carries the new role', async () => {
      const { id, access, refresh } = await registerAndLogin(t);
      await t
        .http()
        .get('/users')
        .set(...bearer(access))
        .expect(403);
      const res = await t
        .http()
        .patch(`/users/${id}`)
        .set(...bearer(admin.access))
        .send({ roles: ['user', 'admin'] })
        .expect(200);
      expect(res.body.roles).toEqual(['user', 'admin']);

      const stale = await t
        .http()
        .get('/auth/me')
        .set(...bearer(access));
      expectProblem(stale, 401, 'AUTH.TOKEN_REVOKED');

      // The session survives a role change: a refresh picks up the new roles.
      const refreshed = await t
        .http()
        .post('/auth/refresh')
        .send({ refresh_token: refresh })
        .expect(200);
      const promoted = refreshed.body.access_token as string;
      expect(claimsOf(promoted).roles).toEqual(['user', 'admin']);
      await t
        .http()
        .get('/users')
        .set(...bearer(promoted))
        .expect(200);
    });

    it('refuses a demoted admin at once: the old token 401, the refreshed token 403', async () => {
      const { id, user } = await registerAndLogin(t);
      await t
        .http()
        .patch(`/users/${id}`)
        .set(...bearer(admin.access))
        .send({ roles: ['admin', 'user'] })
        .expect(200);
      const asAdmin = await login(t, user);
      await t
        .http()
        .get('/users')
        .set(...bearer(asAdmin.access))
        .expect(200);

      await t
        .http()
        .patch(`/users/${id}`)
        .set(...bearer(admin.access))
        .send({ roles: ['user'] })
        .expect(200);
      const stale = await t
        .http()
        .get('/users')
        .set(...bearer(asAdmin.access));
      expectProblem(stale, 401, 'AUTH.TOKEN_REVOKED');

      const refreshed = await t
        .http()
        .post('/auth/refresh')
        .send({ refresh_token: asAdmin.refresh })
        .expect(200);
      const demoted = refreshed.body.access_token as string;
      expect(claimsOf(demoted).roles).toEqual(['user']);
      const forbidden = await t
        .http()
        .get('/users')
        .set(...bearer(demoted));
      expectProblem(forbidden, 403, 'AUTH.INSUFFICIENT_ROLE');
      // Logging in still works: a role change is not a disable.
      await login(t, user);
    });

    it('keeps tokens valid when the roles do not actually change', async () => {
      const { id, access } = await registerAndLogin(t);
      await t
        .http()
        .patch(`/users/${id}`)
        .set(...bearer(admin.access))
        .send({ roles: ['user'] })
        .expect(200);
      await t
        .http()
        .get('/auth/me')
        .set(...bearer(access))
        .expect(200);
    });
  });

  describe('DELETE /users/:id', () => {
    it('removes the user, voids the token at once and refuses login and refresh', async () => {
      const { id, user, access, refresh } = await registerAndLogin(t);
      const res = await t
        .http()
        .delete(`/users/${id}`)
        .set(...bearer(admin.access))
        .expect(204);
      expect(res.text).toBe('');

      const stale = await t
        .http()
        .get('/auth/me')
        .set(...bearer(access));
      expectProblem(stale, 401, 'AUTH.TOKEN_REVOKED');
      const loginRes = await t
        .http()
        .post('/auth/login')
        .send({ username: user.username, password: user.password })
        .expect(401);
      expect(comparable(loginRes.body)).toEqual(await wrongPasswordBody());
      await t
        .http()
        .post('/auth/refresh')
        .send({ refresh_token: refresh })
        .expect(401);
      const gone = await t
        .http()
        .get(`/users/${id}`)
        .set(...bearer(admin.access));
      expectProblem(gone, 404, 'USERS.NOT_FOUND');
    });

    it('answers 404 for an unknown or already deleted id', async () => {
      const { id } = await registerAndLogin(t);
      await t
        .http()
        .delete(`/users/${id}`)
        .set(...bearer(admin.access))
        .expect(204);
      const again = await t
        .http()
        .delete(`/users/${id}`)
        .set(...bearer(admin.access));
      expectProblem(again, 404, 'USERS.NOT_FOUND');
    });

    it('frees the username and email for a new registration', async () => {
      const { id, user } = await registerAndLogin(t);
      await t
        .http()
        .delete(`/users/${id}`)
        .set(...bearer(admin.access))
        .expect(204);
      const again = await t
        .http()
        .post('/auth/register')
        .send(user)
        .expect(201);
      expect(again.body.id).not.toBe(id);
    });

    it('refuses to let an admin delete themselves (409)', async () => {
      const res = await t
        .http()
        .delete(`/users/${adminId}`)
        .set(...bearer(admin.access));
      expectProblem(res, 409, 'USERS.SELF_LOCKOUT');
      await t
        .http()
        .get(`/users/${adminId}`)
        .set(...bearer(admin.access))
        .expect(200);
    });
  });
});

describe('users admin across a restart (e2e)', () => {
  let dataDir: string;
  afterAll(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps a deleted user’s access token refused after the server restarts', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-users-'));
    // PostgreSQL when the suite runs on it; otherwise PGlite on disk (DATABASE_URL unset → DATA_DIR/pglite).
    const database = process.env.TEST_DATABASE_URL
      ? await createTestDatabase()
      : undefined;
    const env = { DATA_DIR: dataDir, DATABASE_URL: database?.url ?? '' };
    try {
      const first = await createAppWithAdmin(env);
      let access: string;
      try {
        const admin = await loginAdmin(first);
        const victim = await registerAndLogin(first);
        access = victim.access;
        await first
          .http()
          .delete(`/users/${victim.id}`)
          .set(...bearer(admin.access))
          .expect(204);
      } finally {
        await first.close();
      }
      const second = await createAppWithAdmin(env);
      try {
        // A route that does not read the user row: only the durable revocation can refuse the token here.
        const res = await second
          .http()
          .get('/auth/sessions')
          .set(...bearer(access));
        expectProblem(res, 401, 'AUTH.TOKEN_REVOKED');
      } finally {
        await second.close();
      }
    } finally {
      await database?.drop();
    }
  }, 120_000);
});
