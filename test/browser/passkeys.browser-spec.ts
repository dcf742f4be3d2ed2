import {
  type BrowserContext,
  type CDPSession,
  type Page,
} from 'playwright-core';
import { codeAt } from 'src/mfa/totp';
import { until } from '../helpers/eventually';
import { claimsOf } from '../helpers/jwt';
import { secretOf } from '../helpers/mfa';
import { closedPort } from '../helpers/smtp';
import type { SpawnedApp } from '../helpers/spawn-app';
import {
  addVirtualAuthenticator,
  cdpCredentialId,
  CHROMIUM,
  chromiumMissing,
  createCredential,
  getAssertion,
  type JsonAnswer,
  requestJson,
  type WebAuthnOutcome,
  type BrowserSession,
  startBrowserSession,
} from './browser-helpers';

const PASSWORD = 'a password that only starts the passkey tests';

// Building and starting the app and chromium on a shared CI machine take a while.
jest.setTimeout(180_000);

if (chromiumMissing) {
  console.warn(
    `Skipping the passkey browser test: ${CHROMIUM} is missing. Install Debian's chromium ` +
      '(`apt-get install chromium`); .ci/run installs it.',
  );
}
const describeWithChromium = chromiumMissing ? describe.skip : describe;

interface Ceremony {
  ceremony_id: string;
  options: Record<string, unknown> & {
    allowCredentials?: { id: string }[];
    excludeCredentials?: { id: string }[];
  };
}

interface Passkey {
  id: string;
  name: string;
  created_at: string;
  last_used_at: string | null;
  backed_up: boolean;
  device_type: string;
  transports: string[];
}

interface TokenPair {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
  refresh_expires_in: number;
}

interface Problem {
  status: number;
  code: string;
}

interface User {
  username: string;
  password: string;
}

/** The credential navigator.credentials answered, or a failure naming the DOMException it rejected with. */
function credentialOf(outcome: WebAuthnOutcome): Record<string, unknown> {
  if (outcome.error !== undefined)
    throw new Error(`the browser refused the ceremony: ${outcome.error}`);
  return outcome.credential;
}

