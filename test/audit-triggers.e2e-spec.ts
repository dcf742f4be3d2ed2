import { adminEvents, myEvents } from './audit-helpers';
import {
  type AdminSession,
  createAppWithAdmin,
  loginAdmin,
} from './helpers/admin';
import { bearer } from './helpers/http';
import { newUser, registerAndLogin, type TestApp } from './helpers/test-app';

describe('audit trail (e2e)', () => {
  let t: TestApp;
  let admin: AdminSession;
  beforeAll(async () => {
    t = await createAppWithAdmin();
    admin = await loginAdmin(t);
  });
  afterAll(async () => {
    await t.close();
  });

  describe('events from their real triggers', () => {
    const UA = 'audit-test-agent/1.0';

    it('records user_created, login_succeeded and login_failed with a reason, never a password', async () => {
      const user = newUser('trail');
      const reg = await t
        .http()
        .post('/auth/register')
        .set('user-agent', UA)
        .send(user)
        .expect(201);
      const id = reg.body.id as string;
      await t
        .http()
        .post('/auth/login')
        .set('user-agent', UA)
        .send({ username: user.username, password: 'not the password at all' })
        .expect(401);
      const login = await t
        .http()
        .post('/auth/login')
        .set('user-agent', UA)
        .send({ username: user.username, password: user.password })
        .expect(200);
      const unknown = `ghost_${Date.now()}`;
      await t
        .http()
        .post('/auth/login')
        .send({ username: unknown, password: 'a guessed password 1' })
        .expect(401);

      const events = await myEvents(t, login.body.access_token as string);
      const types = events.map((e) => e.type);
      expect(types).toEqual(
        expect.arrayContaining([
          'user_created',
          'login_failed',
          'login_succeeded',
        ]),
      );
      const ok = events.find((e) => e.type === 'login_succeeded')!;
      expect(ok).toMatchObject({
        user_id: id,
        ip: expect.stringMatching(/127\.0\.0\.1|::1/),
        user_agent: UA,
        session_id: expect.any(String),
      });
      const failed = events.find((e) => e.type === 'login_failed')!;
      expect(failed).toMatchObject({
        user_id: id,
        details: { reason: 'wrong_password' },
      });
      const text = JSON.stringify(events);
      expect(text).not.toContain(user.password);
      expect(text).not.toContain('not the password at all');

      const anonymous = await adminEvents(t, admin.access, {
        type: 'login_failed',
        limit: 5,
      });
      expect(anonymous.items[0]).toMatchObject({
        user_id: null,
        details: { reason: 'unknown_user' },
      });
      expect(JSON.stringify(anonymous.items)).not.toContain(
        'a guessed password 1',
      );
    });

    it('records logout, logout_all, session_revoked and password_changed', async () => {
      const { user, access } = await registerAndLogin(t);
      const login = () =>
        t
          .http()
          .post('/auth/login')
          .send({ username: user.username, password: user.password })
          .expect(200)
          .then((r) => r.body.access_token as string);
      const second = await login();
      const sessions = await t
        .http()
        .get('/auth/sessions')
        .set(...bearer(access))
        .expect(200);
      const other = (sessions.body as { id: string; current: boolean }[]).find(
        (s) => !s.current,
      )!;
      await t
        .http()
        .delete(`/auth/sessions/${other.id}`)
        .set(...bearer(access))
        .expect(204);
      await login();
      await t
        .http()
        .delete('/auth/sessions')
        .set(...bearer(access))
        .expect(204);
      const newPassword = `${user.password}-changed`;
      await t
        .http()
        .post('/auth/password')
        .set(...bearer(access))
        .send({ current_password: user.password, new_password: newPassword })
        .expect(204);
      await t
        .http()
        .post('/auth/logout')
        .set(...bearer(access))
        .expect(204);
      expect(second).toBeDefined();

      const fresh = await t
        .http()
        .post('/auth/login')
        .send({ username: user.username, password: newPassword })
        .expect(200);
      const events = await myEvents(t, fresh.body.access_token as string);
      const byType = new Map(events.map((e) => [e.type, e]));
      expect(byType.get('session_revoked')).toMatchObject({
        session_id: other.id,
      });
      expect(byType.has('logout_all')).toBe(true);
      expect(byType.has('password_changed')).toBe(true);
      expect(byType.get('logout')?.session_id).toEqual(expect.any(String));
      expect(JSON.stringify(events)).not.toContain(newPassword);
    });

    it('records refresh_reuse_detected when a rotated refresh token is replayed after the grace window', async () => {
      const { id, refresh } = await registerAndLogin(t);
      await t
        .http()
        .post('/auth/refresh')
        .send({ refresh_token: refresh })
        .expect(200);
      t.clock.advance(60);
      await t
        .http()
        .post('/auth/refresh')
        .send({ refresh_token: refresh })
        .expect(401);
      const page = await adminEvents(t, admin.access, {
        user_id: id,
        type: 'refresh_reuse_detected',
      });
      expect(page.items).toHaveLength(1);
      expect(page.items[0].session_id).toEqual(expect.any(String));
    });

    it('records user_disabled, user_role_changed and user_deleted with the admin as actor', async () => {
      const { id } = await registerAndLogin(t);
      await t
        .http()
        .patch(`/users/${id}`)
        .set(...bearer(admin.access))
        .send({ roles: ['user', 'admin'] })
        .expect(200);
      await t
        .http()
        .patch(`/users/${id}`)
        .set(...bearer(admin.access))
        .send({ disabled: true })
        .expect(200);
      await t
        .http()
        .delete(`/users/${id}`)
        .set(...bearer(admin.access))
        .expect(204);
      const page = await adminEvents(t, admin.access, { user_id: id });
      const types = page.items.map((e) => e.type);
      expect(types).toEqual(
        expect.arrayContaining([
          'user_role_changed',
          'user_disabled',
          'user_deleted',
        ]),
      );
      const byAdmin = page.items.filter((e) =>
        ['user_role_changed', 'user_disabled', 'user_deleted'].includes(e.type),
      );
      expect(byAdmin).toHaveLength(3);
      for (const event of byAdmin) expect(event.actor_id).toBe(admin.id);
      expect(
        byAdmin.find((e) => e.type === 'user_role_changed')?.details,
      ).toEqual({ from: ['user'], to: ['user', 'admin'] });
    });
  });
});

