import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BrowserContext,
  type CDPSession,
  chromium,
  type Locator,
  type Page,
} from 'playwright-core';
import { type SpawnedApp, spawnApp } from '../helpers/spawn-app';

/** Debian's chromium, driven by playwright-core; .ci/run installs it. */
export const CHROMIUM = '/usr/bin/chromium';
export const chromiumMissing = !existsSync(CHROMIUM);
export const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface ShownResponse {
  status: number;
  body: string;
}

export function operation(
  page: Page,
  tag: string,
  operationId: string,
): Locator {
  return page.locator(`#operations-${tag}-${operationId}`);
}

/**
 * Expands an operation, presses "Try it out" (unless pressed already), types `body` into the request body editor
 * when given (else sends what the editor holds), presses "Execute", and reads the response Swagger UI shows (body
 * '' when it shows none).
 */
export async function execute(
  page: Page,
  tag: string,
  operationId: string,
  body?: Record<string, unknown>,
): Promise<ShownResponse> {
  const op = operation(page, tag, operationId);
  if (!(await op.getAttribute('class'))?.includes('is-open'))
    await op.locator('.opblock-summary-control').click();
  // The toggle reads "Try it out" or "Cancel": waiting for it means the expanded block has rendered, so a block
  // still opening is not mistaken for one already in "Try it out" mode (whose Execute button would never come).
  const toggle = op.getByRole('button', { name: /^(Try it out|Cancel)$/ });
  await toggle.waitFor();
  if ((await toggle.innerText()).trim() === 'Try it out') await toggle.click();
  const clear = op.getByRole('button', { name: 'Clear' });
  if (await clear.count()) await clear.click();
  if (body)
    await op
      .locator('textarea.body-param__text')
      .fill(JSON.stringify(body, null, 2));
  await op.getByRole('button', { name: 'Execute' }).click();
  const live = op.locator('.live-responses-table');
  await live.waitFor();
  // A 204 has no body, so Swagger UI shows no code block for it.
  const shownBody = live.locator('.highlight-code pre.microlight');
  return {
    status: Number(
      await live.locator('tbody .response-col_status').innerText(),
    ),
    body: (await shownBody.count()) ? await shownBody.innerText() : '',
  };
}

/** The JSON Swagger UI pre-filled in an operation's request body editor. */
export async function shownRequestBody(
  page: Page,
  tag: string,
  operationId: string,
): Promise<Record<string, unknown>> {
  const editor = operation(page, tag, operationId).locator(
    'textarea.body-param__text',
  );
  return JSON.parse(await editor.inputValue()) as Record<string, unknown>;
}

/**
 * Pastes a bearer token into the Authorize dialog (logging out a token pasted before, so a re-authorization
 * replaces it) and closes the dialog once Swagger UI has applied it.
 */
export async function authorizeBearer(
  page: Page,
  token: string,
): Promise<void> {
  await page.locator('.auth-wrapper .btn.authorize').click();
  const dialog = page.locator('.modal-ux');
  await dialog.waitFor();
  const form = dialog
    .locator('.auth-container')
    .filter({ has: page.locator('h4 code', { hasText: /^bearer$/ }) });
  await form.waitFor();
  const logout = form.getByRole('button', {
    name: /Logout|Remove authorization/,
  });
  if (await logout.count()) await logout.click();
  await form.locator('#auth-bearer-value').fill(token);
  await form.getByRole('button', { name: 'Apply credentials' }).click();
  await logout.waitFor();
  await dialog.locator('button.close-modal').click();
  await dialog.waitFor({ state: 'hidden' });
}

/**
 * Adds a DevTools Protocol virtual authenticator to the page's browser: CTAP2, resident keys, user verification
 * that succeeds, and presence simulated so no prompt waits for a touch. Chromium allows one `internal` (platform)
 * authenticator at a time; a second one has to be a roaming one (`usb`). WebAuthn.enable must have been sent.
 */
