import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { eq } from 'drizzle-orm';
import type { Response, Test } from 'supertest';
import { DatabaseService } from 'src/database/database.service';
import { refreshTokens } from 'src/database/schema';
import { bearer } from './helpers/http';
import { sidOf } from './helpers/jwt';
import { newUser, type TestApp } from './helpers/test-app';

export interface Pair {
  access: string;
  refresh: string;
}

export type Credentials = ReturnType<typeof newUser>;

export const REFRESH_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export const sha256 = (value: string): string =>
  createHash('sha256').update(value).digest('hex');

export function pairOf(res: Response): Pair {
  return {
    access: res.body.access_token as string,
    refresh: res.body.refresh_token as string,
  };
}

/** Registers without logging in, so the user has no session yet. */
export async function register(t: TestApp): Promise<Credentials> {
  const user = newUser();
  await t.http().post('/auth/register').send(user).expect(201);
  return user;
}

export function refresh(t: TestApp, token: unknown): Test {
  return t.http().post('/auth/refresh').send({ refresh_token: token });
}

export function me(t: TestApp, access: string): Test {
  return t
    .http()
    .get('/auth/me')
    .set(...bearer(access));
}

/** Both tokens of the pair are refused: the access token as revoked, the refresh token as invalid. */
export async function expectEnded(t: TestApp, pair: Pair): Promise<void> {
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
export async function expectLive(t: TestApp, pair: Pair): Promise<Pair> {
  await me(t, pair.access).expect(200);
  const rotated = await refresh(t, pair.refresh).expect(200);
  expect(sidOf(rotated.body.access_token)).toBe(sidOf(pair.access));
  return pairOf(rotated);
}

export async function listSessionIds(
  t: TestApp,
  access: string,
): Promise<string[]> {
  const res = await t
    .http()
    .get('/auth/sessions')
    .set(...bearer(access))
    .expect(200);
  return (res.body as { id: string }[]).map((s) => s.id);
}

export function db(t: TestApp): DatabaseService['db'] {
  return t.get(DatabaseService).db;
}

export async function tokenRows(
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

/** Spies on the logger around every test of the enclosing describe, so securityEvents() can read what was logged. */
export function spyOnSecurityEvents(): void {
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'log');
    jest.spyOn(Logger.prototype, 'warn');
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });
}

/** Structured security events logged since the spy was set up (the audit log will be built on these). */
export function securityEvents(): Record<string, unknown>[] {
  return [Logger.prototype.log, Logger.prototype.warn]
    .flatMap((fn) => (fn as jest.Mock).mock.calls.map((c) => c[0] as unknown))
    .filter(
      (m): m is Record<string, unknown> =>
        typeof m === 'object' && m !== null && 'event' in m,
    );
}

/** The events name no token and no hash of one. */
export function expectNoSecretsLogged(...pairs: Pair[]): void {
  const logged = JSON.stringify(securityEvents());
  for (const pair of pairs)
    for (const secret of [pair.access, pair.refresh, sha256(pair.refresh)])
      expect(logged).not.toContain(secret);
}
