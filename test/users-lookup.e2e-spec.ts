import type { Response } from 'supertest';
import {
  ADMIN,
  type AdminSession,
  createAppWithAdmin,
  loginAdmin,
} from './helpers/admin';
import { bearer, expectProblem } from './helpers/http';
import {
  login,
  newUser,
  registerAndLogin,
  type TestApp,
} from './helpers/test-app';

const MISSING_UUID = '00000000-0000-4000-8000-000000000000';

/** Who may reach the users routes and who may never grant a role; how listing and lookup answer; the routes' docs. */
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

  describe('access control', () => {
    let target: string;
    let user: { access: string; refresh: string };
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
      for (const c of cases)
        expect((await c.send(user.access)).status).toBe(403);
      const res = await t
        .http()
        .get(`/users/${target}`)
        .set(...bearer(admin.access))
        .expect(200);
      expect(res.body).toMatchObject({
        id: target,
        roles: ['user'],
        disabled: false,
        email_verified: false,
        mfa_enabled: false,
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
        email_verified: false,
        mfa_enabled: false,
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
        email_verified: false,
        mfa_enabled: false,
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
