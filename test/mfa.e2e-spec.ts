import { AuditService } from 'src/audit/audit.service';
import { adminEvents } from './audit-helpers';
import { createAppWithAdmin, loginAdmin } from './helpers/admin';
import { bearer, expectProblem } from './helpers/http';
import { claimsOf, expectSignedInAtIssue } from './helpers/jwt';
import { challenge, codeFor, enrolTotp, secretOf } from './helpers/mfa';
import { startSmtpServer, tokenFrom } from './helpers/smtp';
import {
  createTestApp,
  login,
  newUser,
  registerAndLogin,
  type TestApp,
} from './helpers/test-app';

const KEY = 'a-test-keys-encryption-key-of-at-least-32-bytes!!';

describe('second factor: TOTP (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createAppWithAdmin({
      KEYS_ENCRYPTION_KEY: KEY,
      LOGIN_MAX_FAILURES: '5',
      MFA_ISSUER: 'Gatehouse Tests',
    });
  });
  afterAll(async () => {
    await t.close();
  });
  afterEach(() => t.clock.reset());

  const verify = (body: Record<string, unknown>) =>
    t.http().post('/auth/mfa/verify').send(body);

  it('enrols, confirms once with recovery codes, and then asks every login for a code', async () => {
    const { user, access, refresh } = await registerAndLogin(
      t,
      newUser('enrol'),
    );
    const other = await login(t, user);

    const setup = await t
      .http()
      .post('/auth/mfa/totp/setup')
      .set(...bearer(access))
      .expect(200);
    expect(setup.headers['cache-control']).toBe('no-store');
    expect(setup.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(setup.body.otpauth_uri as string);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe(
      `/Gatehouse Tests:${user.username}`,
    );
    expect(uri.searchParams.get('secret')).toBe(setup.body.secret);
    expect(uri.searchParams.get('issuer')).toBe('Gatehouse Tests');
    expect(setup.body.qr_png).toMatch(
      /^data:image\/png;base64,[A-Za-z0-9+/=]+$/,
    );
    expect(setup.body.qr_svg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    const secret = secretOf(setup.body.secret as string);

    // Pending until confirmed: the password alone still signs in.
    const stillPlain = await t
      .http()
      .post('/auth/login')
      .send({ username: user.username, password: user.password })
      .expect(200);
    expect(stillPlain.body.access_token).toEqual(expect.any(String));

    expectProblem(
      await t
        .http()
        .post('/auth/mfa/totp/confirm')
        .set(...bearer(access))
        .send({ code: codeFor(t, secret, 5) }),
      400,
      'MFA.CODE_MISMATCH',
    );
    const confirmed = await t
      .http()
      .post('/auth/mfa/totp/confirm')
      .set(...bearer(access))
      .send({ code: codeFor(t, secret) })
      .expect(200);
    const codes = confirmed.body.recovery_codes as string[];
    expect(codes).toHaveLength(10);
    for (const code of codes)
      expect(code).toMatch(/^[A-Z2-7]{4}(-[A-Z2-7]{4}){5}$/);
    const fresh = confirmed.body.access.access_token as string;
    expect(claimsOf(fresh)).toMatchObject({ amr: ['pwd', 'otp', 'mfa'] });

    // Every earlier access token is void; other sessions ended; this one goes on.
    expectProblem(
      await t
        .http()
        .get('/auth/me')
        .set(...bearer(access)),
      401,
    );
    expectProblem(
      await t
        .http()
        .get('/auth/me')
        .set(...bearer(other.access)),
      401,
    );
    expectProblem(
      await t
        .http()
        .post('/auth/refresh')
        .send({ refresh_token: other.refresh }),
      401,
    );
    const me = await t
      .http()
      .get('/auth/me')
      .set(...bearer(fresh))
      .expect(200);
    expect(me.body.mfa_enabled).toBe(true);
    const refreshed = await t
      .http()
      .post('/auth/refresh')
      .send({ refresh_token: refresh })
      .expect(200);
    expect(claimsOf(refreshed.body.access_token as string)).toMatchObject({
      amr: ['pwd', 'otp', 'mfa'],
    });

    // Confirmed once only; a new setup needs the factor turned off first.
    expectProblem(
      await t
        .http()
        .post('/auth/mfa/totp/confirm')
        .set(...bearer(fresh))
        .send({ code: codeFor(t, secret) }),
      409,
      'MFA.ALREADY_ENABLED',
    );
    expectProblem(
      await t
        .http()
        .post('/auth/mfa/totp/setup')
        .set(...bearer(fresh)),
      409,
      'MFA.ALREADY_ENABLED',
    );

    // The login now answers a challenge and no tokens.
    t.clock.advance(30);
    const login1 = await t
      .http()
      .post('/auth/login')
      .send({ username: user.username, password: user.password })
      .expect(200);
    expect(login1.body).toEqual({
      mfa_required: true,
      mfa_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      methods: ['totp', 'recovery_code'],
      expires_in: 300,
    });
    const pair = await verify({
      mfa_token: login1.body.mfa_token,
      code: codeFor(t, secret),
    }).expect(200);
    const claims = claimsOf(pair.body.access_token as string);
    expect(claims).toMatchObject({ amr: ['pwd', 'otp', 'mfa'] });
    // The second factor is the sign-in: recorded during the request, so not after the clock read just after it.
    const afterVerify = Math.floor(t.clock.now().getTime() / 1000);
    expect(claims.auth_time).toBeLessThanOrEqual(afterVerify);
    expect(claims.auth_time).toBeGreaterThanOrEqual(afterVerify - 1);
    expectSignedInAtIssue(claims);
    await t
      .http()
      .get('/auth/me')
      .set(...bearer(pair.body.access_token))
      .expect(200);

    // The challenge worked once.
    expectProblem(
      await verify({
        mfa_token: login1.body.mfa_token,
        code: codeFor(t, secret),
      }),
      401,
      'MFA.CHALLENGE_INVALID',
    );
  });

  it('refuses a code (time step) once used, on a later challenge too', async () => {
    const { user, access } = await registerAndLogin(t, newUser('replay'));
    const { secret } = await enrolTotp(t, access);
    const code = codeFor(t, secret);
    await verify({ mfa_token: await challenge(t, user), code }).expect(200);
    expectProblem(
      await verify({ mfa_token: await challenge(t, user), code }),
      401,
      'MFA.INVALID_CODE',
    );
    // …and a code of an earlier step.
    expectProblem(
      await verify({
        mfa_token: await challenge(t, user),
        code: codeFor(t, secret, -1),
      }),
      401,
      'MFA.INVALID_CODE',
    );
  });

  it('destroys a challenge after 5 wrong codes: the right one fails after them, and the account locks', async () => {
    const { user, access } = await registerAndLogin(t, newUser('five'));
    const { secret } = await enrolTotp(t, access);
    const token = await challenge(t, user);
    const right = codeFor(t, secret);
    const wrong = right === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i += 1)
      expectProblem(
        await verify({ mfa_token: token, code: wrong }),
        401,
        'MFA.INVALID_CODE',
      );
    const after = await verify({ mfa_token: token, code: right });
    expect(after.status).toBeGreaterThanOrEqual(400);
    expect(after.status).not.toBe(200);
    // The wrong codes counted toward the lockout: LOGIN_MAX_FAILURES=5.
    expectProblem(
      await t
        .http()
        .post('/auth/login')
        .send({ username: user.username, password: user.password }),
      429,
      'AUTH.TOO_MANY_ATTEMPTS',
    );
  });

  it('checks at most 5 of a burst of 20 wrong codes', async () => {
    const { user, access } = await registerAndLogin(t, newUser('burst'));
    const { secret } = await enrolTotp(t, access);
    const token = await challenge(t, user);
    const right = codeFor(t, secret);
    const wrong = right === '000000' ? '111111' : '000000';
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        verify({ mfa_token: token, code: wrong }),
      ),
    );
    const checked = answers.filter((r) => r.body.code === 'MFA.INVALID_CODE');
    expect(checked.length).toBeGreaterThan(0);
    expect(checked.length).toBeLessThanOrEqual(5);
    for (const r of answers) expect([401, 429]).toContain(r.status);
    await t.get(AuditService).flush();
    const admin = await loginAdmin(t);
    const failures = (
      await adminEvents(t, admin.access, {
        user_id: claimsOf(access).sub,
        type: 'mfa_failed',
        limit: 50,
      })
    ).items;
    expect(failures.length).toBe(checked.length);
  });

  it.each([
    ['7 digits', '1234567'],
    ['spaces', '123 456'],
    ['letters', '12ab56'],
    ['Arabic-Indic digits', '\u0661\u0662\u0663\u0664\u0665\u0666'],
  ])(
    'answers 400 to a code with %s, costing no attempt',
    async (_name, code) => {
      const { user, access } = await registerAndLogin(t, newUser('shape'));
      const { secret } = await enrolTotp(t, access);
      const token = await challenge(t, user);
      for (let i = 0; i < 6; i += 1)
        expectProblem(
          await verify({ mfa_token: token, code }),
          400,
          'VALIDATION_FAILED',
        );
      await verify({ mfa_token: token, code: codeFor(t, secret) }).expect(200);
    },
  );

  it('refuses an expired challenge, another user’s code, and both or neither of code and recovery_code', async () => {
    const a = await registerAndLogin(t, newUser('alice'));
    const b = await registerAndLogin(t, newUser('bob'));
    const enrolledA = await enrolTotp(t, a.access);
    const enrolledB = await enrolTotp(t, b.access);
    const tokenA = await challenge(t, a.user);
    expectProblem(
      await verify({ mfa_token: tokenA, code: codeFor(t, enrolledB.secret) }),
      401,
      'MFA.INVALID_CODE',
    );
    expectProblem(
      await verify({
        mfa_token: tokenA,
        code: codeFor(t, enrolledA.secret),
        recovery_code: enrolledA.recoveryCodes[0],
      }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await verify({ mfa_token: tokenA }),
      400,
      'VALIDATION_FAILED',
    );
    t.clock.advance(301);
    expectProblem(
      await verify({ mfa_token: tokenA, code: codeFor(t, enrolledA.secret) }),
      401,
      'MFA.CHALLENGE_INVALID',
    );
    expectProblem(
      await verify({ mfa_token: 'A'.repeat(43), code: '123456' }),
      401,
      'MFA.CHALLENGE_INVALID',
    );
  });

  it('takes a recovery code once, whatever its case and dashes, and says how many are left', async () => {
    const { user, access } = await registerAndLogin(t, newUser('recover'));
    const { recoveryCodes } = await enrolTotp(t, access);
    const typed = recoveryCodes[3].toLowerCase().replace(/-/g, '');
    const first = await verify({
      mfa_token: await challenge(t, user),
      recovery_code: typed,
    }).expect(200);
    expect(first.body.recovery_codes_remaining).toBe(9);
    expect(claimsOf(first.body.access_token as string).amr).toEqual([
      'pwd',
      'mfa',
    ]);
    expectProblem(
      await verify({
        mfa_token: await challenge(t, user),
        recovery_code: recoveryCodes[3],
      }),
      401,
      'MFA.INVALID_CODE',
    );
  });

  it('replaces the recovery codes on request (step-up): the old ones stop working', async () => {
    const { user, access } = await registerAndLogin(t, newUser('regen'));
    const enrolled = await enrolTotp(t, access);
    const res = await t
      .http()
      .post('/auth/mfa/recovery-codes')
      .set(...bearer(enrolled.access))
      .expect(200);
    const fresh = res.body.recovery_codes as string[];
    expect(fresh).toHaveLength(10);
    expect(fresh).not.toContain(enrolled.recoveryCodes[0]);
    expectProblem(
      await verify({
        mfa_token: await challenge(t, user),
        recovery_code: enrolled.recoveryCodes[0],
      }),
      401,
      'MFA.INVALID_CODE',
    );
    await verify({
      mfa_token: await challenge(t, user),
      recovery_code: fresh[0],
    }).expect(200);
  });

  it('asks for a recent sign-in to turn the factor off; re-authentication with a code gives it', async () => {
    const { user, access } = await registerAndLogin(t, newUser('stepup'));
    const enrolled = await enrolTotp(t, access);
    t.clock.advance(600);
    const stale = await t
      .http()
      .delete('/auth/mfa/totp')
      .set(...bearer(enrolled.access));
    expectProblem(stale, 401, 'AUTH.STEP_UP_REQUIRED');
    expect(stale.headers['www-authenticate']).toMatch(
      /^Bearer error="insufficient_user_authentication", error_description="[^"]+", max_age=300$/,
    );
    // Without the code, an account with a second factor cannot re-authenticate.
    expectProblem(
      await t
        .http()
        .post('/auth/reauthenticate')
        .set(...bearer(enrolled.access))
        .send({ password: user.password }),
      400,
      'VALIDATION_FAILED',
    );
    const again = await t
      .http()
      .post('/auth/reauthenticate')
      .set(...bearer(enrolled.access))
      .send({ password: user.password, code: codeFor(t, enrolled.secret) })
      .expect(200);
    const renewed = again.body.access_token as string;
    expect(claimsOf(renewed)).toMatchObject({
      sid: claimsOf(enrolled.access).sid,
      amr: ['pwd', 'otp', 'mfa'],
      auth_time: Math.floor(t.clock.now().getTime() / 1000),
    });
    await t
      .http()
      .delete('/auth/mfa/totp')
      .set(...bearer(renewed))
      .expect(204);
    // Off: the password alone signs in again.
    const plain = await login(t, user);
    expect(claimsOf(plain.access).amr).toEqual(['pwd']);
  });

  it('lets an admin reset a user’s factor, audited with the admin as actor', async () => {
    const admin = await loginAdmin(t);
    const { user, id, access } = await registerAndLogin(t, newUser('lost'));
    await enrolTotp(t, access);
    await challenge(t, user);
    await t
      .http()
      .delete(`/users/${id.toUpperCase()}/mfa`)
      .set(...bearer(admin.access))
      .expect(204);
    await login(t, user);
    expectProblem(
      await t
        .http()
        .delete('/users/00000000-0000-4000-8000-000000000000/mfa')
        .set(...bearer(admin.access)),
      404,
      'USERS.NOT_FOUND',
    );
    const other = await registerAndLogin(t, newUser('nosy'));
    expectProblem(
      await t
        .http()
        .delete(`/users/${id}/mfa`)
        .set(...bearer(other.access)),
      403,
    );
    await t.get(AuditService).flush();
    const events = (
      await adminEvents(t, admin.access, { user_id: id, limit: 50 })
    ).items;
    const types = events.map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'mfa_enrolment_started',
        'mfa_enabled',
        'mfa_disabled',
      ]),
    );
    expect(events.find((e) => e.type === 'mfa_disabled')?.actor_id).toBe(
      admin.id,
    );
  });

  it('answers 401 without a token on the enrolment routes, and 409 when there is nothing to confirm or turn off', async () => {
    for (const [method, path] of [
      ['post', '/auth/mfa/totp/setup'],
      ['post', '/auth/mfa/totp/confirm'],
      ['delete', '/auth/mfa/totp'],
      ['post', '/auth/mfa/recovery-codes'],
      ['post', '/auth/reauthenticate'],
    ] as const)
      expectProblem(await t.http()[method](path).send({}), 401);
    const { access } = await registerAndLogin(t, newUser('none'));
    expectProblem(
      await t
        .http()
        .post('/auth/mfa/totp/confirm')
        .set(...bearer(access))
        .send({ code: '123456' }),
      409,
      'MFA.NO_PENDING_SETUP',
    );
    expectProblem(
      await t
        .http()
        .delete('/auth/mfa/totp')
        .set(...bearer(access)),
      409,
      'MFA.NOT_ENABLED',
    );
    expectProblem(
      await t
        .http()
        .post('/auth/mfa/recovery-codes')
        .set(...bearer(access)),
      409,
      'MFA.NOT_ENABLED',
    );
  });
});

