import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { and, count, eq, isNull, sql } from 'drizzle-orm';
import type { Response, Test } from 'supertest';
import { AuditService } from 'src/audit/audit.service';
import { DatabaseService } from 'src/database/database.service';
import {
  refreshTokens,
  revocations,
  sessions,
  users,
} from 'src/database/schema';
import { SessionsRepository } from 'src/sessions/sessions.repository';
import { SessionsService } from 'src/sessions/sessions.service';
import {
  createTestApp,
  newUser,
  registerAndLogin,
  type TestApp,
} from './helpers/test-app';
import { createTestDatabase } from './helpers/test-database';

interface Pair {
  access: string;
  refresh: string;
}

type Credentials = ReturnType<typeof newUser>;

// Boots several apps (each migrates a fresh database): slow on a busy machine. The project-level testTimeout in
// jest.config.js is not applied by Jest, so set it here.
jest.setTimeout(60_000);

const REFRESH_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

function claimsOf(access: string): {
  sid: string;
  sub: string;
  roles: string[];
} {
  return JSON.parse(
    Buffer.from(access.split('.')[1], 'base64url').toString('utf8'),
  );
}

const sidOf = (access: string): string => claimsOf(access).sid;

const sha256 = (value: string): string =>
  createHash('sha256').update(value).digest('hex');

function pairOf(res: Response): Pair {
  return {
    access: res.body.access_token as string,
    refresh: res.body.refresh_token as string,
  };
}

async function login(t: TestApp, user: Credentials): Promise<Pair> {
  return pairOf(
    await t
      .http()
      .post('/auth/login')
      .send({ username: user.username, password: user.password })
      .expect(200),
  );
}

/** Registers without logging in, so the user has no session yet. */
async function register(t: TestApp): Promise<Credentials> {
  const user = newUser();
  await t.http().post('/auth/register').send(user).expect(201);
  return user;
}

function refresh(t: TestApp, token: unknown): Test {
  return t.http().post('/auth/refresh').send({ refresh_token: token });
}

function me(t: TestApp, access: string): Test {
  return t.http().get('/auth/me').set('authorization', `Bearer ${access}`);
}

/** Both tokens of the pair are refused: the access token as revoked, the refresh token as invalid. */
async function expectEnded(t: TestApp, pair: Pair): Promise<void> {
  const access = await me(t, pair.access);
  expect(access.status).toBe(401);
  expect(access.body.code).toBe('AUTH.TOKEN_REVOKED');
  const rotated = await refresh(t, pair.refresh);
  expect(rotated.status).toBe(401);
  expect(rotated.headers['content-type']).toMatch(
    /^application\/problem\+json/,
  );
  expect(rotated.body.code).toBe('AUTH.INVALID_REFRESH_TOKEN');
}

/** Both tokens still work; returns the rotated pair (the presented refresh token is consumed). */
async function expectLive(t: TestApp, pair: Pair): Promise<Pair> {
  await me(t, pair.access).expect(200);
  const rotated = await refresh(t, pair.refresh).expect(200);
  expect(sidOf(rotated.body.access_token)).toBe(sidOf(pair.access));
  return pairOf(rotated);
}

async function listSessionIds(t: TestApp, access: string): Promise<string[]> {
  const res = await t
    .http()
    .get('/auth/sessions')
    .set('authorization', `Bearer ${access}`)
    .expect(200);
  return (res.body as { id: string }[]).map((s) => s.id);
}

function db(t: TestApp): DatabaseService['db'] {
  return t.get(DatabaseService).db;
}

async function tokenRows(
  t: TestApp,
  sessionId: string,
): Promise<{ tokenHash: string; consumedAt: Date | null }[]> {
  return db(t)
    .select({
      tokenHash: refreshTokens.tokenHash,
      consumedAt: refreshTokens.consumedAt,
    })
    .from(refreshTokens)
    .where(eq(refreshTokens.sessionId, sessionId));
}

/** Structured security events logged since the spy was set up (the audit log will be built on these). */
function securityEvents(): Record<string, unknown>[] {
  return [Logger.prototype.log, Logger.prototype.warn]
    .flatMap((fn) => (fn as jest.Mock).mock.calls.map((c) => c[0] as unknown))
    .filter(
      (m): m is Record<string, unknown> =>
        typeof m === 'object' && m !== null && 'event' in m,
    );
}

/** The events name no token and no hash of one. */
function expectNoSecretsLogged(...pairs: Pair[]): void {
  const logged = JSON.stringify(securityEvents());
  for (const pair of pairs)
    for (const secret of [pair.access, pair.refresh, sha256(pair.refresh)])
      expect(logged).not.toContain(secret);
}

