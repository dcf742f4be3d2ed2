import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { codeAt } from 'src/mfa/totp';
import { claimsOf } from '../helpers/jwt';
import { secretOf } from '../helpers/mfa';
import { closedPort } from '../helpers/smtp';
import type { SpawnedApp } from '../helpers/spawn-app';
import {
  authorizeBearer,
  CHROMIUM,
  chromiumMissing,
  execute,
  operation,
  type BrowserSession,
  startBrowserSession,
} from './browser-helpers';

const ROOT = join(__dirname, '..', '..');
const SCREENSHOT = join(ROOT, 'test', 'artifacts', 'mfa-qr.png');
const USER = {
  username: 'two-factor',
  email: 'two-factor@example.com',
  password: 'a password that is no longer enough alone',
};

// Building and starting the app and chromium on a shared CI machine take a while.
jest.setTimeout(180_000);

if (chromiumMissing) {
  console.warn(
    `Skipping the second-factor browser test: ${CHROMIUM} is missing. Install Debian's chromium ` +
      '(`apt-get install chromium`); .ci/run installs it.',
  );
}
const describeWithChromium = chromiumMissing ? describe.skip : describe;

/**
 * Shows a data URL as an <img> right below the response Swagger UI shows for setupTotp, as a page offering the
 * QR code would, and answers its natural width once decoded (decode() rejects for an image that cannot load).
 */
function showQrCode(page: Page, dataUrl: string): Promise<number> {
  return operation(page, 'mfa', 'setupTotp')
    .locator('.live-responses-table .highlight-code')
    .evaluate(async (shown, src) => {
      const img = shown.ownerDocument.createElement('img');
      img.id = 'mfa-qr-code';
      img.alt = 'TOTP enrolment QR code';
      img.src = src;
      shown.after(img);
      await img.decode();
      return img.naturalWidth;
    }, dataUrl);
}

describeWithChromium('Second factor through Swagger UI in chromium', () => {
  let app: SpawnedApp | undefined;
  let session: BrowserSession | undefined;
  let page: Page;

  beforeAll(async () => {
    session = await startBrowserSession(await closedPort(), {
      // TOTP secrets are sealed under it; without it setup answers 503 in production.
      KEYS_ENCRYPTION_KEY: 'browser-test-keys-encryption-key-of-32-bytes-plus',
    });
    ({ app, page } = session);
  });

  afterAll(async () => {
    await session?.stop();
  });

  it('enrols TOTP from the UI with the QR code shown as an image, then a login is challenged and finished with a code', async () => {
    if (!app) throw new Error('beforeAll did not start the app');
    const registered = await fetch(`${app.url}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(USER),
    });
    expect(registered.status).toBe(201);

    await page.goto(`${app.url}/docs`);
    await operation(page, 'mfa', 'setupTotp').waitFor();

    const login = await execute(page, 'auth', 'login', {
      username: USER.username,
      password: USER.password,
    });
    expect(login.status).toBe(200);
    const password = JSON.parse(login.body) as { access_token: string };
    expect(claimsOf(password.access_token).amr).toEqual(['pwd']);
    await authorizeBearer(page, password.access_token);

    // Enrolment: the secret, its otpauth URI and the QR code as PNG and SVG.
    const setup = await execute(page, 'mfa', 'setupTotp');
    expect(setup.status).toBe(200);
    const enrolment = JSON.parse(setup.body) as {
      secret: string;
      otpauth_uri: string;
      qr_png: string;
      qr_svg: string;
    };
    expect(enrolment.secret).toMatch(/^[A-Z2-7]+=*$/);
    expect(enrolment.otpauth_uri).toMatch(/^otpauth:\/\/totp\//);
    expect(enrolment.otpauth_uri).toContain(`secret=${enrolment.secret}`);
    expect(enrolment.qr_png.startsWith('data:image/png;base64,')).toBe(true);
    expect(enrolment.qr_svg).toContain('<svg');

    // The QR code as an authenticator app would scan it: an image that loads, saved as a screenshot.
    await expect(showQrCode(page, enrolment.qr_png)).resolves.toBeGreaterThan(
      0,
    );
    const qr = page.locator('#mfa-qr-code');
    await qr.scrollIntoViewIfNeeded();
    mkdirSync(join(ROOT, 'test', 'artifacts'), { recursive: true });
    await operation(page, 'mfa', 'setupTotp')
      .locator('.live-responses-table')
      .screenshot({ path: SCREENSHOT });

    const secret = secretOf(enrolment.secret);
    const confirm = await execute(page, 'mfa', 'confirmTotp', {
      code: codeAt(secret, Date.now()),
    });
    expect(confirm.status).toBe(200);
    const confirmed = JSON.parse(confirm.body) as {
      recovery_codes: string[];
      access: { access_token: string };
    };
    expect(confirmed.recovery_codes).toHaveLength(10);
    expect(new Set(confirmed.recovery_codes).size).toBe(10);
    expect(claimsOf(confirmed.access.access_token).amr).toEqual(
      expect.arrayContaining(['otp', 'mfa']),
    );

    // Confirming voided the password-only token: the page goes on with the one the answer carried.
    expect((await execute(page, 'auth', 'getMe')).status).toBe(401);
    await authorizeBearer(page, confirmed.access.access_token);
    const me = await execute(page, 'auth', 'getMe');
    expect(me.status).toBe(200);
    expect(JSON.parse(me.body)).toMatchObject({
      username: USER.username,
      mfa_enabled: true,
    });

    // The password alone now answers a challenge, not tokens.
    const challenged = await execute(page, 'auth', 'login', {
      username: USER.username,
      password: USER.password,
    });
    expect(challenged.status).toBe(200);
    const challenge = JSON.parse(challenged.body) as Record<string, unknown>;
    expect(challenge).toMatchObject({
      mfa_required: true,
      mfa_token: expect.any(String) as unknown,
      methods: expect.arrayContaining(['totp']) as unknown,
    });
    expect(challenge).not.toHaveProperty('access_token');

    // The confirming code's step is spent, so finish with the next step's code (accepted one step either side).
    const verify = await execute(page, 'mfa', 'verifyMfa', {
      mfa_token: challenge.mfa_token,
      code: codeAt(secret, Date.now() + 30_000),
    });
    expect(verify.status).toBe(200);
    const tokens = JSON.parse(verify.body) as {
      access_token: string;
      refresh_token: string;
      token_type: string;
    };
    expect(tokens).toMatchObject({
      token_type: 'Bearer',
      access_token: expect.any(String) as unknown,
      refresh_token: expect.any(String) as unknown,
    });
    expect(claimsOf(tokens.access_token).amr).toEqual(['pwd', 'otp', 'mfa']);
  });
});
