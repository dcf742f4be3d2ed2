import { AuditService } from 'src/audit/audit.service';
import { EmailService } from 'src/email/email.service';
import { MailOutbox } from 'src/mail/mail-outbox.service';
import { adminEvents } from './audit-helpers';
import { UsersService } from 'src/users/users.service';
import { createAppWithAdmin, loginAdmin } from './helpers/admin';
import { expectProblem } from './helpers/http';
import { bearer } from './helpers/http';
import { claimsOf } from './helpers/jwt';
import { until } from './helpers/eventually';
import {
  closedPort,
  startSmtpServer,
  tokenFrom,
  type ReceivedMail,
  type TestSmtp,
} from './helpers/smtp';
import {
  createTestApp,
  login,
  newUser,
  registerAndLogin,
  type TestApp,
} from './helpers/test-app';

const APP_URL = 'https://app.example.com';
const FROM = 'Gatehouse Tests <no-reply@gatehouse.test>';

/**
 * Forgotten password over real SMTP: the mail arrives at an SMTP server in this process (smtp-server), the link
 * carries the token in its fragment, and only POST /auth/password/reset spends it.
 */
describe('password reset by email (e2e)', () => {
  let t: TestApp;
  let smtp: TestSmtp;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await createAppWithAdmin({
      SMTP_URL: smtp.url,
      APP_URL,
      MAIL_FROM: FROM,
      MAIL_POLL_INTERVAL: '1s',
      MAIL_RETRY_BASE: '1s',
      MAIL_RETRY_MAX_DELAY: '2s',
      LOGIN_MAX_FAILURES: '3',
    });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  const forgot = (email: string) =>
    t.http().post('/auth/password/forgot').send({ email });
  const reset = (token: string, password: string) =>
    t
      .http()
      .post('/auth/password/reset')
      .send({ token, new_password: password });

  /** Asks for a reset link and returns the mail it produced. */
  async function resetMail(email: string): Promise<ReceivedMail> {
    await forgot(email).expect(202);
    return smtp.nextMail(email);
  }

  /** Lets the background work of earlier requests finish and the outbox drain, so "no mail" means no mail. */
  async function settle(): Promise<void> {
    await t.get(EmailService).settled();
    await new Promise((resolve) => setTimeout(resolve, 300));
  }

  it('mails a link that sets a new password once, ends every session and voids the old credentials', async () => {
    const { user, access, refresh } = await registerAndLogin(
      t,
      newUser('reset'),
    );
    const mail = await resetMail(user.email);
    expect(mail.from).toBe('no-reply@gatehouse.test');
    expect(mail.rawHeaders).toMatch(
      /^From: Gatehouse Tests <no-reply@gatehouse\.test>/m,
    );
    expect(mail.text).toContain(`${APP_URL}/reset-password#token=`);
    expect(mail.html).toContain(`href="${APP_URL}/reset-password#token=`);
    expect(mail.text).toContain(user.username);
    const token = tokenFrom(mail);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    await reset(token, 'my brand new passphrase').expect(204);

    // Every session ended: the access token at once, the refresh token, and the old password.
    expectProblem(
      await t
        .http()
        .get('/auth/me')
        .set(...bearer(access)),
      401,
      'AUTH.TOKEN_REVOKED',
    );
    expectProblem(
      await t.http().post('/auth/refresh').send({ refresh_token: refresh }),
      401,
    );
    expectProblem(
      await t
        .http()
        .post('/auth/login')
        .send({ username: user.username, password: user.password }),
      401,
      'AUTH.INVALID_CREDENTIALS',
    );
    const fresh = await login(t, {
      ...user,
      password: 'my brand new passphrase',
    });
    const me = await t
      .http()
      .get('/auth/me')
      .set(...bearer(fresh.access))
      .expect(200);
    // A reset link proves the address.
    expect(me.body.email_verified).toBe(true);

    // Used once only.
    expectProblem(
      await reset(token, 'yet another passphrase'),
      400,
      'EMAIL.TOKEN_INVALID',
    );
    // The user is told, at the same address.
    const notice = await smtp.nextMail(user.email);
    expect(notice.subject).toMatch(/password was changed/);
    expect(notice.text).not.toMatch(/#token=/);
  });

  it('answers an unknown, a disabled and a known address alike, and mails only the known one', async () => {
    const admin = await loginAdmin(t);
    const known = await registerAndLogin(t, newUser('known'));
    const disabled = await registerAndLogin(t, newUser('disabled'));
    await t
      .http()
      .patch(`/users/${disabled.id}`)
      .set(...bearer(admin.access))
      .send({ disabled: true })
      .expect(200);
    const unknown = 'nobody-here@example.com';

    const answers = await Promise.all(
      [known.user.email, disabled.user.email, unknown].map((email) =>
        forgot(email).expect(202),
      ),
    );
    expect(answers[1].body).toEqual(answers[0].body);
    expect(answers[2].body).toEqual(answers[0].body);
    expect(answers[0].body).toEqual({
      status: 'accepted',
      detail: expect.any(String),
    });
    await smtp.nextMail(known.user.email);
    await settle();
    expect(smtp.mailsTo(disabled.user.email)).toHaveLength(0);
    expect(smtp.mailsTo(unknown)).toHaveLength(0);
  });

  it('answers before looking the address up, so the answer takes the same time for every address', async () => {
    const known = await registerAndLogin(t, newUser('timing'));
    const users = t.get(UsersService);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const lookups: string[] = [];
    const original = users.findByEmail.bind(users);
    const spy = jest
      .spyOn(users, 'findByEmail')
      .mockImplementation(async (email: string) => {
        lookups.push(email);
        await gate;
        return original(email);
      });
    try {
      // Both answered while every lookup is still held: the response cannot depend on what it would find.
      await forgot(known.user.email).expect(202);
      await forgot('unknown-timing@example.com').expect(202);
      expect(lookups).toEqual([known.user.email, 'unknown-timing@example.com']);
    } finally {
      release();
      await t.get(EmailService).settled();
      spy.mockRestore();
    }
    await smtp.nextMail(known.user.email);
  });

  it('lets exactly one of two concurrent resets with one token through', async () => {
    const { user } = await registerAndLogin(t, newUser('race'));
    const token = tokenFrom(await resetMail(user.email));
    const answers = await Promise.all([
      reset(token, 'first racer passphrase'),
      reset(token, 'second racer passphrase'),
    ]);
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([204, 400]);
    const winner = answers[0].status === 204 ? 'first' : 'second';
    await login(t, { ...user, password: `${winner} racer passphrase` });
  });

  it('keeps the token usable when the new password is refused', async () => {
    const { user } = await registerAndLogin(t, newUser('weak'));
    const token = tokenFrom(await resetMail(user.email));
    const refused = expectProblem(
      await reset(token, 'short'),
      400,
      'VALIDATION_FAILED',
    );
    expect(refused.errors?.map((e) => e.field)).toEqual(['new_password']);
    await reset(token, 'a long enough passphrase').expect(204);
    await login(t, { ...user, password: 'a long enough passphrase' });
  });

  it.each([
    ['truncated', (token: string) => token.slice(0, 20)],
    ['not base64url', (token: string) => `${token.slice(0, 42)}!`],
    ['padded', (token: string) => `${token}=`],
    ['10 KB long', () => 'A'.repeat(10_240)],
    ['a different token', () => 'B'.repeat(43)],
    ['empty', () => ''],
  ])('refuses a token that is %s with a 400 problem', async (_name, mangle) => {
    const { user } = await registerAndLogin(t, newUser('mangled'));
    const token = tokenFrom(await resetMail(user.email));
    const res = await reset(mangle(token), 'a long enough passphrase');
    expect(res.status).toBe(400);
    expectProblem(res, 400);
    // The real token still works.
    await reset(token, 'a long enough passphrase').expect(204);
  });

  it('refuses a token after PASSWORD_RESET_TTL', async () => {
    const { user } = await registerAndLogin(t, newUser('expired'));
    const token = tokenFrom(await resetMail(user.email));
    t.clock.advance(30 * 60 + 1);
    try {
      expectProblem(
        await reset(token, 'a long enough passphrase'),
        400,
        'EMAIL.TOKEN_INVALID',
      );
    } finally {
      t.clock.reset();
    }
    await login(t, user);
  });

  it('refuses a token made for another purpose', async () => {
    const { user, access } = await registerAndLogin(t, newUser('purpose'));
    await t
      .http()
      .post('/auth/email/verify/send')
      .set(...bearer(access))
      .expect(202);
    const verifyToken = tokenFrom(await smtp.nextMail(user.email));
    expectProblem(
      await reset(verifyToken, 'a long enough passphrase'),
      400,
      'EMAIL.TOKEN_INVALID',
    );
    // …and it is still good for what it was made for.
    await t
      .http()
      .post('/auth/email/verify')
      .send({ token: verifyToken })
      .expect(204);
  });

  it('voids the other pending links of the user once one is used', async () => {
    const { user } = await registerAndLogin(t, newUser('others'));
    const first = tokenFrom(await resetMail(user.email));
    const second = tokenFrom(await resetMail(user.email));
    await reset(second, 'a long enough passphrase').expect(204);
    expectProblem(
      await reset(first, 'another long passphrase'),
      400,
      'EMAIL.TOKEN_INVALID',
    );
  });

  it('voids pending links when the password is changed with the current one', async () => {
    const { user, access } = await registerAndLogin(t, newUser('changed'));
    const token = tokenFrom(await resetMail(user.email));
    await t
      .http()
      .post('/auth/password')
      .set(...bearer(access))
      .send({
        current_password: user.password,
        new_password: 'changed the usual way',
      })
      .expect(204);
    expectProblem(
      await reset(token, 'a long enough passphrase'),
      400,
      'EMAIL.TOKEN_INVALID',
    );
  });

  it('lifts the lockout: the new password works at once', async () => {
    const { user } = await registerAndLogin(t, newUser('locked'));
    for (let i = 0; i < 3; i += 1)
      await t
        .http()
        .post('/auth/login')
        .send({ username: user.username, password: 'wrong password!!' })
        .expect(401);
    expectProblem(
      await t
        .http()
        .post('/auth/login')
        .send({ username: user.username, password: user.password }),
      429,
      'AUTH.TOO_MANY_ATTEMPTS',
    );
    const token = tokenFrom(await resetMail(user.email));
    await reset(token, 'unlocked by the reset link').expect(204);
    await login(t, { ...user, password: 'unlocked by the reset link' });
  });

  it('sends at most MAIL_PER_ADDRESS_MAX mails per address per window, answering 202 all the same', async () => {
    const { user } = await registerAndLogin(t, newUser('flood'));
    for (let i = 0; i < 5; i += 1) await forgot(user.email).expect(202);
    await settle();
    expect(smtp.mailsTo(user.email)).toHaveLength(3);
    const metrics = await t.http().get('/metrics').expect(200);
    expect(metrics.text).toMatch(/^gatehouse_mail_suppressed_total 2$/m);
  });

  it('records the request and the reset in the audit trail', async () => {
    const admin = await loginAdmin(t);
    const { user, id } = await registerAndLogin(t, newUser('audited'));
    const token = tokenFrom(await resetMail(user.email));
    await reset(token, 'a long enough passphrase').expect(204);
    await t.get(AuditService).flush();
    const seen = (
      await adminEvents(t, admin.access, { user_id: id, limit: 50 })
    ).items.map((e) => e.type);
    expect(seen).toEqual(
      expect.arrayContaining([
        'password_reset_requested',
        'password_reset',
        'email_verified',
      ]),
    );
  });

  describe('by an admin', () => {
    it('mails a reset link to a user; 404 for an unknown id; 403 for a non-admin', async () => {
      const admin = await loginAdmin(t);
      const { user, id, access } = await registerAndLogin(
        t,
        newUser('adminreset'),
      );
      const answer = await t
        .http()
        .post(`/users/${id.toUpperCase()}/password-reset`)
        .set(...bearer(admin.access))
        .expect(202);
      expect(answer.body.status).toBe('accepted');
      const token = tokenFrom(await smtp.nextMail(user.email));
      await reset(token, 'set after the admin asked').expect(204);
      expectProblem(
        await t
          .http()
          .post('/users/00000000-0000-4000-8000-000000000000/password-reset')
          .set(...bearer(admin.access)),
        404,
        'USERS.NOT_FOUND',
      );
      expectProblem(
        await t
          .http()
          .post(`/users/${id}/password-reset`)
          .set(...bearer(access)),
        401,
      );
      const other = await registerAndLogin(t, newUser('notadmin'));
      expectProblem(
        await t
          .http()
          .post(`/users/${id}/password-reset`)
          .set(...bearer(other.access)),
        403,
      );
      expect(claimsOf(admin.access).roles).toContain('admin');
    });

    it('sets and clears email_verified with PATCH /users/:id', async () => {
      const admin = await loginAdmin(t);
      const { id } = await registerAndLogin(t, newUser('adminverify'));
      const set = await t
        .http()
        .patch(`/users/${id}`)
        .set(...bearer(admin.access))
        .send({ email_verified: true })
        .expect(200);
      expect(set.body.email_verified).toBe(true);
      const cleared = await t
        .http()
        .patch(`/users/${id}`)
        .set(...bearer(admin.access))
        .send({ email_verified: false })
        .expect(200);
      expect(cleared.body.email_verified).toBe(false);
      expectProblem(
        await t
          .http()
          .patch(`/users/${id}`)
          .set(...bearer(admin.access))
          .send({ email_verified: 'yes' }),
        400,
        'VALIDATION_FAILED',
      );
    });
  });

  it('refuses bad bodies with 400 problems', async () => {
    for (const body of [
      {},
      { email: 'not an address' },
      { email: 'a@example.com\r\nBcc: victim@example.com' },
      { email: 'a@example.com', extra: 1 },
      { email: `${'a'.repeat(250)}@example.com` },
    ])
      expectProblem(
        await t.http().post('/auth/password/forgot').send(body),
        400,
        'VALIDATION_FAILED',
      );
    expectProblem(
      await t
        .http()
        .post('/auth/password/reset')
        .send({ token: 'x'.repeat(43) }),
      400,
      'VALIDATION_FAILED',
    );
  });
});

describe('password reset while the SMTP server is down (e2e)', () => {
  it('answers 202 at once, keeps the mail, and delivers it once the server is back', async () => {
    const port = await closedPort();
    const t = await createTestApp({
      SMTP_URL: `smtp://127.0.0.1:${port}`,
      APP_URL,
      SMTP_TIMEOUT: '2s',
      MAIL_POLL_INTERVAL: '1s',
      MAIL_RETRY_BASE: '1s',
      MAIL_RETRY_MAX_DELAY: '1s',
    });
    let smtp: TestSmtp | undefined;
    try {
      const { user } = await registerAndLogin(t, newUser('outage'));
      await t
        .http()
        .post('/auth/password/forgot')
        .send({ email: user.email })
        .expect(202);
      await t.get(EmailService).settled();
      const outbox = t.get(MailOutbox);
      await until(
        'the mail waits in the outbox',
        async () => (await outbox.pendingCount()) === 1,
      );
      smtp = await startSmtpServer(port);
      const token = tokenFrom(await smtp.nextMail(user.email, 15_000));
      await t
        .http()
        .post('/auth/password/reset')
        .send({ token, new_password: 'set after the outage' })
        .expect(204);
      expect(
        smtp.mailsTo(user.email).filter((m) => /#token=/.test(m.text)),
      ).toHaveLength(1);
    } finally {
      await t.close();
      await smtp?.close();
    }
  });
});
