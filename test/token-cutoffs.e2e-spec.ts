import { AuditService } from 'src/audit/audit.service';
import { PasswordService } from 'src/passwords/password.service';
import { RevocationsRepository } from 'src/revocation/revocations.repository';
import {
  type AdminSession,
  createAppWithAdmin,
  loginAdmin,
} from './helpers/admin';
import { until } from './helpers/eventually';
import { bearer } from './helpers/http';
import { claimsOf } from './helpers/jwt';
import {
  login,
  newUser,
  registerAndLogin,
  type TestApp,
} from './helpers/test-app';

/**
 * Hardening of the revocation paths: whole-second `iat` with exact cut-offs, canonical ids, logins and refreshes
 * in flight that cannot outlive a disable, demotion or password change, and revocations that are never half-done.
 */
const CLIENT_UA = 'cutoff-spec/1.0';

describe('token cut-offs and revocation hardening (e2e)', () => {
  let t: TestApp;
  let admin: AdminSession;
  let adminId: string;

  beforeAll(async () => {
    t = await createAppWithAdmin();
    admin = await loginAdmin(t);
    adminId = admin.id;
  });
  afterEach(() => {
    t.clock.reset();
    jest.restoreAllMocks();
  });
  afterAll(async () => {
    await t.close();
  });

  const me = (access: string) =>
    t
      .http()
      .get('/auth/me')
      .set(...bearer(access));
  const refresh = (token: string) =>
    t.http().post('/auth/refresh').send({ refresh_token: token });

  describe('whole-second iat', () => {
    it('keeps the new session after a password change and a login in the same second, and ends the old ones', async () => {
      t.clock.freezeAtWholeSecond();
      const {
        user,
        access: oldAccess,
        refresh: oldRefresh,
      } = await registerAndLogin(t);
      const other = await login(t, user);
      const newPassword = `${user.password} (changed)`;
      await t
        .http()
        .post('/auth/password')
        .set(...bearer(oldAccess))
        .send({ current_password: user.password, new_password: newPassword })
        .expect(204);
      const fresh = await login(t, { ...user, password: newPassword });

      expect(claimsOf(fresh.access).iat).toBe(claimsOf(other.access).iat);
      await me(fresh.access).expect(200);
      await me(other.access).expect(401);
      await refresh(other.refresh).expect(401);
      // The session that changed the password stays signed in.
      await me(oldAccess).expect(200);
      await refresh(fresh.refresh).expect(200);
      await refresh(oldRefresh).expect(200);
    });

    it('voids tokens signed before a role change in the same second and accepts those signed after', async () => {
      const { id, user, access: before } = await registerAndLogin(t);
      t.clock.freezeAtWholeSecond();
      const stale = await login(t, user);
      await t
        .http()
        .patch(`/users/${id}`)
        .set(...bearer(admin.access))
        .send({ roles: ['user', 'admin'] })
        .expect(200);
      const after = await login(t, user);

      expect(claimsOf(after.access).iat).toBe(claimsOf(stale.access).iat);
      await me(before).expect(401);
      await me(stale.access).expect(401);
      await me(after.access).expect(200);
      expect(claimsOf(after.access)).toMatchObject({
        roles: ['user', 'admin'],
        token_version: 1,
      });
      await t
        .http()
        .get('/users')
        .set(...bearer(after.access))
        .expect(200);
    });
  });

  describe('canonical ids', () => {
    it('revokes a session addressed by its id in upper case', async () => {
      const { access } = await registerAndLogin(t);
      const sid = claimsOf(access).sid;
      const second = await registerAndLogin(t);
      // The same user's other session ends this one.
      const owner = await login(t, second.user);
      const target = claimsOf(second.access).sid;
      await t
        .http()
        .delete(`/auth/sessions/${target.toUpperCase()}`)
        .set(...bearer(owner.access))
        .expect(204);
      await me(second.access).expect(401);
      await refresh(second.refresh).expect(401);
      await me(owner.access).expect(200);
      // Someone else's session, in any case, is a 404 and stays alive.
      await t
        .http()
        .delete(`/auth/sessions/${sid.toUpperCase()}`)
        .set(...bearer(owner.access))
        .expect(404);
      await me(access).expect(200);
    });

    it('disables and demotes a user addressed by an upper-case id, voiding their tokens', async () => {
      const { id, user } = await registerAndLogin(t);
      await t
        .http()
        .patch(`/users/${id}`)
        .set(...bearer(admin.access))
        .send({ roles: ['user', 'admin'] })
        .expect(200);
      const promoted = await login(t, user);
      const res = await t
        .http()
        .patch(`/users/${id.toUpperCase()}`)
        .set(...bearer(admin.access))
        .send({ roles: ['user'], disabled: true })
        .expect(200);
      expect(res.body.id).toBe(id);
      await me(promoted.access).expect(401);
      await refresh(promoted.refresh).expect(401);
    });

    it('deletes a user addressed by an upper-case id, voiding their tokens', async () => {
      const { id, access } = await registerAndLogin(t);
      await t
        .http()
        .delete(`/users/${id.toUpperCase()}`)
        .set(...bearer(admin.access))
        .expect(204);
      await me(access).expect(401);
    });

    it.each([
      ['demote', { roles: ['user'] }],
      ['disable', { disabled: true }],
    ])(
      'refuses to let an admin %s themselves through an upper-case id',
      async (_label, body) => {
        await t
          .http()
          .patch(`/users/${adminId.toUpperCase()}`)
          .set(...bearer(admin.access))
          .send(body)
          .expect(409);
        await me(admin.access).expect(200);
      },
    );

    it('refuses to let an admin delete themselves through an upper-case id', async () => {
      await t
        .http()
        .delete(`/users/${adminId.toUpperCase()}`)
        .set(...bearer(admin.access))
        .expect(409);
      await me(admin.access).expect(200);
    });
  });

  describe('logins in flight', () => {
    /**
     * Holds the first `count` password checks until `release()`: those logins have read the account and wait
     * for their hash. Later checks (the password change's own) run at once.
     */
    function holdPasswordChecks(count: number) {
      const passwords = t.get(PasswordService);
      const original = passwords.verify.bind(passwords);
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      let held = 0;
      jest
        .spyOn(passwords, 'verify')
        .mockImplementation((hash: string, password: string) => {
          if (held === count) return original(hash, password);
          held += 1;
          return gate.then(() => original(hash, password));
        });
      return { held: () => held, release: () => open() };
    }

    async function expectDead(res: {
      status: number;
      body: Record<string, string>;
    }) {
      if (res.status === 401) return;
      expect(res.status).toBe(200);
      await me(res.body.access_token).expect(401);
      await refresh(res.body.refresh_token).expect(401);
    }

    it('leaves no working token from logins held while an admin disables and demotes the user', async () => {
      const { id, user } = await registerAndLogin(t);
      await t
        .http()
        .patch(`/users/${id}`)
        .set(...bearer(admin.access))
        .send({ roles: ['user', 'admin'] })
        .expect(200);
      const gate = holdPasswordChecks(3);
      const logins = Array.from({ length: 3 }, () =>
        t
          .http()
          .post('/auth/login')
          .send({ username: user.username, password: user.password })
          .then((res) => res),
      );
      await until('three logins to reach the hash', () => gate.held() === 3, {
        intervalMs: 0,
      });
      await t
        .http()
        .patch(`/users/${id}`)
        .set(...bearer(admin.access))
        .send({ roles: ['user'], disabled: true })
        .expect(200);
      gate.release();
      const results = await Promise.all(logins);
      for (const res of results) await expectDead(res);
      expect(results.every((res) => res.status === 401)).toBe(true);
    });

    it('leaves no working token from logins held while the user changes their password', async () => {
      const { user, access } = await registerAndLogin(t);
      const gate = holdPasswordChecks(3);
      const logins = Array.from({ length: 3 }, () =>
        t
          .http()
          .post('/auth/login')
          .send({ username: user.username, password: user.password })
          .then((res) => res),
      );
      await until('three logins to reach the hash', () => gate.held() === 3, {
        intervalMs: 0,
      });
      await t
        .http()
        .post('/auth/password')
        .set(...bearer(access))
        .send({
          current_password: user.password,
          new_password: `${user.password} (new)`,
        })
        .expect(204);
      gate.release();
      const results = await Promise.all(logins);
      for (const res of results) await expectDead(res);
      expect(results.every((res) => res.status === 401)).toBe(true);
    });

    it('signs a login that lands after a demotion with the roles the database holds', async () => {
      const { id, user } = await registerAndLogin(t);
      await t
        .http()
        .patch(`/users/${id}`)
        .set(...bearer(admin.access))
        .send({ roles: ['user', 'admin'] })
        .expect(200);
      const gate = holdPasswordChecks(1);
      const pending = t
        .http()
        .post('/auth/login')
        .send({ username: user.username, password: user.password })
        .then((res) => res);
      await until('the login to reach the hash', () => gate.held() === 1, {
        intervalMs: 0,
      });
      await t
        .http()
        .patch(`/users/${id}`)
        .set(...bearer(admin.access))
        .send({ roles: ['user'] })
        .expect(200);
      gate.release();
      const res = await pending;
      expect(res.status).toBe(200);
      expect(claimsOf(res.body.access_token as string).roles).toEqual(['user']);
      await me(res.body.access_token as string).expect(200);
      await t
        .http()
        .get('/users')
        .set(...bearer(res.body.access_token as string))
        .expect(403);
    });
  });

  describe('revocations are never half-done', () => {
    it('fails a session revocation whose durable write fails, and a retry completes it', async () => {
      const { user } = await registerAndLogin(t);
      const caller = await login(t, user);
      const target = await login(t, user);
      const sid = claimsOf(target.access).sid;
      const spy = jest
        .spyOn(t.get(RevocationsRepository), 'upsert')
        .mockRejectedValueOnce(new Error('database unavailable'));

      const failed = await t
        .http()
        .delete(`/auth/sessions/${sid}`)
        .set(...bearer(caller.access));
      expect(failed.status).toBe(500);
      expect(failed.headers['content-type']).toMatch(/problem\+json/);
      expect(spy).toHaveBeenCalledTimes(1);

      await t
        .http()
        .delete(`/auth/sessions/${sid}`)
        .set(...bearer(caller.access))
        .expect(204);
      await me(target.access).expect(401);
      await refresh(target.refresh).expect(401);
    });
  });

  describe('the audit trail has the client', () => {
    it('records ip and user agent on logout, session revocation and refresh reuse', async () => {
      const { id, user } = await registerAndLogin(t);
      const a = await login(t, user);
      const b = await login(t, user);
      const c = await login(t, user);
      await t
        .http()
        .delete(`/auth/sessions/${claimsOf(b.access).sid}`)
        .set(...bearer(a.access))
        .set('user-agent', CLIENT_UA)
        .expect(204);
      await t
        .http()
        .post('/auth/logout')
        .set(...bearer(a.access))
        .set('user-agent', CLIENT_UA)
        .expect(204);
      await refresh(c.refresh).expect(200);
      t.clock.advance(60);
      await refresh(c.refresh).set('user-agent', CLIENT_UA).expect(401);
      await t.get(AuditService).flush();

      const admin2 = await loginAdmin(t);
      const res = await t
        .http()
        .get('/admin/audit-events')
        .query({ user_id: id, limit: 100 })
        .set(...bearer(admin2.access))
        .expect(200);
      const events = res.body.items as {
        type: string;
        ip: string | null;
        user_agent: string | null;
      }[];
      for (const type of [
        'session_revoked',
        'logout',
        'refresh_reuse_detected',
      ]) {
        const event = events.find((e) => e.type === type);
        expect(event).toMatchObject({
          type,
          ip: expect.stringMatching(/127\.0\.0\.1|::1/),
          user_agent: CLIENT_UA,
        });
      }
    });
  });

  it('gives a newcomer a user whose tokens start at version 0', async () => {
    const { access } = await registerAndLogin(t, newUser('v0'));
    expect(claimsOf(access).token_version).toBe(0);
  });
});
