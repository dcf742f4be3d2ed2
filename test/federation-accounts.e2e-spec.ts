import { createAppWithAdmin, loginAdmin } from './helpers/admin';
import {
  arriveAtCallback,
  callbackUri,
  CLIENT_REDIRECT,
  exchange,
  federatedTokens,
  providerEnv,
  returnedTo,
  signInThrough,
} from './helpers/federation';
import { bearer, expectProblem } from './helpers/http';
import { claimsOf } from './helpers/jwt';
import { codeFor, enrolTotp } from './helpers/mfa';
import {
  signInAtProvider,
  startOidcProvider,
  type TestOidcProvider,
} from './helpers/oidc-provider';
import { closedPort } from './helpers/smtp';
import {
  createTestApp,
  registerAndLogin,
  type TestApp,
} from './helpers/test-app';

jest.setTimeout(60_000);

const ACCOUNTS = {
  carol: {
    sub: 'carol-sub',
    email: 'carol@provider.test',
    email_verified: true,
  },
  erin: { sub: 'erin-sub', email: 'erin@provider.test', email_verified: true },
  frank: {
    sub: 'frank-sub',
    email: 'frank@provider.test',
    email_verified: true,
  },
};

/** Starts a link of the provider account to the signed-in holder of `access`, and signs in at the provider as `login`. */
async function link(t: TestApp, access: string, login: string): Promise<URL> {
  const res = await t
    .http()
    .post('/auth/oidc/test/link/start')
    .set(...bearer(access))
    .send({ redirect_uri: CLIENT_REDIRECT, state: 'link-1' })
    .expect(200);
  const cookie = ([] as string[])
    .concat(res.headers['set-cookie'])
    .find((c) => c.startsWith('gatehouse_oidc='))!
    .split(';')[0];
  const callback = await signInAtProvider(
    res.body.authorization_url as string,
    { login },
  );
  return returnedTo(await arriveAtCallback(t, callback, cookie));
}

describe('Provider identities: linking, unlinking, MFA policy', () => {
  let idp: TestOidcProvider;
  let t: TestApp;

  beforeAll(async () => {
    idp = await startOidcProvider({
      redirectUris: [callbackUri('test')],
      accounts: ACCOUNTS,
    });
    t = await createTestApp(providerEnv(idp));
  });

  afterAll(async () => {
    await t?.close();
    await idp?.stop();
  });

  afterEach(() => t.clock.reset());

  it('links a provider account to a signed-in account after step-up; the provider then signs into it', async () => {
    const { id, access } = await registerAndLogin(t);
    const back = await link(t, access, 'carol');
    expect(back.searchParams.get('linked')).toBe('test');
    expect(back.searchParams.get('state')).toBe('link-1');
    expect(back.searchParams.get('code')).toBeNull();
    const tokens = await federatedTokens(t, 'carol');
    expect(claimsOf(tokens.access_token as string).sub).toBe(id);
    const list = await t
      .http()
      .get('/auth/identities')
      .set(...bearer(access))
      .expect(200);
    expect(list.body.items).toEqual([
      expect.objectContaining({ provider: 'test', subject: 'carol-sub' }),
    ]);
  });

  it('asks for step-up before a link, and refuses one without a token', async () => {
    const { access } = await registerAndLogin(t);
    t.clock.advance(600);
    const res = await t
      .http()
      .post('/auth/oidc/test/link/start')
      .set(...bearer(access))
      .send({ redirect_uri: CLIENT_REDIRECT });
    expectProblem(res, 401, 'AUTH.STEP_UP_REQUIRED');
    t.clock.reset();
    await t
      .http()
      .post('/auth/oidc/test/link/start')
      .send({ redirect_uri: CLIENT_REDIRECT })
      .expect(401);
    await t.http().get('/auth/identities').expect(401);
  });

  it('does not link a provider account whose email the provider did not verify', async () => {
    const { access } = await registerAndLogin(t);
    const back = await link(t, access, 'bob');
    expect(back.searchParams.get('error')).toBe('email_not_verified');
    const list = await t
      .http()
      .get('/auth/identities')
      .set(...bearer(access))
      .expect(200);
    expect(list.body.items).toEqual([]);
  });

  it('does not link a provider account that signs into another account already', async () => {
    await federatedTokens(t, 'frank');
    const { access } = await registerAndLogin(t);
    const back = await link(t, access, 'frank');
    expect(back.searchParams.get('error')).toBe('identity_in_use');
  });

  it('unlinks an identity of an account with a password; refuses to unlink the last way to sign in', async () => {
    const { access } = await registerAndLogin(t);
    await link(t, access, 'erin');
    const [identity] = (
      await t
        .http()
        .get('/auth/identities')
        .set(...bearer(access))
        .expect(200)
    ).body.items as { id: string }[];
    await t
      .http()
      .delete(`/auth/identities/${identity.id}`)
      .set(...bearer(access))
      .expect(204);
    expectProblem(
      await t
        .http()
        .delete(`/auth/identities/${identity.id}`)
        .set(...bearer(access)),
      404,
      'FEDERATION.IDENTITY_NOT_FOUND',
    );

    // An account the provider made has no password: its only identity stays.
    const tokens = await federatedTokens(t, 'alice');
    const own = tokens.access_token as string;
    const [only] = (
      await t
        .http()
        .get('/auth/identities')
        .set(...bearer(own))
        .expect(200)
    ).body.items as { id: string }[];
    expectProblem(
      await t
        .http()
        .delete(`/auth/identities/${only.id}`)
        .set(...bearer(own)),
      409,
      'FEDERATION.LAST_SIGN_IN_METHOD',
    );
    await federatedTokens(t, 'alice');
    // Someone else's identity id is not found for this caller.
    expectProblem(
      await t
        .http()
        .delete(`/auth/identities/${only.id}`)
        .set(...bearer(access)),
      404,
    );
  });

  it('gives an account with a second factor the MFA challenge after the provider (TRUST_MFA false)', async () => {
    const tokens = await federatedTokens(t, 'erin');
    const enrolled = await enrolTotp(t, tokens.access_token as string);
    const answer = await federatedTokens(t, 'erin');
    expect(answer).toMatchObject({ mfa_required: true });
    expect(answer.access_token).toBeUndefined();
    const verified = await t
      .http()
      .post('/auth/mfa/verify')
      .send({ mfa_token: answer.mfa_token, code: codeFor(t, enrolled.secret) })
      .expect(200);
    expect(claimsOf(verified.body.access_token as string).amr).toEqual([
      'fed',
      'otp',
      'mfa',
    ]);
  });
});

