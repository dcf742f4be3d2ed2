import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BrowserContext,
  chromium,
  type Locator,
  type Page,
} from 'playwright-core';
import { ensureBuilt } from '../helpers/spawn-app';
import {
  CHROMIUM,
  chromiumMissing,
  execute,
  FLAGS,
  operation,
  shownRequestBody,
} from './browser-helpers';

const ROOT = join(__dirname, '..', '..');
const PORT = 4601;
const BASE = `http://127.0.0.1:${PORT}`;
const SCREENSHOT = join(ROOT, 'test', 'artifacts', 'swagger-final.png');
const VERSION = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

// Starting the built app and chromium on a shared CI machine takes far longer than Jest's 5 s default.
jest.setTimeout(180_000);

if (chromiumMissing) {
  console.warn(
    `Skipping the Swagger UI browser test: ${CHROMIUM} is missing. Install Debian's chromium ` +
      '(`apt-get install chromium`); .ci/run installs it.',
  );
}
const describeWithChromium = chromiumMissing ? describe.skip : describe;

async function assertPortFree(port: number): Promise<void> {
  const server = createServer();
  server.listen(port, '127.0.0.1');
  try {
    await once(server, 'listening');
  } catch {
    throw new Error(
      `port ${port} is in use; the browser test starts Gatehouse there`,
    );
  }
  server.close();
  await once(server, 'close');
}

interface RunningApp {
  child: ChildProcess;
  output: () => string;
}

/** Starts dist/main.js as production runs it, on an in-memory PGlite, and waits until /health answers. */
async function startApp(): Promise<RunningApp> {
  const entry = ensureBuilt();
  await assertPortFree(PORT);
  const child = spawn(process.execPath, [entry], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      // Mail is the password-reset browser spec's concern; production would otherwise need SMTP_URL and APP_URL.
      EMAIL_FEATURES: 'off',
      PASSKEYS: 'off',
      HOST: '127.0.0.1',
      PORT: String(PORT),
      DATABASE_URL: 'pglite://memory',
      REDIS_URL: '',
      JWT_ALGORITHM: 'HS256',
      JWT_SECRET: 'browser-test-secret-that-is-at-least-32-bytes-long',
      DOCS_ENABLED: 'true',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`Gatehouse exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${BASE}/health`)).ok)
        return { child, output: () => output };
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  child.kill('SIGKILL');
  throw new Error(`Gatehouse did not answer /health in time:\n${output}`);
}

