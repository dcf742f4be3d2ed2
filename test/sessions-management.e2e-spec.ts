import { bearer } from './helpers/http';
import { claimsOf, sidOf } from './helpers/jwt';
import {
  createTestApp,
  login,
  registerAndLogin,
  type TestApp,
} from './helpers/test-app';
import {
  expectEnded,
  expectLive,
  expectNoSecretsLogged,
  listSessionIds,
  pairOf,
  refresh,
  register,
  securityEvents,
  spyOnSecurityEvents,
} from './sessions-helpers';

/** A user's view of their sessions: listing them, logging out, ending others, and a password change ending them. */
describe('sessions (e2e)', () => {
  spyOnSecurityEvents();

  describe('with the default 10 s reuse grace window', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp();
    });
    afterAll(async () => {
      await t.close();
    });

    it('logout ends the session: its access tokens (also pre-rotation ones) and refresh tokens are refused', async () => {
      const user = await register(t);
      const before = await login(t, user);
      const other = await login(t, user);
      const current = pairOf(await refresh(t, before.refresh).expect(200));

      await t
        .http()
        .post('/auth/logout')
        .set(...bearer(current.access))
        .expect(204);

      expect(securityEvents()).toContainEqual(
        expect.objectContaining({
          event: 'logout',
          sessionId: sidOf(current.access),
        }),
      );
      expectNoSecretsLogged(before, current);
      await expectEnded(t, current);
      await expectEnded(t, before);
      const again = await t
        .http()
        .post('/auth/logout')
        .set(...bearer(current.access))
        .expect(401);
      expect(again.body.code).toBe('AUTH.TOKEN_REVOKED');
      expect(await listSessionIds(t, other.access)).toEqual([
        sidOf(other.access),
      ]);
      await expectLive(t, other);
    });

    it('DELETE /auth/sessions ends every other session and keeps the current one', async () => {
      const user = await register(t);
      const [a, b, c] = [
        await login(t, user),
        await login(t, user),
        await login(t, user),
      ];
      expect((await listSessionIds(t, a.access)).sort()).toEqual(
        [a, b, c].map((p) => sidOf(p.access)).sort(),
      );
      await t
        .http()
        .delete('/auth/sessions')
        .set(...bearer(a.access))
        .expect(204);

      expect(securityEvents()).toContainEqual(
        expect.objectContaining({
          event: 'logout_all',
          userId: claimsOf(a.access).sub,
          ended: 2,
        }),
      );
      await expectEnded(t, b);
      await expectEnded(t, c);
      const list = await t
        .http()
        .get('/auth/sessions')
        .set(...bearer(a.access))
        .expect(200);
      expect(list.body).toEqual([
        expect.objectContaining({ id: sidOf(a.access), current: true }),
      ]);
      await expectLive(t, a);
    });

    it('DELETE /auth/sessions/:id ends exactly that session; unknown or ended ids are 404', async () => {
      const user = await register(t);
      const a = await login(t, user);
      const b = await login(t, user);
      await t
        .http()
        .delete(`/auth/sessions/${sidOf(b.access)}`)
        .set(...bearer(a.access))
        .expect(204);
      await expectEnded(t, b);
      a.refresh = (await expectLive(t, a)).refresh;

      const again = await t
        .http()
        .delete(`/auth/sessions/${sidOf(b.access)}`)
        .set(...bearer(a.access))
        .expect(404);
      expect(again.headers['content-type']).toMatch(
        /^application\/problem\+json/,
      );
      await t
        .http()
        .delete(`/auth/sessions/00000000-0000-4000-8000-000000000000`)
        .set(...bearer(a.access))
        .expect(404);
      await t
        .http()
        .delete('/auth/sessions/not-a-uuid')
        .set(...bearer(a.access))
        .expect(400);
    });

    it('password change ends every other session; the current one stays signed in', async () => {
      const user = await register(t);
      const a = await login(t, user);
      const b = await login(t, user);
      const c = await login(t, user);
      const newPassword = `${user.password}-changed`;

      const wrong = await t
        .http()
        .post('/auth/password')
        .set(...bearer(a.access))
        .send({
          current_password: 'not-the-password-1',
          new_password: newPassword,
        })
        .expect(403);
      expect(wrong.body.code).toBe('AUTH.WRONG_CURRENT_PASSWORD');
      b.refresh = (await expectLive(t, b)).refresh;

      await t
        .http()
        .post('/auth/password')
        .set(...bearer(a.access))
        .send({ current_password: user.password, new_password: newPassword })
        .expect(204);
      expect(securityEvents()).toContainEqual(
        expect.objectContaining({
          event: 'password_changed',
          userId: claimsOf(a.access).sub,
          ended: 2,
        }),
      );
      await expectEnded(t, b);
      await expectEnded(t, c);
      await expectLive(t, a);
      await t
        .http()
        .post('/auth/login')
        .send({ username: user.username, password: user.password })
        .expect(401);
      await login(t, { ...user, password: newPassword });
    });

    it('keeps users apart: A cannot list or end B’s sessions', async () => {
      const alice = await registerAndLogin(t);
      const bob = await registerAndLogin(t);
      const aliceSessions = await listSessionIds(t, alice.access);
      expect(aliceSessions).toEqual([sidOf(alice.access)]);

      const res = await t
        .http()
        .delete(`/auth/sessions/${sidOf(bob.access)}`)
        .set(...bearer(alice.access))
        .expect(404);
      expect(res.body.code).toBe('SESSIONS.NOT_FOUND');
      await t
        .http()
        .delete('/auth/sessions')
        .set(...bearer(alice.access))
        .expect(204);
      await expectLive(t, { access: bob.access, refresh: bob.refresh });
      expect(await listSessionIds(t, bob.access)).toEqual([sidOf(bob.access)]);
    });

    it('lists live sessions with their client details and marks the current one', async () => {
      const user = await register(t);
      const res = await t
        .http()
        .post('/auth/login')
        .set('user-agent', 'sessions-e2e/1.0')
        .send({ username: user.username, password: user.password })
        .expect(200);
      const pair = pairOf(res);
      const list = await t
        .http()
        .get('/auth/sessions')
        .set(...bearer(pair.access))
        .expect(200);
      expect(list.body).toContainEqual({
        id: sidOf(pair.access),
        created_at: expect.any(String),
        last_used_at: expect.any(String),
        expires_at: expect.any(String),
        user_agent: 'sessions-e2e/1.0',
        ip: expect.any(String),
        current: true,
      });
      expect(
        (list.body as { current: boolean }[]).filter((s) => s.current),
      ).toHaveLength(1);
    });

    it('requires a bearer token on every session route', async () => {
      await t.http().post('/auth/logout').expect(401);
      await t.http().get('/auth/sessions').expect(401);
      await t.http().delete('/auth/sessions').expect(401);
      await t
        .http()
        .delete('/auth/sessions/00000000-0000-4000-8000-000000000000')
        .expect(401);
      await t
        .http()
        .post('/auth/password')
        .send({ current_password: 'x', new_password: 'y' })
        .expect(401);
    });
  });
});
