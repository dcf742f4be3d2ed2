import { eq, sql } from 'drizzle-orm';
import { AuditService } from 'src/audit/audit.service';
import type { AuditEventInput } from 'src/audit/audit-event';
import { DatabaseService } from 'src/database/database.service';
import { users } from 'src/database/schema';
import {
  createTestApp,
  newUser,
  registerAndLogin,
  type TestApp,
} from './helpers/test-app';

jest.setTimeout(60_000);

interface EventBody {
  id: string;
  type: string;
  occurred_at: string;
  user_id: string | null;
  actor_id: string | null;
  ip: string | null;
  user_agent: string | null;
  session_id: string | null;
  details: Record<string, unknown>;
}

const bearer = (token: string): [string, string] => [
  'authorization',
  `Bearer ${token}`,
];

/** A user promoted to admin in the database, then logged in again so the token carries the role. */
async function loginAdmin(t: TestApp): Promise<{ id: string; access: string }> {
  const { id, user } = await registerAndLogin(t, newUser('admin'));
  await t
    .get(DatabaseService)
    .db.update(users)
    .set({ roles: ['user', 'admin'] })
    .where(eq(users.id, id));
  const login = await t
    .http()
    .post('/auth/login')
    .send({ username: user.username, password: user.password })
    .expect(200);
  return { id, access: login.body.access_token as string };
}

async function myEvents(
  t: TestApp,
  access: string,
  query: Record<string, string | number> = {},
): Promise<EventBody[]> {
  const res = await t
    .http()
    .get('/auth/me/events')
    .query(query)
    .set(...bearer(access))
    .expect(200);
  return res.body.items as EventBody[];
}

async function adminEvents(
  t: TestApp,
  access: string,
  query: Record<string, string | number>,
): Promise<{ items: EventBody[]; next_cursor: string | null }> {
  const res = await t
    .http()
    .get('/admin/audit-events')
    .query(query)
    .set(...bearer(access))
    .expect(200);
  return res.body as { items: EventBody[]; next_cursor: string | null };
}