export async function addVirtualAuthenticator(
  cdp: CDPSession,
  transport: 'internal' | 'usb' = 'internal',
): Promise<string> {
  const { authenticatorId } = await cdp.send(
    'WebAuthn.addVirtualAuthenticator',
    {
      options: {
        protocol: 'ctap2',
        transport,
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    },
  );
  return authenticatorId;
}

/** What navigator.credentials answered: the credential's toJSON(), or the name of the DOMException it rejected with. */
export type WebAuthnOutcome =
  | { credential: Record<string, unknown>; error?: undefined }
  | { credential?: undefined; error: string };

/** The part of the browser's WebAuthn API page.evaluate calls; tsconfig has no DOM lib for the Node side. */
interface BrowserWebAuthn {
  PublicKeyCredential: {
    parseCreationOptionsFromJSON(json: unknown): unknown;
    parseRequestOptionsFromJSON(json: unknown): unknown;
  };
  navigator: {
    credentials: {
      create(options: {
        publicKey: unknown;
      }): Promise<BrowserCredential | null>;
      get(options: { publicKey: unknown }): Promise<BrowserCredential | null>;
    };
  };
}

interface BrowserCredential {
  toJSON(): Record<string, unknown>;
}

/**
 * Runs navigator.credentials.create in the page with PublicKeyCredentialCreationOptionsJSON as the server sent
 * them; the answer is the RegistrationResponseJSON to post back.
 */
export function createCredential(
  page: Page,
  options: unknown,
): Promise<WebAuthnOutcome> {
  return page.evaluate(async (json): Promise<WebAuthnOutcome> => {
    const browser = globalThis as unknown as BrowserWebAuthn;
    try {
      const credential = await browser.navigator.credentials.create({
        publicKey:
          browser.PublicKeyCredential.parseCreationOptionsFromJSON(json),
      });
      return credential
        ? { credential: credential.toJSON() }
        : { error: 'null' };
    } catch (error) {
      return { error: (error as { name: string }).name };
    }
  }, options);
}

/**
 * Runs navigator.credentials.get in the page with PublicKeyCredentialRequestOptionsJSON as the server sent them;
 * the answer is the AuthenticationResponseJSON to post back.
 */
export function getAssertion(
  page: Page,
  options: unknown,
): Promise<WebAuthnOutcome> {
  return page.evaluate(async (json): Promise<WebAuthnOutcome> => {
    const browser = globalThis as unknown as BrowserWebAuthn;
    try {
      const credential = await browser.navigator.credentials.get({
        publicKey:
          browser.PublicKeyCredential.parseRequestOptionsFromJSON(json),
      });
      return credential
        ? { credential: credential.toJSON() }
        : { error: 'null' };
    } catch (error) {
      return { error: (error as { name: string }).name };
    }
  }, options);
}

/** The DevTools Protocol names a credential by its id in standard base64; WebAuthn JSON uses base64url. */
export function cdpCredentialId(base64url: string): string {
  return Buffer.from(base64url, 'base64url').toString('base64');
}

export interface JsonAnswer<T> {
  status: number;
  body: T;
}

/** Calls the app from the test's Node side: a JSON body and a bearer token when given, the answer parsed ({} if empty). */
export async function requestJson<T>(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
): Promise<JsonAnswer<T>> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
}

export interface BrowserSession {
  app: SpawnedApp;
  context: BrowserContext;
  page: Page;
  /** Closes Chromium, stops the app and removes their temporary folders. */
  stop(): Promise<void>;
}

/**
 * The built app (`node dist/main.js`) on `port` in production mode, on in-memory PGlite with a temporary DATA_DIR,
 * mail and passkeys off unless `env` turns them on, and a headless Chromium with one page.
 */
export async function startBrowserSession(
  port: number,
  env: Record<string, string>,
): Promise<BrowserSession> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-browser-data-'));
  const profile = mkdtempSync(join(tmpdir(), 'gatehouse-chromium-'));
  let app: SpawnedApp | undefined;
  let context: BrowserContext | undefined;
  const stop = async (): Promise<void> => {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
    await app?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    app = await spawnApp(
      port,
      {
        NODE_ENV: 'production',
        EMAIL_FEATURES: 'off',
        PASSKEYS: 'off',
        DATABASE_URL: 'pglite://memory',
        DATA_DIR: dataDir,
        JWT_ALGORITHM: 'HS256',
        JWT_SECRET: 'browser-test-secret-that-is-at-least-32-bytes-long',
        DOCS_ENABLED: 'true',
        LOG_LEVEL: 'warn',
        ...env,
      },
      { timeoutMs: 120_000 },
    );
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1280, height: 900 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    return { app, context, page, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
