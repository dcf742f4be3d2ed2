import { existsSync } from 'node:fs';
import type { Locator, Page } from 'playwright-core';

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
