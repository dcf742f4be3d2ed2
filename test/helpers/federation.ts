import type { Response, Test } from 'supertest';
import { signInAtProvider, type TestOidcProvider } from './oidc-provider';
import type { TestApp } from './test-app';

/** Where the test "client application" wants the browser back; nothing listens there. */
export const CLIENT_REDIRECT = 'https://app.example.test/signed-in';
/** Gatehouse's public URL in these specs: the provider sends the browser to PUBLIC_URL/auth/oidc/<name>/callback. */
export const PUBLIC_URL = 'http://gatehouse.test';

export const callbackUri = (name: string): string =>
  `${PUBLIC_URL}/auth/oidc/${name}/callback`;

/** The env that configures `provider` under `name` (and the allow-list) for createTestApp. */
export function providerEnv(
  provider: { issuer: string; clientId: string; clientSecret: string },
  name = 'test',
  extra: Record<string, string> = {},
): Record<string, string> {
  const prefix = `OIDC_${name.toUpperCase()}_`;
  return {
    OIDC_PROVIDERS: name,
    OIDC_ALLOWED_REDIRECTS: CLIENT_REDIRECT,
    PUBLIC_URL,
    RATE_LIMIT_MAX: '100000',
    [`${prefix}ISSUER`]: provider.issuer,
    [`${prefix}CLIENT_ID`]: provider.clientId,
    [`${prefix}CLIENT_SECRET`]: provider.clientSecret,
    ...extra,
  };
}

export interface StartedSignIn {
  /** The provider's authorization URL Gatehouse redirected to. */
  location: URL;
  /** `gatehouse_oidc=…`, as the browser would send it back. */
  cookie: string;
}

/** GET /auth/oidc/:name/start as a browser: the 302 to the provider and the binding cookie. */
export async function startSignIn(
  t: TestApp,
  name = 'test',
  query: Record<string, string> = { redirect_uri: CLIENT_REDIRECT },
): Promise<StartedSignIn> {
  const res = await t.http().get(`/auth/oidc/${name}/start`).query(query);
  if (res.status !== 302) {
    // Say why: readiness names the provider's state (e.g. "down (timeout)").
    const ready = await t.http().get('/health/ready');
    throw new Error(
      `start answered ${res.status} ${JSON.stringify(res.body)}; readiness: ${JSON.stringify(ready.body)}`,
    );
  }
  const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const cookie = setCookie.find((c) => c.startsWith('gatehouse_oidc='));
  if (!cookie) throw new Error('no binding cookie');
  return {
    location: new URL(res.headers.location),
    cookie: cookie.split(';')[0],
  };
}

/** The browser arrives at Gatehouse's callback (the URL the provider sent it to) with its cookie. */
export function arriveAtCallback(
  t: TestApp,
  callback: URL,
  cookie?: string,
): Promise<Response> {
  const req = t.http().get(callback.pathname + callback.search);
  return cookie ? req.set('cookie', cookie) : req;
}

/** Where Gatehouse's callback sent the browser (302 Location), as a URL. */
export function returnedTo(res: Response): URL {
  expect(res.status).toBe(302);
  return new URL(res.headers.location);
}

/** A whole sign-in through the provider as `login`, up to the URL the client gets back (code or error). */
export async function signInThrough(
  t: TestApp,
  login: string,
  name = 'test',
): Promise<URL> {
  const started = await startSignIn(t, name);
  const callback = await signInAtProvider(started.location.href, { login });
  return returnedTo(await arriveAtCallback(t, callback, started.cookie));
}

/** POST /auth/oidc/exchange. */
export function exchange(t: TestApp, code: string): Test {
  return t.http().post('/auth/oidc/exchange').send({ code });
}

/** Signs in through the provider and exchanges the code; the 200 body (tokens or the MFA challenge). */
export async function federatedTokens(
  t: TestApp,
  login: string,
  name = 'test',
): Promise<Record<string, unknown>> {
  const back = await signInThrough(t, login, name);
  const code = back.searchParams.get('code');
  if (!code) throw new Error(`no code: ${back.href}`);
  const res = await exchange(t, code).expect(200);
  return res.body as Record<string, unknown>;
}

export type { TestOidcProvider };
