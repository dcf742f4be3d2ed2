import { EmailService } from 'src/email/email.service';
import { bearer, expectProblem } from './helpers/http';
import { claimsOf } from './helpers/jwt';
import { startSmtpServer, tokenFrom, type TestSmtp } from './helpers/smtp';
import {
  createTestApp,
  login,
  newUser,
  registerAndLogin,
  type TestApp,
} from './helpers/test-app';

const APP_URL = 'https://app.example.com';
const MAIL_ENV = {
  APP_URL,
  MAIL_POLL_INTERVAL: '1s',
  MAIL_RETRY_BASE: '1s',
  MAIL_RETRY_MAX_DELAY: '2s',
};

/** Lets the background work of earlier requests finish and the outbox drain, so "no mail" means no mail. */
async function settle(t: TestApp): Promise<void> {
  await t.get(EmailService).settled();
  await new Promise((resolve) => setTimeout(resolve, 300));
}

describe('email verification required (e2e)', () => {
  let t: TestApp;
  let smtp: TestSmtp;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await createTestApp({
      ...MAIL_ENV,
      SMTP_URL: smtp.url,
      AUTH_EMAIL_VERIFICATION: 'required',
    });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  const register = (user: ReturnType<typeof newUser>) =>
    t.http().post('/auth/register').send(user);

  it('answers a new and a taken address alike, and mails the owner of the taken one instead', async () => {
    const owner = newUser('owner');
    const first = await register(owner).expect(202);
    const link = await smtp.nextMail(owner.email);
    expect(link.text).toContain(`${APP_URL}/verify-email#token=`);

    const intruder = {
      ...newUser('intruder'),
      email: owner.email.toUpperCase(),
    };
    const second = await register(intruder).expect(202);
    expect(second.body).toEqual(first.body);
    const notice = await smtp.nextMail(owner.email);
    expect(notice.subject).toMatch(/already have/);
    expect(notice.text).not.toMatch(/#token=/);
    // No account was made for the intruder.
    expectProblem(
      await t
        .http()
        .post('/auth/login')
        .send({ username: intruder.username, password: intruder.password }),
      401,
      'AUTH.INVALID_CREDENTIALS',
    );
  });

  it('refuses login with 403 until the address is verified, then lets it in with email_verified', async () => {
    const user = newUser('blocked');
    await register(user).expect(202);
    const token = tokenFrom(await smtp.nextMail(user.email));
    const refused = expectProblem(
      await t
        .http()
        .post('/auth/login')
        .send({ username: user.username, password: user.password }),
      403,
      'AUTH.EMAIL_NOT_VERIFIED',
    );
    expect(refused.detail).toMatch(/verify/);
    // A wrong password still gets the usual 401: the 403 tells nothing to someone without the password.
    expectProblem(
      await t
        .http()
        .post('/auth/login')
        .send({ username: user.username, password: 'not the password' }),
      401,
      'AUTH.INVALID_CREDENTIALS',
    );

    await t.http().post('/auth/email/verify').send({ token }).expect(204);
    const pair = await login(t, user);
    expect(claimsOf(pair.access)).toMatchObject({ email_verified: true });
    const me = await t
      .http()
      .get('/auth/me')
      .set(...bearer(pair.access))
      .expect(200);
    expect(me.body.email_verified).toBe(true);

    // Single use.
    expectProblem(
      await t.http().post('/auth/email/verify').send({ token }),
      400,
      'EMAIL.TOKEN_INVALID',
    );
  });

  it('sends a new link on the public form, the same answer for every address', async () => {
    const user = newUser('resend');
    await register(user).expect(202);
    await smtp.nextMail(user.email);
    const known = await t
      .http()
      .post('/auth/email/verify/send')
      .send({ email: user.email })
      .expect(202);
    const unknown = await t
      .http()
      .post('/auth/email/verify/send')
      .send({ email: 'nobody-verify@example.com' })
      .expect(202);
    expect(unknown.body).toEqual(known.body);
    const token = tokenFrom(await smtp.nextMail(user.email));
    await t.http().post('/auth/email/verify').send({ token }).expect(204);
    await settle(t);
    expect(smtp.mailsTo('nobody-verify@example.com')).toHaveLength(0);
    // Verified already: nothing more is sent.
    await t
      .http()
      .post('/auth/email/verify/send')
      .send({ email: user.email })
      .expect(202);
    await settle(t);
    expect(smtp.mailsTo(user.email)).toHaveLength(2);
  });

  it('refuses an expired link', async () => {
    const user = newUser('late');
    await register(user).expect(202);
    const token = tokenFrom(await smtp.nextMail(user.email));
    t.clock.advance(24 * 3600 + 1);
    try {
      expectProblem(
        await t.http().post('/auth/email/verify').send({ token }),
        400,
        'EMAIL.TOKEN_INVALID',
      );
    } finally {
      t.clock.reset();
    }
  });

  it('asks for the email without a token, and refuses a bad token rather than ignoring it', async () => {
    expectProblem(
      await t.http().post('/auth/email/verify/send').send({}),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await t
        .http()
        .post('/auth/email/verify/send')
        .set('authorization', 'Bearer not.a.token')
        .send({ email: 'someone@example.com' }),
      401,
    );
  });
});

describe('email verification optional (e2e)', () => {
  let t: TestApp;
  let smtp: TestSmtp;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await createTestApp({
      ...MAIL_ENV,
      SMTP_URL: smtp.url,
      AUTH_EMAIL_VERIFICATION: 'optional',
    });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it('registers with 201, mails a link, and signs email_verified into tokens, true after a refresh once verified', async () => {
    const { user, access, refresh } = await registerAndLogin(t, newUser('opt'));
    expect(claimsOf(access)).toMatchObject({ email_verified: false });
    const token = tokenFrom(await smtp.nextMail(user.email));
    await t.http().post('/auth/email/verify').send({ token }).expect(204);
    const refreshed = await t
      .http()
      .post('/auth/refresh')
      .send({ refresh_token: refresh })
      .expect(200);
    expect(claimsOf(refreshed.body.access_token as string)).toMatchObject({
      email_verified: true,
    });
  });

  it('sends a link to the signed-in user on request', async () => {
    const { user, access } = await registerAndLogin(t, newUser('again'));
    await smtp.nextMail(user.email);
    await t
      .http()
      .post('/auth/email/verify/send')
      .set(...bearer(access))
      .send({})
      .expect(202);
    const token = tokenFrom(await smtp.nextMail(user.email));
    await t.http().post('/auth/email/verify').send({ token }).expect(204);
  });
});

describe('email verification off, the default (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('registers with 201 and leaves email_verified out of tokens', async () => {
    const { access } = await registerAndLogin(t, newUser('off'));
    expect(claimsOf(access)).not.toHaveProperty('email_verified');
  });
});