describe('second factor and password reset (e2e)', () => {
  it('keeps the second factor through a password reset: the next login still needs the code', async () => {
    const smtp = await startSmtpServer();
    const t = await createTestApp({
      KEYS_ENCRYPTION_KEY: KEY,
      SMTP_URL: smtp.url,
      APP_URL: 'https://app.example.com',
      MAIL_POLL_INTERVAL: '1s',
    });
    try {
      const { user, access } = await registerAndLogin(t, newUser('resetmfa'));
      const { secret } = await enrolTotp(t, access);
      // A challenge opened with the old password dies with it.
      const opened = await challenge(t, user);
      await t
        .http()
        .post('/auth/password/forgot')
        .send({ email: user.email })
        .expect(202);
      const token = tokenFrom(await smtp.nextMail(user.email));
      await t
        .http()
        .post('/auth/password/reset')
        .send({ token, new_password: 'a new password after the reset' })
        .expect(204);
      expectProblem(
        await t
          .http()
          .post('/auth/mfa/verify')
          .send({ mfa_token: opened, code: codeFor(t, secret) }),
        401,
        'MFA.CHALLENGE_INVALID',
      );
      const res = await t
        .http()
        .post('/auth/login')
        .send({
          username: user.username,
          password: 'a new password after the reset',
        })
        .expect(200);
      expect(res.body.mfa_required).toBe(true);
      expect(res.body).not.toHaveProperty('access_token');
      await t
        .http()
        .post('/auth/mfa/verify')
        .send({ mfa_token: res.body.mfa_token, code: codeFor(t, secret) })
        .expect(200);
    } finally {
      await t.close();
      await smtp.close();
    }
  });
});
