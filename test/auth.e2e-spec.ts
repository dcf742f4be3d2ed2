import {
  createTestApp,
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
    const { request_id: _a, ...wrongBody } = wrong.body as Record<string, unknown>;
    const { request_id: _b, ...unknownBody } = unknown.body as Record<string, unknown>;
    expect(wrongBody).toEqual(unknownBody);
    expect(wrongBody.code).toBe('AUTH.INVALID_CREDENTIALS');
    expect(wrong.headers['content-type']).toMatch(
      /^application\/problem\+json/,
    );
  });
});
