import { sql } from 'drizzle-orm';
import { AuditService } from 'src/audit/audit.service';
import type { AuditEventInput } from 'src/audit/audit-event';
import { DatabaseService } from 'src/database/database.service';
import { adminEvents, type EventBody, myEvents } from './audit-helpers';
import {
  type AdminSession,
  createAppWithAdmin,
  loginAdmin,
} from './helpers/admin';
import { bearer } from './helpers/http';
import { registerAndLogin, type TestApp } from './helpers/test-app';

describe('audit trail (e2e)', () => {
  let t: TestApp;
  let admin: AdminSession;
  beforeAll(async () => {
    t = await createAppWithAdmin();
    admin = await loginAdmin(t);
  });
  afterEach(() => {
    // Tests that move the clock (pagination ties, the 90-day purge) leave the next test at the real time.
    t.clock.reset();
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
        // The same filter: the user's login events share the first timestamp and would sort among these by id.
        .query({
          limit: 20,
          type: 'session_revoked',
          before: first.body.next_cursor as string,
        })
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
      // 91 days on, the admin's token has long expired: a new login reads what is left.
      const later = await loginAdmin(t);
      const left = await adminEvents(t, later.access, { user_id: id });
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
});
