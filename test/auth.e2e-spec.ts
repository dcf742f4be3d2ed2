import { AuditService } from 'src/audit/audit.service';
import { createAppWithAdmin, loginAdmin } from './helpers/admin';
import { countQueries } from './helpers/counters';
import { bearer } from './helpers/http';
import {
  createTestApp,
  DatabaseService,
  newUser,
  registerAndLogin,
  type TestApp,
} from './helpers/test-app';

describe('auth (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('registers, logs in and returns the user at /auth/me', async () => {
    const user = newUser();
    const reg = await t.http().post('/auth/register').send(user).expect(201);
    expect(reg.body).toEqual({
      id: expect.any(String),
      username: user.username,
      email: user.email,
      roles: ['user'],
      disabled: false,
      email_verified: false,
      mfa_enabled: false,
      created_at: expect.any(String),
    });
    const login = await t
      .http()
      .post('/auth/login')
      .send({ username: user.email.toUpperCase(), password: user.password })
      .expect(200);
    expect(login.headers['cache-control']).toBe('no-store');
    expect(login.body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    const me = await t
      .http()
      .get('/auth/me')
      .set('authorization', `Bearer ${login.body.access_token}`)
      .expect(200);
    expect(me.body.id).toBe(reg.body.id);
    expect(JSON.stringify(me.body)).not.toMatch(/argon2|password/i);
  });

  it('gives unknown users and wrong passwords the same 401 body', async () => {
    const { user } = await registerAndLogin(t);
    const wrong = await t
      .http()
      .post('/auth/login')
      .send({ username: user.username, password: 'not the password at all' })
      .expect(401);
    const unknown = await t
      .http()
      .post('/auth/login')
      .send({ username: 'nobody-here', password: 'not the password at all' })
      .expect(401);
    const { request_id: _a, ...wrongBody } = wrong.body as Record<
      string,
      unknown
    >;
    const { request_id: _b, ...unknownBody } = unknown.body as Record<
      string,
      unknown
    >;
    expect(wrongBody).toEqual(unknownBody);
    expect(wrongBody.code).toBe('AUTH.INVALID_CREDENTIALS');
    expect(wrong.headers['content-type']).toMatch(
      /^application\/problem\+json/,
    );
  });
});

describe('GET /auth/me in steady state (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createAppWithAdmin();
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers repeated calls without a database query', async () => {
    const { access } = await registerAndLogin(t);
    // The login's audit rows are written in the background; flush them so only requests are counted.
    await t.get(AuditService).flush();
    const database = countQueries(t.get(DatabaseService));
    await t
      .http()
      .get('/auth/me')
      .set('authorization', `Bearer ${access}`)
      .expect(200);
    const before = database.queryCount;
    for (let i = 0; i < 5; i += 1) {
      await t
        .http()
        .get('/auth/me')
        .set('authorization', `Bearer ${access}`)
        .expect(200);
    }
    expect(database.queryCount - before).toBe(0);
  });

  it('shows a role change made by an admin on the next token, not the cached profile', async () => {
    const { id, refresh, access } = await registerAndLogin(t);
    const first = await t
      .http()
      .get('/auth/me')
      .set('authorization', `Bearer ${access}`)
      .expect(200);
    expect(first.body.roles).toEqual(['user']);
    const admin = await loginAdmin(t);
    await t
      .http()
      .patch(`/users/${id}`)
      .set(...bearer(admin.access))
      .send({ roles: ['user', 'admin'] })
      .expect(200);
    await t
      .http()
      .get('/auth/me')
      .set('authorization', `Bearer ${access}`)
      .expect(401);
    const refreshed = await t
      .http()
      .post('/auth/refresh')
      .send({ refresh_token: refresh })
      .expect(200);
    const me = await t
      .http()
      .get('/auth/me')
      .set('authorization', `Bearer ${refreshed.body.access_token}`)
      .expect(200);
    expect(me.body.roles).toEqual(['user', 'admin']);
  });
});