describe('EMAIL_FEATURES=off (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ EMAIL_FEATURES: 'off' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 404 on every email route', async () => {
    const { user, access } = await registerAndLogin(t, newUser('nomail'));
    const token = 'A'.repeat(43);
    for (const [path, body] of [
      ['/auth/password/forgot', { email: 'a@example.com' }],
      ['/auth/password/reset', { token, new_password: 'long enough password' }],
      ['/auth/email/verify/send', { email: 'a@example.com' }],
      ['/auth/email/verify', { token }],
      ['/auth/email/change/confirm', { token }],
    ] as const)
      expectProblem(
        await t.http().post(path).send(body),
        404,
        'EMAIL.FEATURES_OFF',
      );
    expectProblem(
      await t
        .http()
        .post('/auth/email')
        .set(...bearer(access))
        .send({
          new_email: 'new@example.com',
          current_password: user.password,
        }),
      404,
      'EMAIL.FEATURES_OFF',
    );
  });
});

describe('rate limits on the public email routes (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_MAX: '2' });
  });
  afterAll(async () => {
    await t.close();
  });

  it.each([
    ['/auth/password/forgot', { email: 'someone@example.com' }],
    ['/auth/password/reset', { token: 'A'.repeat(43), new_password: 'x' }],
    ['/auth/email/verify/send', { email: 'someone@example.com' }],
    ['/auth/email/verify', { token: 'A'.repeat(43) }],
    ['/auth/email/change/confirm', { token: 'A'.repeat(43) }],
  ])('limits POST %s per client address', async (path, body) => {
    for (let i = 0; i < 2; i += 1) {
      const res = await t.http().post(path).send(body);
      expect(res.status).not.toBe(429);
    }
    const limited = expectProblem(
      await t.http().post(path).send(body),
      429,
      'RATE_LIMITED',
    );
    expect(limited.status).toBe(429);
  });
});
