import { ADMIN, createAppWithAdmin, loginAdmin } from './helpers/admin';
import { bearer, expectProblem } from './helpers/http';
import {
  login,
  newUser,
  registerAndLogin,
  type TestApp,
} from './helpers/test-app';

const STEP_UP_CHALLENGE =
  'Bearer error="insufficient_user_authentication", error_description="A more recent sign-in is required", max_age=300';

describe('step-up for sensitive operations (RFC 9470) (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createAppWithAdmin();
  });
  afterAll(() => t.close());
  afterEach(() => t.clock.reset());

  function changePassword(
    access: string,
    user: { password: string },
    newPassword = `${user.password} and more`,
  ) {
    return t
      .http()
      .post('/auth/password')
      .set(...bearer(access))
      .send({ current_password: user.password, new_password: newPassword });
  }

  it('refuses a password change 10 minutes after the sign-in with the RFC 9470 challenge, though the token is still valid', async () => {
    const { user, access } = await registerAndLogin(t);
    t.clock.advance(600);
    await t
      .http()
      .get('/auth/me')
      .set(...bearer(access))
      .expect(200);
    const res = await changePassword(access, user);
    expectProblem(res, 401, 'AUTH.STEP_UP_REQUIRED');
    expect(res.headers['www-authenticate']).toBe(STEP_UP_CHALLENGE);
    // Nothing changed: the old password still signs in.
    await login(t, user);
  });

  it('allows a password change within 5 minutes of the sign-in, and again after signing in anew', async () => {
    const { user, access } = await registerAndLogin(t);
    t.clock.advance(290);
    await changePassword(access, user, 'a new password, long enough').expect(
      204,
    );

    const changed = { ...user, password: 'a new password, long enough' };
    t.clock.advance(600);
    const fresh = await login(t, changed);
    await changePassword(fresh.access, changed).expect(204);
  });

  it('refuses an email change request with a stale sign-in', async () => {
    const { user, access } = await registerAndLogin(t);
    t.clock.advance(600);
    const res = await t
      .http()
      .post('/auth/email')
      .set(...bearer(access))
      .send({ new_email: newUser().email, current_password: user.password });
    expectProblem(res, 401, 'AUTH.STEP_UP_REQUIRED');
    expect(res.headers['www-authenticate']).toBe(STEP_UP_CHALLENGE);
  });

  it('asks an admin with a stale sign-in to step up for a role change, not for disabling', async () => {
    const admin = await loginAdmin(t);
    const { id } = await registerAndLogin(t);
    t.clock.advance(600);
    const res = await t
      .http()
      .patch(`/users/${id}`)
      .set(...bearer(admin.access))
      .send({ roles: ['user', 'admin'] });
    expectProblem(res, 401, 'AUTH.STEP_UP_REQUIRED');
    expect(res.headers['www-authenticate']).toBe(STEP_UP_CHALLENGE);
    const unchanged = await t
      .http()
      .get(`/users/${id}`)
      .set(...bearer(admin.access))
      .expect(200);
    expect(unchanged.body.roles).toEqual(['user']);

    const disabled = await t
      .http()
      .patch(`/users/${id}`)
      .set(...bearer(admin.access))
      .send({ disabled: true })
      .expect(200);
    expect(disabled.body.disabled).toBe(true);

    const fresh = await login(t, ADMIN);
    await t
      .http()
      .patch(`/users/${id}`)
      .set(...bearer(fresh.access))
      .send({ roles: ['user', 'admin'] })
      .expect(200);
  });

  it('still answers a request without a token with the plain bearer challenge', async () => {
    const res = await t
      .http()
      .post('/auth/password')
      .send({ current_password: 'x', new_password: 'y' });
    expectProblem(res, 401, 'AUTH.TOKEN_MISSING');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="gatehouse"');
  });
});