describe('audit events from lockouts and key rotation (e2e)', () => {
  it('records a lockout after repeated failed logins', async () => {
    const t = await createAppWithAdmin({ LOGIN_MAX_FAILURES: '2' });
    try {
      const { id, user } = await registerAndLogin(t);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i += 1) {
        const res = await t
          .http()
          .post('/auth/login')
          .send({ username: user.username, password: 'wrong password here' });
        statuses.push(res.status);
      }
      expect(statuses).toContain(429);
      const admin = await loginAdmin(t);
      const page = await adminEvents(t, admin.access, {
        user_id: id,
        type: 'lockout',
      });
      expect(page.items.length).toBeGreaterThanOrEqual(1);
    } finally {
      await t.close();
    }
  });

  it('records key_rotated with the admin as actor', async () => {
    const t = await createAppWithAdmin({ JWT_ALGORITHM: 'ES256' });
    try {
      const admin = await loginAdmin(t);
      await t
        .http()
        .post('/admin/keys/rotate')
        .set(...bearer(admin.access))
        .send({})
        .expect(200);
      const page = await adminEvents(t, admin.access, { type: 'key_rotated' });
      expect(page.items).toHaveLength(1);
      expect(page.items[0]).toMatchObject({
        actor_id: admin.id,
        details: { kid: expect.any(String) },
      });
    } finally {
      await t.close();
    }
  });
});
