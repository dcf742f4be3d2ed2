import type { Page } from 'playwright-core';
import {
  closedPort,
  startSmtpServer,
  type TestSmtp,
  tokenFrom,
} from '../helpers/smtp';
import type { SpawnedApp } from '../helpers/spawn-app';
import {
  CHROMIUM,
  chromiumMissing,
  execute,
  operation,
  type BrowserSession,
  startBrowserSession,
} from './browser-helpers';

// Where the mail links point: the front end's address, which no one serves here (the test reads the link only).
const APP_URL = 'http://localhost:5173';
const USER = {
  username: 'forgetful',
  email: 'forgetful@example.com',
  password: 'old password that was forgotten',
};
const NEW_PASSWORD = 'a new password chosen through the link';

// Building and starting the app, chromium and the outbox's first poll on a shared CI machine take a while.
jest.setTimeout(180_000);

if (chromiumMissing) {
  console.warn(
    `Skipping the password-reset browser test: ${CHROMIUM} is missing. Install Debian's chromium ` +
      '(`apt-get install chromium`); .ci/run installs it.',
  );
}
const describeWithChromium = chromiumMissing ? describe.skip : describe;

describeWithChromium('Password reset through Swagger UI in chromium', () => {
  let smtp: TestSmtp | undefined;
  let app: SpawnedApp | undefined;
  let session: BrowserSession | undefined;
  let page: Page;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    session = await startBrowserSession(await closedPort(), {
      EMAIL_FEATURES: 'on',
      SMTP_URL: smtp.url,
      APP_URL,
      MAIL_POLL_INTERVAL: '1s',
      MAIL_RETRY_BASE: '1s',
      MAIL_RETRY_MAX_DELAY: '2s',
    });
    ({ app, page } = session);
  });

  afterAll(async () => {
    await session?.stop();
    await smtp?.close();
  });

  it('mails a reset link through a real SMTP server, sets the new password from the UI, and only that one logs in', async () => {
    if (!app || !smtp) throw new Error('beforeAll did not start the app');
    const registered = await fetch(`${app.url}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(USER),
    });
    expect(registered.status).toBe(201);

    await page.goto(`${app.url}/docs`);
    await operation(page, 'email', 'forgotPassword').waitFor();

    const forgot = await execute(page, 'email', 'forgotPassword', {
      email: USER.email,
    });
    expect(forgot.status).toBe(202);
    expect(JSON.parse(forgot.body)).toMatchObject({ status: 'accepted' });

    const mail = await smtp.nextMail(USER.email, 60_000);
    expect(mail.subject).toBe('Reset your Gatehouse password');
    const link = /\S+\/reset-password#token=\S+/.exec(mail.text)?.[0];
    expect(link).toBeDefined();
    expect(link?.startsWith(`${APP_URL}/reset-password#token=`)).toBe(true);
    const token = tokenFrom(mail);

    const reset = await execute(page, 'email', 'resetPassword', {
      token,
      new_password: NEW_PASSWORD,
    });
    expect(reset.status).toBe(204);
    expect(reset.body).toBe('');
    await expect(smtp.nextMail(USER.email, 60_000)).resolves.toMatchObject({
      subject: 'Your Gatehouse password was changed',
    });

    const withNew = await execute(page, 'auth', 'login', {
      username: USER.username,
      password: NEW_PASSWORD,
    });
    expect(withNew.status).toBe(200);
    expect(JSON.parse(withNew.body)).toMatchObject({ token_type: 'Bearer' });
    const withOld = await execute(page, 'auth', 'login', {
      username: USER.username,
      password: USER.password,
    });
    expect(withOld.status).toBe(401);
    expect(JSON.parse(withOld.body)).toMatchObject({ status: 401 });
  });
});