describe('Provider policy and availability', () => {
  let idp: TestOidcProvider;

  beforeAll(async () => {
    idp = await startOidcProvider({
      redirectUris: [callbackUri('test'), callbackUri('trusted')],
      accounts: ACCOUNTS,
    });
  });
  afterAll(() => idp?.stop());

  it('takes a trusted provider’s sign-in as both factors (TRUST_MFA true): no challenge, amr fed mfa', async () => {
    const t = await createTestApp(
      providerEnv(idp, 'trusted', { OIDC_TRUSTED_TRUST_MFA: 'true' }),
    );
    try {
      const tokens = await federatedTokens(t, 'carol', 'trusted');
      await enrolTotp(t, tokens.access_token as string);
      const again = await federatedTokens(t, 'carol', 'trusted');
      expect(again.mfa_required).toBeUndefined();
      expect(claimsOf(again.access_token as string).amr).toEqual([
        'fed',
        'mfa',
      ]);
    } finally {
      await t.close();
    }
  });

  it('reports a provider that cannot be discovered in readiness and answers 503 on its routes; the other works', async () => {
    const down = `http://127.0.0.1:${await closedPort()}`;
    const t = await createTestApp({
      ...providerEnv(idp),
      OIDC_PROVIDERS: 'test,down',
      OIDC_DOWN_ISSUER: down,
      OIDC_DOWN_CLIENT_ID: 'x',
      OIDC_DOWN_CLIENT_SECRET: 'y',
    });
    try {
      const ready = await t.http().get('/health/ready');
      expectProblem(ready, 503, 'SERVICE_UNAVAILABLE');
      expect(ready.body.detail).toContain('oidc_providers');
      const res = await t
        .http()
        .get('/auth/oidc/down/start')
        .query({ redirect_uri: CLIENT_REDIRECT });
      expectProblem(res, 503, 'FEDERATION.PROVIDER_UNAVAILABLE');
      expect(res.headers['retry-after']).toBe('30');
      const back = await signInThrough(t, 'alice');
      expect(back.searchParams.get('code')).toBeTruthy();
      await t.http().get('/health/live').expect(200);
    } finally {
      await t.close();
    }
  });

  it('sends a disabled account back with access_denied, and its unexchanged code stops working', async () => {
    const t = await createAppWithAdmin(providerEnv(idp));
    try {
      const tokens = await federatedTokens(t, 'carol');
      const pending = (await signInThrough(t, 'carol')).searchParams.get(
        'code',
      )!;
      const admin = await loginAdmin(t);
      await t
        .http()
        .patch(`/users/${claimsOf(tokens.access_token as string).sub}`)
        .set(...bearer(admin.access))
        .send({ disabled: true })
        .expect(200);
      const back = await signInThrough(t, 'carol');
      expect(back.searchParams.get('error')).toBe('access_denied');
      expectProblem(await exchange(t, pending), 401, 'FEDERATION.INVALID_CODE');
    } finally {
      await t.close();
    }
  });

  it('does not create accounts while registration is closed (registration_closed)', async () => {
    const t = await createTestApp(
      providerEnv(idp, 'test', { AUTH_REGISTRATION: 'closed' }),
    );
    try {
      const back = await signInThrough(t, 'alice');
      expect(back.searchParams.get('error')).toBe('registration_closed');
      expect(back.searchParams.get('code')).toBeNull();
    } finally {
      await t.close();
    }
  });

  it('refuses to start with a provider missing its keys, naming the key', async () => {
    await expect(
      createTestApp({ OIDC_PROVIDERS: 'acme', OIDC_ACME_ISSUER: idp.issuer }),
    ).rejects.toThrow(/OIDC_ACME_CLIENT_ID: required/);
  });
});
