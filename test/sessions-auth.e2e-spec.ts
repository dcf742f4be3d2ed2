import { eq } from 'drizzle-orm';
import { sessions, users } from 'src/database/schema';
import { SessionsService } from 'src/sessions/sessions.service';
import { bearer } from './helpers/http';
import { claimsOf, expectSignedInAtIssue, sidOf } from './helpers/jwt';
import {
  createTestApp,
  registerAndLogin,
  type TestApp,
} from './helpers/test-app';
import { db, me, pairOf, refresh } from './sessions-helpers';

const seconds = (date: Date): number => Math.floor(date.getTime() / 1000);

describe('sessions carry how and when the user signed in (e2e)', () => {
  let t: TestApp;
  let service: SessionsService;

  beforeAll(async () => {
    t = await createTestApp();
    service = t.get(SessionsService);
  });
  afterAll(() => t.close());
  afterEach(() => t.clock.reset());

  async function sessionRow(id: string) {
    const [row] = await db(t)
      .select({ amr: sessions.amr, authTime: sessions.authTime })
      .from(sessions)
      .where(eq(sessions.id, id));
    return row;
  }

  it('stores a password login as amr pwd at the login time, and refresh keeps both', async () => {
    const { access, refresh: token } = await registerAndLogin(t);
    const signedIn = claimsOf(access);
    expect(signedIn.amr).toEqual(['pwd']);
    expectSignedInAtIssue(signedIn);
    const row = await sessionRow(signedIn.sid);
    expect(row.amr).toEqual(['pwd']);
    expect(seconds(row.authTime)).toBe(signedIn.auth_time);

    t.clock.advance(120);
    const rotated = pairOf(await refresh(t, token).expect(200));
    const refreshed = claimsOf(rotated.access);
    expect(refreshed).toMatchObject({
      sid: signedIn.sid,
      amr: ['pwd'],
      auth_time: signedIn.auth_time,
    });
    expect(refreshed.iat).toBeGreaterThanOrEqual(signedIn.iat + 120);
  });

  it('reissues an access token for the same session with the new amr and auth_time, which later refreshes keep', async () => {
    const { id, access, refresh: token } = await registerAndLogin(t);
    const sid = sidOf(access);
    t.clock.advance(600);
    const authTime = t.clock.now();
    const reissued = await service.reissueAccessToken(id, sid, {
      amr: ['pwd', 'otp', 'mfa'],
      authTime,
    });
    expect(reissued).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 900,
    });
    const claims = claimsOf(reissued!.access_token);
    expect(claims).toMatchObject({
      sub: id,
      sid,
      amr: ['pwd', 'otp', 'mfa'],
      auth_time: seconds(authTime),
    });
    await me(t, reissued!.access_token).expect(200);
    // The earlier access token stays valid until it expires: the session did not end.
    await me(t, access).expect(200);

    t.clock.advance(60);
    const rotated = pairOf(await refresh(t, token).expect(200));
    expect(claimsOf(rotated.access)).toMatchObject({
      sid,
      amr: ['pwd', 'otp', 'mfa'],
      auth_time: seconds(authTime),
    });
  });

  it('reissues nothing for a session that ended, expired, is someone else’s, or whose owner is disabled', async () => {
    const auth = { amr: ['pwd'], authTime: t.clock.now() };
    const ended = await registerAndLogin(t);
    await t
      .http()
      .post('/auth/logout')
      .set(...bearer(ended.access))
      .expect(204);
    await expect(
      service.reissueAccessToken(ended.id, sidOf(ended.access), auth),
    ).resolves.toBeUndefined();

    const mine = await registerAndLogin(t);
    const other = await registerAndLogin(t);
    await expect(
      service.reissueAccessToken(other.id, sidOf(mine.access), auth),
    ).resolves.toBeUndefined();
    const untouched = await sessionRow(sidOf(mine.access));
    expect(seconds(untouched.authTime)).toBe(claimsOf(mine.access).auth_time);

    await db(t)
      .update(users)
      .set({ disabled: true })
      .where(eq(users.id, other.id));
    await expect(
      service.reissueAccessToken(other.id, sidOf(other.access), auth),
    ).resolves.toBeUndefined();

    const idle = await registerAndLogin(t);
    t.clock.advance(31 * 24 * 3600);
    await expect(
      service.reissueAccessToken(idle.id, sidOf(idle.access), {
        amr: ['pwd'],
        authTime: t.clock.now(),
      }),
    ).resolves.toBeUndefined();
  });

  it('makes no password-only session for an owner with a second factor, but does make an mfa one', async () => {
    const { id } = await registerAndLogin(t);
    await db(t)
      .update(users)
      .set({ totpEnabledAt: t.clock.now() })
      .where(eq(users.id, id));
    await expect(service.createSession({ id }, {})).resolves.toBeUndefined();
    await expect(
      service.createSession(
        { id },
        {},
        { amr: ['pwd', 'otp'], authTime: t.clock.now() },
      ),
    ).resolves.toBeUndefined();

    const started = await service.createSession(
      { id },
      {},
      { amr: ['pwd', 'otp', 'mfa'], authTime: t.clock.now() },
    );
    expect(started).toBeDefined();
    expect(claimsOf(started!.pair.access_token).amr).toEqual([
      'pwd',
      'otp',
      'mfa',
    ]);
    expect((await sessionRow(started!.sessionId)).amr).toEqual([
      'pwd',
      'otp',
      'mfa',
    ]);
  });
});