async function stopApp(app: RunningApp | undefined): Promise<void> {
  if (!app || app.child.exitCode !== null) return;
  const exited = once(app.child, 'exit');
  app.child.kill('SIGTERM');
  const timer = setTimeout(() => app.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Opens the Authorize dialog and returns the bearer scheme's part of it (the dialog lists one form per scheme).
 * `done` closes the dialog.
 */
async function openBearerAuthorization(
  page: Page,
): Promise<{ form: Locator; done: () => Promise<void> }> {
  await page.locator('.auth-wrapper .btn.authorize').click();
  const dialog = page.locator('.modal-ux');
  await dialog.waitFor();
  const form = dialog
    .locator('.auth-container')
    .filter({ has: page.locator('h4 code', { hasText: /^bearer$/ }) });
  await form.waitFor();
  return {
    form,
    done: () => dialog.locator('button.close-modal').click(),
  };
}

/** Pastes a bearer token into the Authorize dialog and closes it, leaving the padlock locked. */
async function authorizeWith(page: Page, token: string): Promise<void> {
  const authorize = await openBearerAuthorization(page);
  await authorize.form.locator('#auth-bearer-value').fill(token);
  await authorize.form
    .getByRole('button', { name: 'Apply credentials' })
    .click();
  await authorize.form
    .getByRole('button', { name: /Logout|Remove authorization/ })
    .waitFor();
  await authorize.done();
  await expect(
    page.locator('.auth-wrapper .btn.authorize').getAttribute('class'),
  ).resolves.toMatch(/\blocked\b/);
}

describeWithChromium('Swagger UI in chromium', () => {
  let app: RunningApp | undefined;
  let context: BrowserContext | undefined;
  let profile: string | undefined;
  let page: Page;
  const consoleErrors: string[] = [];
  const foreignRequests: string[] = [];

  beforeAll(async () => {
    app = await startApp();
    profile = mkdtempSync(join(tmpdir(), 'gatehouse-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1280, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) =>
      consoleErrors.push(`page error: ${error.message}`),
    );
    page.on('console', (message) => {
      // The 401 this test provokes is logged by Chrome as a failed resource load; everything else is a defect.
      if (message.type() === 'error' && !/status of 401/.test(message.text()))
        consoleErrors.push(message.text());
    });
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(`${BASE}/`) && !url.startsWith('data:'))
        foreignRequests.push(url);
    });
  });

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await stopApp(app);
  });

  it('registers, logs in, authorizes, calls protected routes, is forgotten on reload in production and logs out, all from the UI', async () => {
    const document = (await (await fetch(`${BASE}/docs-json`)).json()) as {
      tags: Array<{ name: string }>;
      paths: Record<string, Record<string, unknown>>;
    };
    await page.goto(`${BASE}/docs`);
    await operation(page, 'auth', 'register').waitFor();

    // Titled with the product and version; every route listed, grouped by the document's tags.
    expect(await page.title()).toContain(`Gatehouse ${VERSION}`);
    await expect(page.locator('.info .title').innerText()).resolves.toContain(
      'Gatehouse',
    );
    const version = await page.locator('.info .version').first().innerText();
    expect(version.trim()).toBe(VERSION);
    const tags = await page
      .locator('.opblock-tag-section .opblock-tag')
      .evaluateAll((els) => els.map((el) => el.getAttribute('data-tag')));
    expect(tags).toEqual(document.tags.map((tag) => tag.name));
    const operationCount = Object.values(document.paths).reduce(
      (n, item) => n + Object.keys(item).length,
      0,
    );
    await expect(page.locator('.opblock').count()).resolves.toBe(
      operationCount,
    );

    // Public routes show no lock; protected ones do.
    await expect(
      operation(page, 'auth', 'register')
        .locator('.authorization__btn')
        .count(),
    ).resolves.toBe(0);
    await expect(
      operation(page, 'auth', 'login').locator('.authorization__btn').count(),
    ).resolves.toBe(0);
    await expect(
      operation(page, 'auth', 'getMe').locator('.authorization__btn').count(),
    ).resolves.toBe(1);

    // Register and log in with the examples exactly as the page shows them.
    const register = await execute(page, 'auth', 'register');
    const registered = await shownRequestBody(page, 'auth', 'register');
    expect(register.status).toBe(201);
    expect(JSON.parse(register.body)).toMatchObject({
      username: registered.username,
      email: registered.email,
      roles: ['user'],
    });
    const login = await execute(page, 'auth', 'login');
    expect(await shownRequestBody(page, 'auth', 'login')).toEqual({
      username: registered.username,
      password: registered.password,
    });
    expect(login.status).toBe(200);
    const tokens = JSON.parse(login.body) as {
      access_token: string;
      token_type: string;
    };
    expect(tokens.token_type).toBe('Bearer');

    // Paste the access token into the Authorize dialog.
    await authorizeWith(page, tokens.access_token);

    const me = await execute(page, 'auth', 'getMe');
    expect(me.status).toBe(200);
    expect(JSON.parse(me.body)).toMatchObject({
      username: registered.username,
    });
    const sessions = await execute(page, 'sessions', 'listSessions');
    expect(sessions.status).toBe(200);
    expect(JSON.parse(sessions.body)).toEqual([
      expect.objectContaining({ current: true }),
    ]);

    // NODE_ENV=production: no persistAuthorization, so the bearer token never reaches localStorage, where any
    // script on this origin could read it, and a reload forgets it.
    const stored = await page.context().storageState();
    expect(JSON.stringify(stored.origins)).not.toContain(tokens.access_token);
    await page.reload();
    await operation(page, 'auth', 'getMe').waitFor();
    await expect(
      page.locator('.auth-wrapper .btn.authorize').getAttribute('class'),
    ).resolves.toMatch(/\bunlocked\b/);
    expect((await execute(page, 'auth', 'getMe')).status).toBe(401);
    await authorizeWith(page, tokens.access_token);
    const afterReload = await execute(page, 'auth', 'getMe');
    expect(afterReload.status).toBe(200);

    // Log out in the dialog: the same protected call now shows 401 as problem details.
    const again = await openBearerAuthorization(page);
    await again.form
      .getByRole('button', { name: /Logout|Remove authorization/ })
      .click();
    await again.done();
    await expect(
      page.locator('.auth-wrapper .btn.authorize').getAttribute('class'),
    ).resolves.toMatch(/\bunlocked\b/);
    const anonymous = await execute(page, 'auth', 'getMe');
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.body)).toMatchObject({
      status: 401,
      code: 'AUTH.TOKEN_MISSING',
    });
    await expect(
      operation(page, 'auth', 'getMe')
        .locator('.live-responses-table')
        .innerText(),
    ).resolves.toContain('application/problem+json');

    // The helmet CSP lets Swagger UI run, and the docs call nothing but this server.
    expect(consoleErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);

    // The final page from its title down to the 401 just shown (the whole page is too tall to read).
    await page.evaluate('window.scrollTo(0, 0)');
    const shown = await operation(page, 'auth', 'getMe')
      .locator('.live-responses-table')
      .boundingBox();
    mkdirSync(join(ROOT, 'test', 'artifacts'), { recursive: true });
    await page.screenshot({
      path: SCREENSHOT,
      fullPage: true,
      clip: {
        x: 0,
        y: 0,
        width: 1280,
        height: Math.ceil((shown?.y ?? 0) + (shown?.height ?? 900) + 24),
      },
    });
  });
});
