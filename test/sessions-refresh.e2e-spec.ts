import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { eq } from 'drizzle-orm';
import { AuditService } from 'src/audit/audit.service';
import { DatabaseService } from 'src/database/database.service';
import { sessions, users } from 'src/database/schema';
import { countQueries } from './helpers/counters';
import { bearer } from './helpers/http';
import { claimsOf, sidOf } from './helpers/jwt';
import {
  createTestApp,
  login,
  registerAndLogin,
  type TestApp,
} from './helpers/test-app';
import {
  db,
  expectEnded,
  expectLive,
  expectNoSecretsLogged,
  listSessionIds,
  me,
  pairOf,
  refresh,
  REFRESH_TOKEN_SHAPE,
  register,
  sha256,
  spyOnSecurityEvents,
  tokenRows,
} from './sessions-helpers';

/** Refresh-token rotation: one successor per token, the reuse grace window, and replays treated as theft. */
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

    it('rotates a refresh token into a new pair of the same session', async () => {
      const { access, refresh: first } = await registerAndLogin(t);
      expect(first).toMatch(REFRESH_TOKEN_SHAPE);
      const res = await refresh(t, first).expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 900,
        refresh_token: expect.stringMatching(REFRESH_TOKEN_SHAPE),
        refresh_expires_in: 7 * 24 * 3600,
      });
      const next = pairOf(res);
      expect(next.refresh).not.toBe(first);
      expect(sidOf(next.access)).toBe(sidOf(access));
      await me(t, next.access).expect(200);
      // The refresh token is stored only as its SHA-256.
      const rows = await tokenRows(t, sidOf(access));
      expect(rows.map((r) => r.tokenHash).sort()).toEqual(
        [sha256(first), sha256(next.refresh)].sort(),
      );
    });

    it('answers 10 concurrent refreshes with one token with the same new pair and one live successor', async () => {
      const { access, refresh: token } = await registerAndLogin(t);
      const replies = await Promise.all(
        Array.from({ length: 10 }, () => refresh(t, token)),
      );
      expect(replies.map((r) => r.status)).toEqual(Array(10).fill(200));
      const refreshed = new Set(replies.map((r) => r.body.refresh_token));
      const accessed = new Set(replies.map((r) => r.body.access_token));
      expect(refreshed.size).toBe(1);
      expect(accessed.size).toBe(1);
      const [successor] = [...refreshed] as string[];
      expect(successor).not.toBe(token);

      const rows = await tokenRows(t, sidOf(access));
      expect(rows).toHaveLength(2);
      const live = rows.filter((r) => r.consumedAt === null);
      expect(live).toEqual([
        { tokenHash: sha256(successor), consumedAt: null },
      ]);
      // The family continues from the one successor.
      await expectLive(t, { access: [...accessed][0], refresh: successor });
    });

    it('gives a replay inside the window the same pair, and treats a replay just outside it as reuse', async () => {
      const user = await register(t);
      const first = await login(t, user);
      const other = await login(t, user);
      const next = pairOf(await refresh(t, first.refresh).expect(200));

      t.clock.advance(9);
      const replay = await refresh(t, first.refresh).expect(200);
      expect(pairOf(replay)).toEqual(next);

      t.clock.advance(2);
      const reuse = await refresh(t, first.refresh).expect(401);
      expect(reuse.body.code).toBe('AUTH.INVALID_REFRESH_TOKEN');
      expect(Logger.prototype.warn).toHaveBeenCalledWith(
        expect.objectContaining({
          event: 'refresh_token_reuse',
          sessionId: sidOf(first.access),
          userId: claimsOf(first.access).sub,
        }),
      );
      expectNoSecretsLogged(first, next);
      // The whole session ended: its newest refresh token and every access token it issued.
      await expectEnded(t, next);
      await expectEnded(t, first);
      expect(await listSessionIds(t, other.access)).toEqual([
        sidOf(other.access),
      ]);
      const [row] = await db(t)
        .select({ reason: sessions.revokedReason })
        .from(sessions)
        .where(eq(sessions.id, sidOf(first.access)));
      expect(row.reason).toBe('refresh_token_reuse');
      // Other sessions of the user are untouched.
      await expectLive(t, other);
    });

    it('never hands out an unstored refresh token when a refresh races a logout', async () => {
      const user = await register(t);
      const outcomes = new Set<number>();
      for (let i = 0; i < 10; i += 1) {
        const pair = await login(t, user);
        const [rotated, loggedOut] = await Promise.all([
          refresh(t, pair.refresh),
          t
            .http()
            .post('/auth/logout')
            .set(...bearer(pair.access)),
        ]);
        expect(loggedOut.status).toBe(204);
        outcomes.add(rotated.status);
        if (rotated.status === 200) {
          const stored = await tokenRows(t, sidOf(pair.access));
          expect(stored.map((r) => r.tokenHash)).toContain(
            sha256(rotated.body.refresh_token),
          );
          await expectEnded(t, pairOf(rotated));
        } else {
          expect(rotated.status).toBe(401);
        }
        await expectEnded(t, pair);
      }
      process.stdout.write(
        `refresh racing logout answered: ${[...outcomes].join(', ')}\n`,
      );
    });

    it('rejects malformed and unknown refresh tokens with 401 and invalid bodies with 400', async () => {
      const { access } = await registerAndLogin(t);
      const unknown = randomBytes(32).toString('base64url');
      for (const token of [
        'x',
        `${unknown}=`,
        `${unknown.slice(0, 42)}.`,
        unknown,
        access,
        '../../etc/passwd',
        ' '.repeat(43),
      ]) {
        const res = await refresh(t, token);
        expect({ token, status: res.status }).toEqual({ token, status: 401 });
        expect(res.headers['content-type']).toMatch(
          /^application\/problem\+json/,
        );
        expect(res.headers['www-authenticate']).toMatch(
          /^Bearer .*error="invalid_token"/,
        );
        expect(res.body.code).toBe('AUTH.INVALID_REFRESH_TOKEN');
      }
      for (const body of [
        {},
        { refresh_token: '' },
        { refresh_token: 42 },
        { refresh_token: ['a'] },
        { refresh_token: 'a'.repeat(2049) },
        { refresh_token: unknown, extra: 1 },
      ]) {
        const res = await t.http().post('/auth/refresh').send(body);
        expect({ body, status: res.status }).toEqual({ body, status: 400 });
        expect(res.headers['content-type']).toMatch(
          /^application\/problem\+json/,
        );
      }
    });

    it('refuses a refresh token sent as a bearer token and an access token sent as a refresh token', async () => {
      const pair = await login(t, await register(t));
      const asBearer = await me(t, pair.refresh).expect(401);
      expect(asBearer.body.code).toBe('AUTH.TOKEN_INVALID');
      await refresh(t, pair.access).expect(401);
      // Neither mistake harmed the session.
      await expectLive(t, pair);
    });

    it('issues access tokens with the current roles and refuses disabled and deleted users', async () => {
      const { id, user } = await registerAndLogin(t);
      const pair = await login(t, user);
      await db(t)
        .update(users)
        .set({ roles: ['user', 'admin'] })
        .where(eq(users.id, id));
      const promoted = pairOf(await refresh(t, pair.refresh).expect(200));
      expect(claimsOf(promoted.access).roles).toEqual(['user', 'admin']);

      await db(t).update(users).set({ disabled: true }).where(eq(users.id, id));
      await refresh(t, promoted.refresh).expect(401);
      await db(t)
        .update(users)
        .set({ disabled: false })
        .where(eq(users.id, id));
      const again = pairOf(await refresh(t, promoted.refresh).expect(200));

      await db(t).delete(users).where(eq(users.id, id));
      await refresh(t, again.refresh).expect(401);
    });

    it('spends two queries on a refresh and one on a replay inside the window', async () => {
      const { refresh: token } = await registerAndLogin(t);
      const database = t.get(DatabaseService);
      const queries = countQueries(database);
      // Audit events are written in the background; write the login's now so they are not counted below.
      await t.get(AuditService).flush();
      const before = queries.queryCount;
      await refresh(t, token).expect(200);
      const rotated = queries.queryCount - before;
      await refresh(t, token).expect(200);
      const replayed = queries.queryCount - before - rotated;
      process.stdout.write(
        `queries per refresh on ${database.kind}: rotation ${rotated}, replay in the grace window ${replayed}\n`,
      );
      expect(rotated).toBe(2);
      expect(replayed).toBe(1);

      // The guard answers from the in-process revocation set: refusing an ended session costs no query.
      const { access } = await registerAndLogin(t);
      await t
        .http()
        .post('/auth/logout')
        .set(...bearer(access))
        .expect(204);
      await t.get(AuditService).flush();
      const beforeRefusal = queries.queryCount;
      await me(t, access).expect(401);
      expect(queries.queryCount - beforeRefusal).toBe(0);
    });
  });

  describe('with the grace window disabled (REFRESH_REUSE_GRACE=0)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ REFRESH_REUSE_GRACE: '0' });
    });
    afterAll(async () => {
      await t.close();
    });

    it('rejects the old token after use while the new pair works', async () => {
      const { access, refresh: first } = await registerAndLogin(t);
      const second = pairOf(await refresh(t, first).expect(200));
      expect(sidOf(second.access)).toBe(sidOf(access));
      await me(t, second.access).expect(200);
      const third = await expectLive(t, second);
      await refresh(t, first).expect(401);
      await expectEnded(t, third);
    });

    it('revokes the whole family when a rotated token is replayed', async () => {
      const user = await register(t);
      const bystander = await login(t, user);
      const first = await login(t, user);
      const second = pairOf(await refresh(t, first.refresh).expect(200));
      const newest = pairOf(await refresh(t, second.refresh).expect(200));

      const reuse = await refresh(t, first.refresh).expect(401);
      expect(reuse.body.code).toBe('AUTH.INVALID_REFRESH_TOKEN');
      await expectEnded(t, newest);
      await expectEnded(t, second);
      await expectEnded(t, first);
      const [row] = await db(t)
        .select({ revokedAt: sessions.revokedAt })
        .from(sessions)
        .where(eq(sessions.id, sidOf(first.access)));
      expect(row.revokedAt).toBeInstanceOf(Date);
      await expectLive(t, bystander);
    });
  });
});
