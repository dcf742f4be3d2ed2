import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, count, eq, isNull, sql } from 'drizzle-orm';
import {
  refreshTokens,
  revocations,
  sessions,
  users,
} from 'src/database/schema';
import { SessionsRepository } from 'src/sessions/sessions.repository';
import { SessionPurgeService } from 'src/sessions/session-purge.service';
import { bearer } from './helpers/http';
import { sidOf } from './helpers/jwt';
import {
  createTestApp,
  login,
  registerAndLogin,
  type TestApp,
} from './helpers/test-app';
import { createTestDatabase } from './helpers/test-database';
import {
  db,
  expectEnded,
  expectLive,
  listSessionIds,
  pairOf,
  refresh,
  register,
  tokenRows,
} from './sessions-helpers';

/** How long sessions last: the idle and absolute lifetimes, the purge of ended ones, and a restart. */
describe('sessions (e2e)', () => {
  describe('lifetimes (SESSION_IDLE_TTL=20m, SESSION_MAX_TTL=1h)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({
        SESSION_IDLE_TTL: '20m',
        SESSION_MAX_TTL: '1h',
      });
    });
    afterAll(async () => {
      await t.close();
    });

    it('ends a session that was not refreshed within the idle timeout', async () => {
      const user = await register(t);
      const idle = await login(t, user);
      const res = await t
        .http()
        .post('/auth/login')
        .send({ username: user.username, password: user.password })
        .expect(200);
      expect(res.body.refresh_expires_in).toBe(1200);
      const active = pairOf(res);

      t.clock.advance(1199);
      const kept = pairOf(await refresh(t, active.refresh).expect(200));
      t.clock.advance(2);
      const expired = await refresh(t, idle.refresh).expect(401);
      expect(expired.body.code).toBe('AUTH.INVALID_REFRESH_TOKEN');
      expect(await listSessionIds(t, kept.access)).not.toContain(
        sidOf(idle.access),
      );
      await refresh(t, kept.refresh).expect(200);
    });

    it('ends a session at its absolute lifetime, which rotation never extends', async () => {
      const user = await register(t);
      let pair = await login(t, user);
      const seen: number[] = [];
      for (const step of [1000, 1000, 1000, 500]) {
        t.clock.advance(step);
        const res = await refresh(t, pair.refresh).expect(200);
        seen.push(res.body.refresh_expires_in as number);
        pair = pairOf(res);
      }
      // Seconds to the earlier limit: idle (1200) until the absolute end (3600 after login) comes first.
      expect(seen.slice(0, 2)).toEqual([1200, 1200]);
      expect(seen[2]).toBeGreaterThanOrEqual(599);
      expect(seen[2]).toBeLessThanOrEqual(600);
      expect(seen[3]).toBeGreaterThanOrEqual(99);
      expect(seen[3]).toBeLessThanOrEqual(100);

      t.clock.advance(101);
      await refresh(t, pair.refresh).expect(401);
      const [row] = await db(t)
        .select({ revokedAt: sessions.revokedAt })
        .from(sessions)
        .where(eq(sessions.id, sidOf(pair.access)));
      // Expired, not revoked: the refusal comes from the lifetime alone.
      expect(row.revokedAt).toBeNull();
    });
  });

  describe('purge', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp();
    });
    afterAll(async () => {
      await t.close();
    });

    async function sessionExists(id: string): Promise<boolean> {
      const rows = await db(t)
        .select({ id: sessions.id })
        .from(sessions)
        .where(eq(sessions.id, id));
      return rows.length === 1;
    }

    it('deletes ended sessions in bounded batches once their access tokens have expired', async () => {
      const { id: userId, user } = await registerAndLogin(t);
      const live = await login(t, user);
      const loggedOut = await login(t, user);
      await t
        .http()
        .post('/auth/logout')
        .set(...bearer(loggedOut.access))
        .expect(204);
      const longAgo = new Date(t.clock.now().getTime() - 3 * 3600_000);
      await db(t).execute(sql`
        insert into sessions (user_id, created_at, last_used_at, idle_expires_at, expires_at, auth_time, revoked_at)
        select ${userId}, ${longAgo.toISOString()}, ${longAgo.toISOString()}, ${longAgo.toISOString()},
               ${longAgo.toISOString()}, ${longAgo.toISOString()}, case when g % 2 = 0 then ${longAgo.toISOString()}::timestamptz end
        from generate_series(1, 2500) g`);

      const repository = t.get(SessionsRepository);
      const batches = jest.spyOn(repository, 'purgeEnded');
      const purged = await t.get(SessionPurgeService).purge();
      expect(purged.sessions).toBe(2500);
      expect(batches).toHaveBeenCalledTimes(3);
      for (const call of batches.mock.calls) expect(call[1]).toBe(1000);
      batches.mockRestore();
      // Just logged out: its access tokens may still be presented, so the row (the evidence) stays for now.
      expect(await sessionExists(sidOf(loggedOut.access))).toBe(true);

      t.clock.advance(900 + 61);
      expect((await t.get(SessionPurgeService).purge()).sessions).toBe(1);
      expect(await sessionExists(sidOf(loggedOut.access))).toBe(false);
      expect(await tokenRows(t, sidOf(loggedOut.access))).toEqual([]);
      expect(await sessionExists(sidOf(live.access))).toBe(true);
      // Its access token has expired by now; the refresh token still works.
      live.refresh = pairOf(await refresh(t, live.refresh).expect(200)).refresh;

      // Idle for longer than SESSION_IDLE_TTL: both of the user's remaining sessions go.
      t.clock.advance(7 * 24 * 3600 + 2000);
      expect((await t.get(SessionPurgeService).purge()).sessions).toBe(2);
      expect(await sessionExists(sidOf(live.access))).toBe(false);
    });

    it('forgets rotation successors after the grace window and expired revocations', async () => {
      const user = await register(t);
      const pair = await login(t, user);
      await refresh(t, pair.refresh).expect(200);
      const sid = sidOf(pair.access);
      await t
        .http()
        .post('/auth/logout')
        .set(...bearer(pair.access))
        .expect(204);
      const successors = async (): Promise<number> =>
        (
          await db(t)
            .select({ n: count() })
            .from(refreshTokens)
            .where(
              and(
                eq(refreshTokens.sessionId, sid),
                sql`${refreshTokens.successor} is not null`,
              ),
            )
        )[0].n;
      const revocationRows = async (): Promise<number> =>
        (
          await db(t)
            .select({ n: count() })
            .from(revocations)
            .where(eq(revocations.subjectId, sid))
        )[0].n;
      expect(await successors()).toBe(1);
      expect(await revocationRows()).toBe(1);

      t.clock.advance(12);
      await t.get(SessionPurgeService).purge();
      expect(await successors()).toBe(0);
      expect(await revocationRows()).toBe(1);

      t.clock.advance(900 + 61);
      await t.get(SessionPurgeService).purge();
      expect(await revocationRows()).toBe(0);
    });
  });

  describe('restart', () => {
    let dataDir: string;
    let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
    let env: Record<string, string>;
    let t: TestApp | undefined;

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-sessions-'));
      // PostgreSQL when the suite runs on it; otherwise PGlite on disk (DATABASE_URL unset → DATA_DIR/pglite).
      database = process.env.TEST_DATABASE_URL
        ? await createTestDatabase()
        : undefined;
      env = database
        ? { DATABASE_URL: database.url, DATA_DIR: dataDir }
        : { DATABASE_URL: '', DATA_DIR: dataDir };
    });
    afterAll(async () => {
      await t?.close();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('keeps sessions and revocations across a restart', async () => {
      t = await createTestApp(env);
      const user = await register(t);
      const ended = await login(t, user);
      const kept = await login(t, user);
      const disabled = await registerAndLogin(t);
      await t
        .http()
        .post('/auth/logout')
        .set(...bearer(ended.access))
        .expect(204);
      await db(t)
        .update(users)
        .set({ disabled: true })
        .where(eq(users.id, disabled.id));
      await t.close();

      t = await createTestApp(env);
      await expectEnded(t, ended);
      const next = await expectLive(t, kept);
      expect(await listSessionIds(t, next.access)).toEqual([
        sidOf(kept.access),
      ]);
      await refresh(t, disabled.refresh).expect(401);
      const live = await db(t)
        .select({ n: count() })
        .from(refreshTokens)
        .where(
          and(
            eq(refreshTokens.sessionId, sidOf(kept.access)),
            isNull(refreshTokens.consumedAt),
          ),
        );
      expect(live[0].n).toBe(1);
    });
  });
});
