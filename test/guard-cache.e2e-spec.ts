import type { Response, Test } from 'supertest';
import { AccessTokenVerifier } from 'src/keys/access-token-verifier';
import {
  createTestApp,
  newUser,
  registerAndLogin,
  type TestApp,
} from './helpers/test-app';

/** Matches the defaults the test app runs with: JWT_ACCESS_TTL 15 min, JWT_CLOCK_TOLERANCE 5 s. */
const TTL_SECONDS = 900;
const TOLERANCE_SECONDS = 5;

describe('verified-token cache in the AccessTokenVerifier (e2e)', () => {
  let t: TestApp;
  let verifications: jest.SpyInstance;

  const me = (token: string): Test =>
    t.http().get('/auth/me').set('authorization', `Bearer ${token}`);

  function expect401(res: Response, code: string): void {
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 401, code });
  }

  beforeAll(async () => {
    t = await createTestApp();
    // verifySigned runs once per signature verification: it tells a cache hit from a full verification.
    verifications = jest.spyOn(
      t.get(AccessTokenVerifier) as unknown as {
        verifySigned(token: string): unknown;
      },
      'verifySigned',
    );
  });
  afterAll(async () => {
    await t.close();
  });
  afterEach(() => {
    t.clock.reset();
    verifications.mockClear();
  });

  it('verifies a token once and answers later requests with it from the cache', async () => {
    const session = await registerAndLogin(t);
    await me(session.access).expect(200);
    await Promise.all(
      [1, 2, 3, 4, 5].map(() => me(session.access).expect(200)),
    );
    expect(verifications).toHaveBeenCalledTimes(1);
  });

  it('refuses a cached token once its session is logged out', async () => {
    const session = await registerAndLogin(t);
    await me(session.access).expect(200);
    await me(session.access).expect(200);
    await t
      .http()
      .post('/auth/logout')
      .set('authorization', `Bearer ${session.access}`)
      .expect(204);
    expect401(await me(session.access), 'AUTH.TOKEN_REVOKED');
    expect401(await me(session.access), 'AUTH.TOKEN_REVOKED');
  });

  it('refuses the cached token of another session after a password change', async () => {
    const user = newUser();
    const first = await registerAndLogin(t, user);
    const second = await t
      .http()
      .post('/auth/login')
      .send({ username: user.username, password: user.password })
      .expect(200);
    await me(first.access).expect(200);
    await t
      .http()
      .post('/auth/password')
      .set('authorization', `Bearer ${second.body.access_token as string}`)
      .send({
        current_password: user.password,
        new_password: `${user.password}-changed`,
      })
      .expect(204);
    expect401(await me(first.access), 'AUTH.TOKEN_REVOKED');
  });

  it('refuses a cached token once it expires, and keeps refusing it', async () => {
    const session = await registerAndLogin(t);
    await me(session.access).expect(200);
    t.clock.advance(TTL_SECONDS + TOLERANCE_SECONDS + 1);
    expect401(await me(session.access), 'AUTH.TOKEN_EXPIRED');
    // The entry is dropped; the full verification must agree (it reads the same injected clock).
    expect401(await me(session.access), 'AUTH.TOKEN_EXPIRED');
    expect(verifications).toHaveBeenCalledTimes(2);
  });

  it('accepts a cached token that expired within the clock tolerance', async () => {
    const session = await registerAndLogin(t);
    await me(session.access).expect(200);
    t.clock.advance(TTL_SECONDS + TOLERANCE_SECONDS - 2);
    await me(session.access).expect(200);
  });

  it('refuses a never-seen token that the injected clock says has expired', async () => {
    const session = await registerAndLogin(t);
    t.clock.advance(TTL_SECONDS + TOLERANCE_SECONDS + 1);
    expect401(await me(session.access), 'AUTH.TOKEN_EXPIRED');
  });

  it('does not let a cached token vouch for one with an altered signature', async () => {
    const session = await registerAndLogin(t);
    await me(session.access).expect(200);
    const last = session.access.at(-2) === 'A' ? 'B' : 'A';
    const altered = `${session.access.slice(0, -2)}${last}${session.access.at(-1)}`;
    expect401(await me(altered), 'AUTH.TOKEN_INVALID');
    await me(session.access).expect(200);
  });
});
