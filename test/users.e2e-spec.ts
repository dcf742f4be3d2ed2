import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Response } from 'supertest';
import {
  createTestApp,
  login,
  newUser,
  registerAndLogin,
  type TestApp,
} from './helpers/test-app';
import { createTestDatabase } from './helpers/test-database';

interface Pair {
  access: string;
  refresh: string;
}

const ADMIN = {
  username: 'root_admin',
  email: 'root-admin@example.com',
  password: 'the admin password, long enough',
};
const ADMIN_ENV = {
  ADMIN_USERNAME: ADMIN.username,
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
};
const MISSING_UUID = '00000000-0000-4000-8000-000000000000';

const bearer = (token: string): [string, string] => [
  'authorization',
  `Bearer ${token}`,
];

function rolesOf(access: string): string[] {
  const payload = JSON.parse(
    Buffer.from(access.split('.')[1], 'base64url').toString('utf8'),
  ) as { roles: string[] };
  return payload.roles;
}

/** A problem body without the per-request fields, so two refusals can be compared. */
function comparable(body: Record<string, unknown>): Record<string, unknown> {
  const { request_id: _requestId, ...rest } = body;
  return rest;
}

function expectProblem(res: Response, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, code });
}

describe('users admin (e2e)', () => {
  let t: TestApp;
  let admin: Pair;
  let adminId: string;

  beforeAll(async () => {
    t = await createTestApp(ADMIN_ENV);
    admin = await login(t, ADMIN);
    adminId = (
      await t
        .http()
        .get('/auth/me')
        .set(...bearer(admin.access))
        .expect(200)
    ).body.id as string;
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

  describe('access control', () => {
    let target: string;
    let user: Pair;
    beforeAll(async () => {
      target = (await registerAndLogin(t)).id;
      user = await login(t, (await registerAndLogin(t)).user);
    });

    const cases: Array<{
      name: string;
      send: (token?: string) => Promise<Response>;
    }> = [
      {
        name: 'GET /users',
        send: (token) => {
          const req = t.http().get('/users');
          return token ? req.set(...bearer(token)) : req;
        },
      },
      {
        name: 'GET /users/:id',
        send: (token) => {
          const req = t.http().get(`/users/${target}`);
          return token ? req.set(...bearer(token)) : req;
        },
      },
      {
        name: 'PATCH /users/:id',
        send: (token) => {
          const req = t.http().patch(`/users/${target}`);
          return (token ? req.set(...bearer(token)) : req).send({
            roles: ['user', 'admin'],
          });
        },
      },
      {
        name: 'DELETE /users/:id',
        send: (token) => {
          const req = t.http().delete(`/users/${target}`);
          return token ? req.set(...bearer(token)) : req;
        },
      },
    ];

    it.each(cases.map((c) => [c.name, c]))(
      '%s answers 401 without a token',
      async (_name, c) => {
        const res = await c.send();
        expectProblem(res, 401, 'AUTH.TOKEN_MISSING');
        expect(res.headers['www-authenticate']).toBe(
          'Bearer realm="gatehouse"',
        );
      },
    );

    it.each(cases.map((c) => [c.name, c]))(
      '%s answers 403 insufficient_scope to a user without the admin role',
      async (_name, c) => {
        const res = await c.send(user.access);
        expectProblem(res, 403, 'AUTH.INSUFFICIENT_ROLE');
        expect(res.headers['www-authenticate']).toMatch(
          /^Bearer .*error="insufficient_scope"/,
        );
      },
    );

    it('leaves the target untouched after the refused user requests', async () => {
      const res = await t
        .http()
        .get(`/users/${target}`)
        .set(...bearer(admin.access))
        .expect(200);
      expect(res.body).toMatchObject({
        id: target,
        roles: ['user'],
        disabled: false,
      });
    });

    it('answers 401 to a garbage token before any role check', async () => {
      const res = await t
        .http()
        .get('/users')
        .set('authorization', 'Bearer not.a.jwt');
      expectProblem(res, 401, 'AUTH.TOKEN_INVALID');
    });
  });

  describe('GET /users', () => {
    const prefix = `pg${Math.random().toString(36).slice(2, 7)}`;
    const created: Array<{ id: string; username: string; email: string }> = [];
    beforeAll(async () => {
      for (let i = 0; i < 5; i += 1) {
        const user = newUser(`${prefix}_`);
        const res = await t
          .http()
          .post('/auth/register')
          .send(user)
          .expect(201);
        created.push(res.body);
      }
    });

    it('returns {items, total, limit, offset} with defaults limit 20 and offset 0', async () => {
      const res = await t
        .http()
        .get('/users')
        .set(...bearer(admin.access))
        .expect(200);
      expect(res.body).toEqual({
        items: expect.any(Array),
        total: expect.any(Number),
        limit: 20,
        offset: 0,
      });
      expect(res.body.total).toBeGreaterThanOrEqual(6);
      expect(res.body.items[0]).toEqual({
        id: adminId,
        username: ADMIN.username,
        email: ADMIN.email,
        roles: ['user', 'admin'],
        disabled: false,
        created_at: expect.any(String),
      });
      expect(JSON.stringify(res.body)).not.toMatch(/argon2|password/i);
    });

    it('matches a username prefix case-insensitively and counts only matches', async () => {
      const res = await t
        .http()
        .get('/users')
        .query({ q: prefix.toUpperCase() })
        .set(...bearer(admin.access))
        .expect(200);
      expect(res.body.total).toBe(5);
      expect(res.body.items.map((u: { id: string }) => u.id)).toEqual(
        created.map((u) => u.id),
      );
    });

    it('matches an email prefix, and never a substring in the middle', async () => {
      const one = created[2];
      const byEmail = await t
        .http()
        .get('/users')
        .query({ q: one.email.toUpperCase() })
        .set(...bearer(admin.access))
        .expect(200);
      expect(byEmail.body.items.map((u: { id: string }) => u.id)).toEqual([
        one.id,
      ]);
      const middle = await t
        .http()
        .get('/users')
        .query({ q: prefix.slice(1) })
        .set(...bearer(admin.access))
        .expect(200);
      expect(middle.body).toMatchObject({ total: 0, items: [] });
    });

    it('treats LIKE wildcards in q as literal characters', async () => {
      for (const q of ['%', '_', `${prefix}%`]) {
        const res = await t
          .http()
          .get('/users')
          .query({ q })
          .set(...bearer(admin.access))
          .expect(200);
        expect(res.body).toMatchObject({ total: 0, items: [] });
      }
    });

    it('pages through the matches in a stable order without gaps or repeats', async () => {
      const page = async (offset: number): Promise<string[]> => {
        const res = await t
          .http()
          .get('/users')
          .query({ q: prefix, limit: 2, offset })
          .set(...bearer(admin.access))
          .expect(200);
        expect(res.body).toMatchObject({ total: 5, limit: 2, offset });
        return res.body.items.map((u: { id: string }) => u.id);
      };
      const pages = [await page(0), await page(2), await page(4)];
      expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
      expect(pages.flat()).toEqual(created.map((u) => u.id));
      expect(await page(0)).toEqual(pages[0]);
      expect(await page(6)).toEqual([]);
    });

    it.each([
      ['limit=0', { limit: 0 }, 'limit'],
      ['limit=101', { limit: 101 }, 'limit'],
      ['limit=abc', { limit: 'abc' }, 'limit'],
      ['limit=1.5', { limit: 1.5 }, 'limit'],
      ['offset=-1', { offset: -1 }, 'offset'],
      ['q over 254 characters', { q: 'a'.repeat(255) }, 'q'],
      ['an unknown parameter', { sort: 'username' }, 'sort'],
    ])(
      'refuses %s with a 400 naming the field',
      async (_name, query, field) => {
        const res = await t
          .http()
          .get('/users')
          .query(query)
          .set(...bearer(admin.access));
        expectProblem(res, 400, 'VALIDATION_FAILED');
        expect(res.body.errors).toEqual([expect.objectContaining({ field })]);
      },
    );

    it('accepts the bounds limit=1, limit=100 and q of 254 characters', async () => {
      for (const query of [
        { limit: 1 },
        { limit: 100 },
        { q: 'a'.repeat(254) },
      ]) {
        await t
          .http()
          .get('/users')
          .query(query)
          .set(...bearer(admin.access))
          .expect(200);
      }
    });
  });

  describe('GET /users/:id', () => {
    it('returns the user', async () => {
      const { id, user } = await registerAndLogin(t);
      const res = await t
        .http()
        .get(`/users/${id}`)
        .set(...bearer(admin.access))
        .expect(200);
      expect(res.body).toEqual({
        id,
        username: user.username,
        email: user.email,
        roles: ['user'],
        disabled: false,
        created_at: expect.any(String),
      });
    });

    it('answers 404 for an unknown id', async () => {
      const res = await t
        .http()
        .get(`/users/${MISSING_UUID}`)
        .set(...bearer(admin.access));
      expectProblem(res, 404, 'USERS.NOT_FOUND');
    });
  });

  describe('malformed ids', () => {
    it.each([
      ['GET', 'not-a-uuid'],
      ['PATCH', 'not-a-uuid'],
      ['DELETE', 'not-a-uuid'],
      ['GET', '00000000-0000-4000-8000-00000000000'],
      ['GET', `${MISSING_UUID}x`],
    ])('%s /users/%s answers 400, not 500', async (method, id) => {
      const req =
        method === 'GET'
          ? t.http().get(`/users/${id}`)
          : method === 'PATCH'
            ? t.http().patch(`/users/${id}`).send({ disabled: true })
            : t.http().delete(`/users/${id}`);
      const res = await req.set(...bearer(admin.access));
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(res.body.errors).toEqual([
        { field: 'id', message: 'id must be a UUID' },
      ]);
    });
  });

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
          message: 'at least one of roles, disabled is required',
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
      expect(rolesOf(promoted)).toEqual(['user', 'admin']);
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
      expect(rolesOf(demoted)).toEqual(['user']);
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

  describe('no escalation', () => {
    it.each([
      ['roles', { roles: ['admin'] }],
      ['disabled', { disabled: false }],
      ['id', { id: MISSING_UUID }],
    ])(
      'refuses a registration carrying %s with a 400',
      async (field, extra) => {
        const res = await t
          .http()
          .post('/auth/register')
          .send({ ...newUser(), ...extra });
        expectProblem(res, 400, 'VALIDATION_FAILED');
        expect(res.body.errors).toEqual([expect.objectContaining({ field })]);
      },
    );

    it('refuses a user who PATCHes their own roles, and their roles stay user', async () => {
      const { id, access } = await registerAndLogin(t);
      const res = await t
        .http()
        .patch(`/users/${id}`)
        .set(...bearer(access))
        .send({ roles: ['admin'] });
      expectProblem(res, 403, 'AUTH.INSUFFICIENT_ROLE');
      const me = await t
        .http()
        .get('/auth/me')
        .set(...bearer(access))
        .expect(200);
      expect(me.body.roles).toEqual(['user']);
    });

    it('offers no way to write roles through /auth/me', async () => {
      const { access } = await registerAndLogin(t);
      for (const method of ['patch', 'put', 'post'] as const) {
        const agent = t.http();
        const res = await agent[method]('/auth/me')
          .set(...bearer(access))
          .send({ roles: ['admin'] });
        expect([404, 405]).toContain(res.status);
      }
      const me = await t
        .http()
        .get('/auth/me')
        .set(...bearer(access))
        .expect(200);
      expect(me.body.roles).toEqual(['user']);
    });
  });

  it('documents the routes in OpenAPI under the users tag with bearer security and problem responses', async () => {
    const res = await t.http().get('/docs-json').expect(200);
    const doc = res.body as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    const ops = {
      listUsers: doc.paths['/users'].get,
      getUser: doc.paths['/users/{id}'].get,
      updateUser: doc.paths['/users/{id}'].patch,
      deleteUser: doc.paths['/users/{id}'].delete,
    };
    for (const [operationId, op] of Object.entries(ops)) {
      expect(op).toMatchObject({
        operationId,
        tags: ['users'],
        security: [{ bearer: [] }],
      });
      const responses = op.responses as Record<string, unknown>;
      for (const status of ['401', '403'])
        expect(responses[status]).toMatchObject({
          content: { 'application/problem+json': expect.any(Object) },
        });
    }
    for (const op of [ops.getUser, ops.updateUser, ops.deleteUser])
      expect(Object.keys(op.responses as object)).toEqual(
        expect.arrayContaining(['400', '404']),
      );
    expect(Object.keys(ops.updateUser.responses as object)).toContain('409');
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
    const env = {
      ...ADMIN_ENV,
      DATA_DIR: dataDir,
      DATABASE_URL: database?.url ?? '',
    };
    try {
      const first = await createTestApp(env);
      let access: string;
      try {
        const admin = await login(first, ADMIN);
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
      const second = await createTestApp(env);
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