describeWithChromium('Passkeys in chromium, virtual authenticator', () => {
  let app: SpawnedApp | undefined;
  let session: BrowserSession | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  let cdp: CDPSession;
  /** The platform authenticator every case starts from, emptied before each. */
  let authenticator: string;
  /** Authenticators a case added; removed after it. */
  const extraAuthenticators: string[] = [];
  let users = 0;
  /** Set once beforeAll has it all running, so the hooks below do not pile errors onto a failed start. */
  let ready = false;

  function call<T>(
    method: string,
    path: string,
    options: { token?: string; body?: unknown } = {},
  ): Promise<JsonAnswer<T>> {
    if (!app) throw new Error('beforeAll did not start the app');
    return requestJson<T>(app.url, method, path, options);
  }

  /** Registers a new user and answers it with a fresh password-only access token (fresh enough for step-up). */
  async function newUser(prefix: string): Promise<User & { access: string }> {
    users += 1;
    const user = { username: `${prefix}-${users}`, password: PASSWORD };
    const registered = await call('POST', '/auth/register', {
      body: { ...user, email: `${user.username}@example.com` },
    });
    expect(registered.status).toBe(201);
    return { ...user, access: await passwordLogin(user) };
  }

  async function passwordLogin(user: User): Promise<string> {
    const login = await call<TokenPair>('POST', '/auth/login', {
      body: { username: user.username, password: user.password },
    });
    expect(login.status).toBe(200);
    return login.body.access_token;
  }

  async function registrationOptions(access: string): Promise<Ceremony> {
    const started = await call<Ceremony>(
      'POST',
      '/auth/passkeys/register/options',
      { token: access, body: {} },
    );
    expect(started.status).toBe(200);
    return started.body;
  }

  /** A whole registration: options from the server, navigator.credentials.create, the result posted back. */
  async function registerPasskey(
    access: string,
    name?: string,
  ): Promise<Passkey & { credentialId: string; options: Ceremony['options'] }> {
    const { ceremony_id, options } = await registrationOptions(access);
    const credential = credentialOf(await createCredential(page, options));
    const registered = await call<Passkey>('POST', '/auth/passkeys/register', {
      token: access,
      body: { ceremony_id, response: credential, name },
    });
    expect(registered.status).toBe(201);
    return {
      ...registered.body,
      credentialId: credential.id as string,
      options,
    };
  }

  async function loginOptions(username?: string): Promise<Ceremony> {
    const started = await call<Ceremony>(
      'POST',
      '/auth/passkeys/login/options',
      { body: username === undefined ? {} : { username } },
    );
    expect(started.status).toBe(200);
    return started.body;
  }

  /** A usernameless sign-in's first half: the server's ceremony and what the authenticator signed for it. */
  async function usernamelessAssertion(): Promise<{
    ceremony_id: string;
    response: Record<string, unknown>;
  }> {
    const ceremony = await loginOptions();
    const response = credentialOf(await getAssertion(page, ceremony.options));
    return { ceremony_id: ceremony.ceremony_id, response };
  }

  function signIn(assertion: {
    ceremony_id: string;
    response: Record<string, unknown>;
  }): Promise<JsonAnswer<TokenPair & Problem>> {
    return call('POST', '/auth/passkeys/login', { body: assertion });
  }

  async function listPasskeys(access: string): Promise<Passkey[]> {
    const list = await call<{ items: Passkey[] }>('GET', '/auth/passkeys', {
      token: access,
    });
    expect(list.status).toBe(200);
    return list.body.items;
  }

  function expectRefused(
    answer: JsonAnswer<Partial<TokenPair> & Problem>,
  ): void {
    expect({ status: answer.status, code: answer.body.code }).toEqual({
      status: 401,
      code: 'PASSKEYS.AUTHENTICATION_FAILED',
    });
    expect(answer.body).not.toHaveProperty('access_token');
  }

  beforeAll(async () => {
    const port = await closedPort();
    // Chromium refuses 127.0.0.1 as an RP ID, so the page is on localhost; it reaches the app bound to 127.0.0.1.
    const origin = `http://localhost:${port}`;
    session = await startBrowserSession(port, {
      // TOTP secrets are sealed under it; without it setup answers 503 in production.
      KEYS_ENCRYPTION_KEY: 'browser-test-keys-encryption-key-of-32-bytes-plus',
      PASSKEYS: 'on',
      WEBAUTHN_RP_ID: 'localhost',
      WEBAUTHN_RP_NAME: 'Gatehouse',
      WEBAUTHN_ORIGINS: origin,
      // Every case signs users up and in from the one address; the per-IP limit is not under test here.
      RATE_LIMIT_MAX: '10000',
    });
    ({ app, context, page } = session);
    // Any page of the origin will do: the ceremonies run in page.evaluate, the server calls go from Node.
    await page.goto(`${origin}/health`);
    cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    authenticator = await addVirtualAuthenticator(cdp);
    ready = true;
  });

  beforeEach(async () => {
    if (!ready) return;
    await cdp.send('WebAuthn.clearCredentials', {
      authenticatorId: authenticator,
    });
  });

  afterEach(async () => {
    if (!ready) return;
    await cdp.send('WebAuthn.setUserVerified', {
      authenticatorId: authenticator,
      isUserVerified: true,
    });
    await cdp.send('WebAuthn.setResponseOverrideBits', {
      authenticatorId: authenticator,
      isBogusSignature: false,
      isBadUV: false,
      isBadUP: false,
    });
    for (const authenticatorId of extraAuthenticators.splice(0))
      await cdp.send('WebAuthn.removeVirtualAuthenticator', {
        authenticatorId,
      });
  });

  afterAll(async () => {
    await session?.stop();
  });

  it('registers a passkey and signs in with it without a username: /auth/me answers, amr is [hwk, user, mfa]', async () => {
    const alice = await newUser('alice');
    const registered = await registerPasskey(
      alice.access,
      'Chromium virtual authenticator',
    );
    expect(registered.options).toMatchObject({
      rp: { id: 'localhost', name: 'Gatehouse' },
      authenticatorSelection: {
        residentKey: 'preferred',
        userVerification: 'required',
      },
    });
    expect(registered).toMatchObject({
      id: expect.any(String) as unknown,
      name: 'Chromium virtual authenticator',
      created_at: expect.any(String) as unknown,
      last_used_at: null,
      backed_up: false,
      device_type: 'singleDevice',
      transports: expect.arrayContaining(['internal']) as unknown,
    });

    const ceremony = await loginOptions();
    expect(ceremony.options).toMatchObject({
      rpId: 'localhost',
      userVerification: 'required',
    });
    expect(ceremony.options.allowCredentials ?? []).toEqual([]);
    const response = credentialOf(await getAssertion(page, ceremony.options));
    expect(response.id).toBe(registered.credentialId);
    const login = await signIn({
      ceremony_id: ceremony.ceremony_id,
      response,
    });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({
      token_type: 'Bearer',
      access_token: expect.any(String) as unknown,
      refresh_token: expect.any(String) as unknown,
    });
    expect(claimsOf(login.body.access_token).amr).toEqual([
      'hwk',
      'user',
      'mfa',
    ]);
    const me = await call<{ username: string }>('GET', '/auth/me', {
      token: login.body.access_token,
    });
    expect(me.status).toBe(200);
    expect(me.body.username).toBe(alice.username);

    const [listed] = await listPasskeys(alice.access);
    expect(listed.id).toBe(registered.id);
    expect(listed.last_used_at).toEqual(expect.any(String));
    const renamed = await call<Passkey>(
      'PATCH',
      `/auth/passkeys/${listed.id}`,
      { token: alice.access, body: { name: 'Laptop' } },
    );
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('Laptop');
  });

  it('refuses an assertion posted a second time, and of two racing posts of one assertion exactly one signs in', async () => {
    const bob = await newUser('bob');
    await registerPasskey(bob.access);

    const assertion = await usernamelessAssertion();
    expect((await signIn(assertion)).status).toBe(200);
    expectRefused(await signIn(assertion));

    const raced = await usernamelessAssertion();
    const answers = await Promise.all([signIn(raced), signIn(raced)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401]);
  });

  it('with user verification failing on the authenticator, create and get reject with NotAllowedError and nothing is stored', async () => {
    const carol = await newUser('carol');
    await registerPasskey(carol.access);
    expect(await listPasskeys(carol.access)).toHaveLength(1);
    await cdp.send('WebAuthn.setUserVerified', {
      authenticatorId: authenticator,
      isUserVerified: false,
    });

    const { options } = await registrationOptions(carol.access);
    await expect(createCredential(page, options)).resolves.toEqual({
      error: 'NotAllowedError',
    });
    expect(await listPasskeys(carol.access)).toHaveLength(1);
    const credentials = await cdp.send('WebAuthn.getCredentials', {
      authenticatorId: authenticator,
    });
    expect(credentials.credentials).toHaveLength(1);

    const ceremony = await loginOptions();
    await expect(getAssertion(page, ceremony.options)).resolves.toEqual({
      error: 'NotAllowedError',
    });
  });

  it('refuses an assertion whose UV flag the authenticator left clear, though the signature over it is valid', async () => {
    const dave = await newUser('dave');
    await registerPasskey(dave.access);
    await cdp.send('WebAuthn.setResponseOverrideBits', {
      authenticatorId: authenticator,
      isBadUV: true,
    });
    expectRefused(await signIn(await usernamelessAssertion()));
  });

  it('refuses a corrupted signature without advancing the stored counter: the same counter value signs in afterwards', async () => {
    const erin = await newUser('erin');
    const { credentialId } = await registerPasskey(erin.access);
    const cdpId = cdpCredentialId(credentialId);
    const stored = await cdp.send('WebAuthn.getCredential', {
      authenticatorId: authenticator,
      credentialId: cdpId,
    });
    const [before] = await listPasskeys(erin.access);

    await cdp.send('WebAuthn.setResponseOverrideBits', {
      authenticatorId: authenticator,
      isBogusSignature: true,
    });
    expectRefused(await signIn(await usernamelessAssertion()));
    expect((await listPasskeys(erin.access))[0].last_used_at).toBe(
      before.last_used_at,
    );
    await cdp.send('WebAuthn.setResponseOverrideBits', {
      authenticatorId: authenticator,
      isBogusSignature: false,
    });

    // Wind the authenticator's counter back to before the refused assertion, so the next one carries the very
    // counter value the refused one did: it is accepted only if the server kept the counter it had.
    const windBack = async (): Promise<void> => {
      await cdp.send('WebAuthn.removeCredential', {
        authenticatorId: authenticator,
        credentialId: cdpId,
      });
      await cdp.send('WebAuthn.addCredential', {
        authenticatorId: authenticator,
        credential: stored.credential,
      });
    };
    await windBack();
    const accepted = await signIn(await usernamelessAssertion());
    expect(accepted.status).toBe(200);
    expect(claimsOf(accepted.body.access_token).amr).toEqual([
      'hwk',
      'user',
      'mfa',
    ]);
    expect((await listPasskeys(erin.access))[0].last_used_at).not.toBe(
      before.last_used_at,
    );

    // The counter rule is enforced at all: the same counter value a second time is refused now, and audited as a
    // possible copy of the credential (the audit trail is written in the background, within a second).
    await windBack();
    expectRefused(await signIn(await usernamelessAssertion()));
    await until('the clone suspicion reaches the audit trail', async () => {
      const events = await call<{ items: { type: string }[] }>(
        'GET',
        '/auth/me/events?type=passkey_clone_suspected',
        { token: erin.access },
      );
      return events.status === 200 && events.body.items.length === 1;
    });
  });

  it('finishes a password login as the second factor of a TOTP account, offering passkey among the methods', async () => {
    const frank = await newUser('frank');
    const { credentialId } = await registerPasskey(frank.access);
    const setup = await call<{ secret: string }>(
      'POST',
      '/auth/mfa/totp/setup',
      { token: frank.access, body: {} },
    );
    expect(setup.status).toBe(200);
    const confirmed = await call<{ recovery_codes: string[] }>(
      'POST',
      '/auth/mfa/totp/confirm',
      {
        token: frank.access,
        body: { code: codeAt(secretOf(setup.body.secret), Date.now()) },
      },
    );
    expect(confirmed.status).toBe(200);

    const challenged = await call<{
      mfa_required: boolean;
      mfa_token: string;
      methods: string[];
      passkey?: Ceremony;
    }>('POST', '/auth/login', {
      body: { username: frank.username, password: frank.password },
    });
    expect(challenged.status).toBe(200);
    expect(challenged.body).toMatchObject({
      mfa_required: true,
      mfa_token: expect.any(String) as unknown,
      methods: expect.arrayContaining(['totp', 'passkey']) as unknown,
    });
    expect(challenged.body).not.toHaveProperty('access_token');
    const ceremony = challenged.body.passkey;
    if (!ceremony) throw new Error('the challenge offered no passkey ceremony');
    expect(ceremony.options.allowCredentials?.map((c) => c.id)).toEqual([
      credentialId,
    ]);

    const response = credentialOf(await getAssertion(page, ceremony.options));
    const verified = await call<TokenPair>('POST', '/auth/mfa/verify', {
      body: {
        mfa_token: challenged.body.mfa_token,
        passkey: { ceremony_id: ceremony.ceremony_id, response },
      },
    });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({
      token_type: 'Bearer',
      access_token: expect.any(String) as unknown,
      refresh_token: expect.any(String) as unknown,
    });
    expect(claimsOf(verified.body.access_token).amr).toEqual(
      expect.arrayContaining(['pwd', 'hwk', 'mfa']),
    );
    const me = await call('GET', '/auth/me', {
      token: verified.body.access_token,
    });
    expect(me.status).toBe(200);
  });

  it('refuses the next assertion of a passkey deleted right after a password login', async () => {
    const grace = await newUser('grace');
    const passkey = await registerPasskey(grace.access);
    const access = await passwordLogin(grace);
    const deleted = await call('DELETE', `/auth/passkeys/${passkey.id}`, {
      token: access,
    });
    expect(deleted.status).toBe(204);
    expect(await listPasskeys(access)).toEqual([]);

    // The authenticator still holds the credential and signs with it; the server no longer knows it.
    const assertion = await usernamelessAssertion();
    expect(assertion.response.id).toBe(passkey.credentialId);
    expectRefused(await signIn(assertion));
  });

  it('registers a second passkey on a second authenticator, excluded from the first by excludeCredentials, and lists both', async () => {
    const heidi = await newUser('heidi');
    const first = await registerPasskey(heidi.access, 'Platform');
    const roaming = await addVirtualAuthenticator(cdp, 'usb');
    extraAuthenticators.push(roaming);

    const second = await registerPasskey(heidi.access, 'Security key');
    expect(second.options.excludeCredentials?.map((c) => c.id)).toEqual([
      first.credentialId,
    ]);
    const onRoaming = await cdp.send('WebAuthn.getCredentials', {
      authenticatorId: roaming,
    });
    expect(onRoaming.credentials.map((c) => c.credentialId)).toEqual([
      cdpCredentialId(second.credentialId),
    ]);
    const listed = await listPasskeys(heidi.access);
    expect(listed.map((p) => p.name).sort()).toEqual([
      'Platform',
      'Security key',
    ]);

    // Only the security key holds a credential now, so the sign-in below is the second passkey's.
    await cdp.send('WebAuthn.clearCredentials', {
      authenticatorId: authenticator,
    });
    const assertion = await usernamelessAssertion();
    expect(assertion.response.id).toBe(second.credentialId);
    expect((await signIn(assertion)).status).toBe(200);
  });

  it("refuses user A's credential answering user B's ceremony", async () => {
    const ivan = await newUser('ivan');
    const judy = await newUser('judy');
    const ivansKey = await registerPasskey(ivan.access);
    // Judy has a passkey of her own, so her ceremony names it; the authenticator keeps only Ivan's.
    const judysKey = await registerPasskey(judy.access);
    await cdp.send('WebAuthn.removeCredential', {
      authenticatorId: authenticator,
      credentialId: cdpCredentialId(judysKey.credentialId),
    });

    const ceremony = await loginOptions(judy.username);
    expect(ceremony.options.allowCredentials?.map((c) => c.id)).toEqual([
      judysKey.credentialId,
    ]);
    // Judy's challenge, but no allowCredentials: the authenticator answers with the one resident credential, Ivan's.
    const response = credentialOf(
      await getAssertion(page, { ...ceremony.options, allowCredentials: [] }),
    );
    expect(response.id).toBe(ivansKey.credentialId);
    expectRefused(
      await signIn({ ceremony_id: ceremony.ceremony_id, response }),
    );
  });
});
