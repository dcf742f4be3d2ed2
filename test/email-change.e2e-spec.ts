import { bearer, expectProblem } from './helpers/http';
import { startSmtpServer, tokenFrom, type TestSmtp } from './helpers/smtp';
import {
  createTestApp,
  login,
  newUser,
  registerAndLogin,
  type TestApp,
} from './helpers/test-app';

const APP_URL = 'https://app.example.com';

describe('email change (e2e)', () => {
  let t: TestApp;
  let smtp: TestSmtp;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await createTestApp({
      SMTP_URL: smtp.url,
      APP_URL,
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

  const change = (access: string, body: Record<string, unknown>) =>
    t
      .http()
      .post('/auth/email')
      .set(...bearer(access))
      .send(body);
  const confirm = (token: string) =>
    t.http().post('/auth/email/change/confirm').send({ token });

  it('mails a link to the new address and a notice to the old one, and changes only on confirmation', async () => {
    const { user, access } = await registerAndLogin(t, newUser('mover'));
    const newEmail = `moved-${user.username}@example.org`;
    const answer = await change(access, {
      new_email: newEmail,
      current_password: user.password,
    }).expect(202);
    expect(answer.body.status).toBe('accepted');

    const link = await smtp.nextMail(newEmail);
    expect(link.text).toContain(`${APP_URL}/confirm-email-change#token=`);
    const notice = await smtp.nextMail(user.email);
    expect(notice.text).toContain(newEmail);
    expect(notice.text).not.toMatch(/#token=/);

    // Nothing changed yet.
    let me = await t
      .http()
      .get('/auth/me')
      .set(...bearer(access))
      .expect(200);
    expect(me.body.email).toBe(user.email);

    await confirm(tokenFrom(link)).expect(204);
    me = await t
      .http()
      .get('/auth/me')
      .set(...bearer(access))
      .expect(200);
    expect(me.body).toMatchObject({ email: newEmail, email_verified: true });
    // Login by the new address works; the link is spent.
    await login(t, { username: newEmail, password: user.password });
    expectProblem(await confirm(tokenFrom(link)), 400, 'EMAIL.TOKEN_INVALID');
  });

  it('checks the current password like a login attempt', async () => {
    const { user, access } = await registerAndLogin(t, newUser('guess'));
    for (let i = 0; i < 3; i += 1)
      expectProblem(
        await change(access, {
          new_email: `x${i}-${user.username}@example.org`,
          current_password: 'not my password',
        }),
        403,
        'AUTH.WRONG_CURRENT_PASSWORD',
      );
    // The account is now locked, for the right password too.
    expectProblem(
      await change(access, {
        new_email: `y-${user.username}@example.org`,
        current_password: user.password,
      }),
      429,
      'AUTH.TOO_MANY_ATTEMPTS',
    );
  });

  it('refuses a CR/LF in the address, a malformed address, the same address and a taken one', async () => {
    const { user, access } = await registerAndLogin(t, newUser('bad'));
    const other = await registerAndLogin(t, newUser('holder'));
    for (const new_email of [
      'evil@example.com\r\nBcc: victim@example.com',
      'evil@example.com\nX: y',
      'not an address',
    ])
      expectProblem(
        await change(access, { new_email, current_password: user.password }),
        400,
        'VALIDATION_FAILED',
      );
    expectProblem(
      await change(access, {
        new_email: user.email.toUpperCase(),
        current_password: user.password,
      }),
      409,
      'EMAIL.UNCHANGED',
    );
    expectProblem(
      await change(access, {
        new_email: other.user.email,
        current_password: user.password,
      }),
      409,
      'EMAIL.ALREADY_IN_USE',
    );
    expectProblem(
      await t
        .http()
        .post('/auth/email')
        .send({ new_email: 'a@example.org', current_password: user.password }),
      401,
    );
  });

  it('answers 409 when the new address was taken before confirmation, and keeps the link unspent', async () => {
    const { user, access } = await registerAndLogin(t, newUser('slow'));
    const wanted = `wanted-${user.username}@example.org`;
    await change(access, {
      new_email: wanted,
      current_password: user.password,
    }).expect(202);
    const token = tokenFrom(await smtp.nextMail(wanted));
    // Someone registers the address in between.
    const squatter = { ...newUser('squatter'), email: wanted };
    await t.http().post('/auth/register').send(squatter).expect(201);
    expectProblem(await confirm(token), 409, 'EMAIL.ALREADY_IN_USE');
    const me = await t
      .http()
      .get('/auth/me')
      .set(...bearer(access))
      .expect(200);
    expect(me.body.email).toBe(user.email);
    // The squatter moves to another address: the same link works now.
    const squat = await login(t, squatter);
    await t
      .http()
      .post('/auth/email')
      .set(...bearer(squat.access))
      .send({
        new_email: `elsewhere-${user.username}@example.org`,
        current_password: squatter.password,
      })
      .expect(202);
    await confirm(
      tokenFrom(await smtp.nextMail(`elsewhere-${user.username}@example.org`)),
    ).expect(204);
    await confirm(token).expect(204);
  });

  it('voids pending reset links once the address changed', async () => {
    const { user, access } = await registerAndLogin(t, newUser('resetvoid'));
    await t
      .http()
      .post('/auth/password/forgot')
      .send({ email: user.email })
      .expect(202);
    const resetToken = tokenFrom(await smtp.nextMail(user.email));
    const newEmail = `after-${user.username}@example.org`;
    await change(access, {
      new_email: newEmail,
      current_password: user.password,
    }).expect(202);
    await confirm(tokenFrom(await smtp.nextMail(newEmail))).expect(204);
    expectProblem(
      await t
        .http()
        .post('/auth/password/reset')
        .send({ token: resetToken, new_password: 'reset after the move' }),
      400,
      'EMAIL.TOKEN_INVALID',
    );
  });

  it('voids a verification link for the old address once the address changed', async () => {
    const { user, access } = await registerAndLogin(t, newUser('oldlink'));
    await t
      .http()
      .post('/auth/email/verify/send')
      .set(...bearer(access))
      .send({})
      .expect(202);
    const verifyToken = tokenFrom(await smtp.nextMail(user.email));
    const newEmail = `newlink-${user.username}@example.org`;
    await change(access, {
      new_email: newEmail,
      current_password: user.password,
    }).expect(202);
    await confirm(tokenFrom(await smtp.nextMail(newEmail))).expect(204);
    expectProblem(
      await t.http().post('/auth/email/verify').send({ token: verifyToken }),
      400,
      'EMAIL.TOKEN_INVALID',
    );
  });

  it('lets exactly one of two concurrent confirmations through', async () => {
    const { user, access } = await registerAndLogin(t, newUser('twice'));
    const newEmail = `race-${user.username}@example.org`;
    await change(access, {
      new_email: newEmail,
      current_password: user.password,
    }).expect(202);
    const token = tokenFrom(await smtp.nextMail(newEmail));
    const answers = await Promise.all([confirm(token), confirm(token)]);
    expect(answers.map((r) => r.status).sort()).toEqual([204, 400]);
  });
});