describe('sessions (e2e)', () => {
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'log');
    jest.spyOn(Logger.prototype, 'warn');
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

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
            .set('authorization', `Bearer ${pair.access}`),
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
        { refresh_token: 'a'.repeat(513) },
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

    it('logout ends the session: its access tokens (also pre-rotation ones) and refresh tokens are refused', async () => {
      const user = await register(t);
      const before = await login(t, user);
      const other = await login(t, user);
      const current = pairOf(await refresh(t, before.refresh).expect(200));

      await t
        .http()
        .post('/auth/logout')
        .set('authorization', `Bearer ${current.access}`)
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
        .set('authorization', `Bearer ${current.access}`)
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
        .set('authorization', `Bearer ${a.access}`)
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
        .set('authorization', `Bearer ${a.access}`)
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
        .set('authorization', `Bearer ${a.access}`)
        .expect(204);
      await expectEnded(t, b);
      a.refresh = (await expectLive(t, a)).refresh;

      const again = await t
        .http()
        .delete(`/auth/sessions/${sidOf(b.access)}`)
        .set('authorization', `Bearer ${a.access}`)
        .expect(404);
      expect(again.headers['content-type']).toMatch(
        /^application\/problem\+json/,
      );
      await t
        .http()
        .delete(`/auth/sessions/00000000-0000-4000-8000-000000000000`)
        .set('authorization', `Bearer ${a.access}`)
        .expect(404);
      await t
        .http()
        .delete('/auth/sessions/not-a-uuid')
        .set('authorization', `Bearer ${a.access}`)
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
        .set('authorization', `Bearer ${a.access}`)
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
        .set('authorization', `Bearer ${a.access}`)
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
        .set('authorization', `Bearer ${alice.access}`)
        .expect(404);
      expect(res.body.code).toBe('SESSIONS.NOT_FOUND');
      await t
        .http()
        .delete('/auth/sessions')
        .set('authorization', `Bearer ${alice.access}`)
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
        .set('authorization', `Bearer ${pair.access}`)
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

    it('spends two queries on a refresh and one on a replay inside the window', async () => {
      const { refresh: token } = await registerAndLogin(t);
      const database = t.get(DatabaseService);
      // Audit events are written in the background; write the login's now so they are not counted below.
      await t.get(AuditService).flush();
      const before = database.queryCount;
      await refresh(t, token).expect(200);
      const rotated = database.queryCount - before;
      await refresh(t, token).expect(200);
      const replayed = database.queryCount - before - rotated;
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
        .set('authorization', `Bearer ${access}`)
        .expect(204);
      await t.get(AuditService).flush();
      const beforeRefusal = database.queryCount;
      await me(t, access).expect(401);
      expect(database.queryCount - beforeRefusal).toBe(0);
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
        .set('authorization', `Bearer ${loggedOut.access}`)
        .expect(204);
      const longAgo = new Date(t.clock.now().getTime() - 3 * 3600_000);
      await db(t).execute(sql`
        insert into sessions (user_id, created_at, last_used_at, idle_expires_at, expires_at, revoked_at)
        select ${userId}, ${longAgo.toISOString()}, ${longAgo.toISOString()}, ${longAgo.toISOString()},
               ${longAgo.toISOString()}, case when g % 2 = 0 then ${longAgo.toISOString()}::timestamptz end
        from generate_series(1, 2500) g`);

      const repository = t.get(SessionsRepository);
      const batches = jest.spyOn(repository, 'purgeEnded');
      const purged = await t.get(SessionsService).purge();
      expect(purged.sessions).toBe(2500);
      expect(batches).toHaveBeenCalledTimes(3);
      for (const call of batches.mock.calls) expect(call[1]).toBe(1000);
      batches.mockRestore();
      // Just logged out: its access tokens may still be presented, so the row (the evidence) stays for now.
      expect(await sessionExists(sidOf(loggedOut.access))).toBe(true);

      t.clock.advance(900 + 61);
      expect((await t.get(SessionsService).purge()).sessions).toBe(1);
      expect(await sessionExists(sidOf(loggedOut.access))).toBe(false);
      expect(await tokenRows(t, sidOf(loggedOut.access))).toEqual([]);
      expect(await sessionExists(sidOf(live.access))).toBe(true);
      // Its access token has expired by now; the refresh token still works.
      live.refresh = pairOf(await refresh(t, live.refresh).expect(200)).refresh;

      // Idle for longer than SESSION_IDLE_TTL: both of the user's remaining sessions go.
      t.clock.advance(7 * 24 * 3600 + 2000);
      expect((await t.get(SessionsService).purge()).sessions).toBe(2);
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
        .set('authorization', `Bearer ${pair.access}`)
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
      await t.get(SessionsService).purge();
      expect(await successors()).toBe(0);
      expect(await revocationRows()).toBe(1);

      t.clock.advance(900 + 61);
      await t.get(SessionsService).purge();
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
        .set('authorization', `Bearer ${ended.access}`)
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