describe('audit trail (e2e)', () => {
  let t: TestApp;
  let admin: { id: string; access: string };
  beforeAll(async () => {
    t = await createTestApp();
    admin = await loginAdmin(t);
  });
  afterAll(async () => {
    await t.close();
  });

  describe('access', () => {
    it('answers 401 without a token on both routes, and 403 to a non-admin on the admin route', async () => {
      await t.http().get('/auth/me/events').expect(401);
      await t.http().get('/admin/audit-events').expect(401);
      const { access } = await registerAndLogin(t);
      const res = await t
        .http()
        .get('/admin/audit-events')
        .set(...bearer(access))
        .expect(403);
      expect(res.body).toMatchObject({ code: 'AUTH.INSUFFICIENT_ROLE' });
    });

    it("never shows a user another user's events, and refuses a user_id on the own-events route", async () => {
      const a = await registerAndLogin(t);
      const b = await registerAndLogin(t);
      const audit = t.get(AuditService);
      audit.record({ type: 'password_changed', userId: a.id });
      audit.record({ type: 'password_changed', userId: b.id });
      audit.record({ type: 'session_revoked', userId: b.id });

      const mine = await myEvents(t, a.access);
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.every((e) => e.user_id === a.id)).toBe(true);
      const res = await t
        .http()
        .get('/auth/me/events')
        .query({ user_id: b.id })
        .set(...bearer(a.access))
        .expect(400);
      expect(res.body.errors).toEqual([
        { field: 'user_id', message: expect.any(String) },
      ]);
      const theirs = await adminEvents(t, admin.access, { user_id: b.id });
      expect(theirs.items.length).toBeGreaterThanOrEqual(2);
      expect(theirs.items.every((e) => e.user_id === b.id)).toBe(true);
    });

    it('rejects out-of-range and malformed query parameters with 400 problems naming the field', async () => {
      const cases: [Record<string, string>, string][] = [
        [{ limit: '0' }, 'limit'],
        [{ limit: '201' }, 'limit'],
        [{ limit: 'ten' }, 'limit'],
        [{ type: 'coffee_made' }, 'type'],
        [{ user_id: 'not-a-uuid' }, 'user_id'],
        [{ before: 'bm90IGEgY3Vyc29y' }, 'before'],
        [{ before: 'x'.repeat(201) }, 'before'],
      ];
      for (const [query, field] of cases) {
        const res = await t
          .http()
          .get('/admin/audit-events')
          .query(query)
          .set(...bearer(admin.access))
          .expect(400);
        expect(res.headers['content-type']).toMatch(
          /^application\/problem\+json/,
        );
        expect(res.body.errors).toEqual([
          { field, message: expect.any(String) },
        ]);
      }
    });
  });

  describe('pagination', () => {
    it('pages newest first through a cursor without skipping or repeating, ties included', async () => {
      const { id, access } = await registerAndLogin(t);
      const audit = t.get(AuditService);
      const recorded: string[] = [];
      for (let i = 0; i < 7; i += 1) {
        // Three events share each timestamp: the id breaks the tie.
        for (let j = 0; j < 3; j += 1) {
          audit.record({
            type: 'session_revoked',
            userId: id,
            details: { n: i * 3 + j },
          });
          recorded.push(String(i * 3 + j));
        }
        t.clock.advance(1);
      }
      const seen: EventBody[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await adminEvents(t, admin.access, {
          user_id: id,
          type: 'session_revoked',
          limit: 4,
          ...(cursor ? { before: cursor } : {}),
        });
        expect(page.items.length).toBeLessThanOrEqual(4);
        seen.push(...page.items);
        cursor = page.next_cursor;
        pages += 1;
      } while (cursor && pages < 20);
      expect(pages).toBe(6);
      expect(seen).toHaveLength(21);
      expect(new Set(seen.map((e) => e.id)).size).toBe(21);
      expect(seen.map((e) => String(e.details.n)).sort()).toEqual(
        [...recorded].sort(),
      );
      const times = seen.map((e) => Date.parse(e.occurred_at));
      expect(times).toEqual([...times].sort((x, y) => y - x));

      // The user's own route pages the same way.
      const first = await t
        .http()
        .get('/auth/me/events')
        .query({ limit: 20, type: 'session_revoked' })
        .set(...bearer(access))
        .expect(200);
      expect(first.body.items).toHaveLength(20);
      const rest = await t
        .http()
        .get('/auth/me/events')
        .query({ limit: 20, before: first.body.next_cursor as string })
        .set(...bearer(access))
        .expect(200);
      expect(rest.body.items.map((e: EventBody) => e.details.n)).toEqual([
        seen[20].details.n,
      ]);
      expect(rest.body.next_cursor).toBeNull();
    });
  });

  describe('storage', () => {
    it('keeps events append-only: the table refuses updates', async () => {
      const { id } = await registerAndLogin(t);
      t.get(AuditService).record({ type: 'user_disabled', userId: id });
      await t.get(AuditService).flush();
      const error = await t
        .get(DatabaseService)
        .db.execute(
          sql`update audit_events set type = 'login_succeeded' where user_id = ${id}`,
        )
        .then(
          () => undefined,
          (e: Error & { cause?: Error }) => e,
        );
      // drizzle wraps the driver's error; the trigger's message is its cause.
      expect(String(error?.cause?.message ?? error?.message)).toMatch(
        /append-only/,
      );
    });

    it('stores an event with a malformed id or a NUL character instead of failing its whole batch forever', async () => {
      const { id } = await registerAndLogin(t);
      const audit = t.get(AuditService);
      audit.record({
        type: 'session_revoked',
        userId: id,
        sessionId: 'not-a-uuid',
        client: { userAgent: 'agent\u0000with-nul' },
        details: { note: 'nul\u0000inside' },
      });
      await audit.flush();
      expect(audit.queued).toBe(0);
      const page = await adminEvents(t, admin.access, {
        user_id: id,
        type: 'session_revoked',
      });
      expect(page.items).toHaveLength(1);
      expect(page.items[0]).toMatchObject({
        session_id: null,
        user_agent: 'agentwith-nul',
        details: { note: 'nulinside' },
      });
    });

    it('purges events older than AUDIT_RETENTION (90 days) in batches and keeps younger ones', async () => {
      const { id } = await registerAndLogin(t);
      const audit = t.get(AuditService);
      for (let i = 0; i < 1_050; i += 1)
        audit.record({ type: 'login_failed', userId: id, details: { i } });
      t.clock.advance(2 * 86_400);
      audit.record({ type: 'password_changed', userId: id });
      await audit.flush();
      t.clock.advance(89 * 86_400);
      expect(await audit.purgeExpired()).toBeGreaterThanOrEqual(1_050);
      // 91 days on, the admin's token has long expired.
      admin = await loginAdmin(t);
      const left = await adminEvents(t, admin.access, { user_id: id });
      expect(left.items.map((e) => e.type)).toEqual(['password_changed']);
    });

    it('drops the oldest events and counts them when the queue is full, without throwing', async () => {
      const audit = t.get(AuditService);
      await audit.flush();
      const dropped = async (): Promise<number> => {
        const res = await t.http().get('/metrics').expect(200);
        const line = res.text
          .split('\n')
          .find((l) => l.startsWith('gatehouse_audit_events_dropped_total '));
        return Number(line?.split(' ')[1]);
      };
      const before = await dropped();
      const events: AuditEventInput[] = Array.from(
        { length: 10_005 },
        (_, i) => ({ type: 'login_failed', details: { i } }),
      );
      const started = performance.now();
      for (const event of events) audit.record(event);
      const elapsed = performance.now() - started;
      expect(audit.queued).toBe(10_000);
      expect(await dropped()).toBe(before + 5);
      // record() is an append to memory: ten thousand of them stay far below one login's hashing time.
      expect(elapsed).toBeLessThan(1_000);
      await audit.flush();
      expect(audit.queued).toBe(0);
    });
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
    const t = await createTestApp({ LOGIN_MAX_FAILURES: '2' });
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
    const t = await createTestApp({ JWT_ALGORITHM: 'ES256' });
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
