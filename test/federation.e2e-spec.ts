import { AuditQueryService } from 'src/audit/audit-query.service';
import {
  arriveAtCallback,
  callbackUri,
  CLIENT_REDIRECT,
  exchange,
  federatedTokens,
  providerEnv,
  returnedTo,
  signInThrough,
  startSignIn,
} from './helpers/federation';
import { bearer, expectProblem } from './helpers/http';
import { claimsOf } from './helpers/jwt';
import {
  signInAtProvider,
  startOidcProvider,
  type TestOidcProvider,
} from './helpers/oidc-provider';
import { createTestApp, newUser, type TestApp } from './helpers/test-app';

jest.setTimeout(60_000);

/** Sign-in through a real OpenID provider (oidc-provider in a child process), as a browser does it. */
describe('Sign-in through an external OpenID provider', () => {
  let idp: TestOidcProvider;
  let t: TestApp;

  beforeAll(async () => {
    idp = await startOidcProvider({
      redirectUris: [callbackUri('test')],
      accounts: {
        dave: {
          sub: 'dave-sub',
          email: 'dave@provider.test',
          email_verified: true,
          name: 'Dave',
        },
      },
    });
    t = await createTestApp(providerEnv(idp));
  });

  afterAll(async () => {
    await t?.close();
    await idp?.stop();
  });

  it('redirects to the provider with PKCE S256, state, nonce and a binding cookie', async () => {
    const started = await startSignIn(t, 'test', {
      redirect_uri: CLIENT_REDIRECT,
      state: 'client-state-1',
    });
    expect(started.location.origin).toBe(idp.issuer);
    const params = started.location.searchParams;
    expect(params.get('client_id')).toBe(idp.clientId);
    expect(params.get('redirect_uri')).toBe(callbackUri('test'));
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('state')).not.toBe('client-state-1');
    expect(params.get('nonce')).toBeTruthy();
    const res = await t
      .http()
      .get('/auth/oidc/test/start')
      .query({ redirect_uri: CLIENT_REDIRECT });
    const cookie = ([] as string[]).concat(res.headers['set-cookie'])[0];
    expect(cookie).toMatch(
      /^gatehouse_oidc=[^;]+; Path=\/auth\/oidc; Max-Age=600; HttpOnly; Secure; SameSite=Lax$/,
    );
  });

  it('creates an account on the first sign-in and finds it on the second; tokens carry amr fed', async () => {
    const back = await signInThrough(t, 'alice');
    expect(back.origin + back.pathname).toBe(CLIENT_REDIRECT);
    expect(back.searchParams.get('error')).toBeNull();
    const first = await exchange(t, back.searchParams.get('code')!).expect(200);
    const access = first.body.access_token as string;
    expect(claimsOf(access).amr).toEqual(['fed']);
    const me = await t
      .http()
      .get('/auth/me')
      .set(...bearer(access))
      .expect(200);
    // The provider verified the address: it is copied, verified.
    expect(me.body).toMatchObject({
      email: 'alice@provider.test',
      email_verified: true,
    });
    expect(me.body.username).toMatch(/^alice/);

    const again = await federatedTokens(t, 'alice');
    expect(claimsOf(again.access_token as string).sub).toBe(me.body.id);
    const identities = await t
      .http()
      .get('/auth/identities')
      .set(...bearer(access))
      .expect(200);
    expect(identities.body.items).toEqual([
      expect.objectContaining({
        provider: 'test',
        issuer: idp.issuer,
        subject: 'alice-sub',
        email: 'alice@provider.test',
        last_used_at: expect.any(String),
      }),
    ]);
  });

  it('echoes the client state and never puts a token in the URL', async () => {
    const started = await startSignIn(t, 'test', {
      redirect_uri: CLIENT_REDIRECT,
      state: 'xyz-123',
    });
    const callback = await signInAtProvider(started.location.href, {
      login: 'alice',
    });
    const back = returnedTo(
      await arriveAtCallback(t, callback, started.cookie),
    );
    expect(back.searchParams.get('state')).toBe('xyz-123');
    expect([...back.searchParams.keys()].sort()).toEqual(['code', 'state']);
    expect(back.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('does not take an unverified provider email: a new account without an address, the holder untouched', async () => {
    const holder = { ...newUser('holder'), email: 'bob@provider.test' };
    await t.http().post('/auth/register').send(holder).expect(201);
    const tokens = await federatedTokens(t, 'bob');
    const me = await t
      .http()
      .get('/auth/me')
      .set(...bearer(tokens.access_token as string))
      .expect(200);
    expect(me.body.email).toBeNull();
    expect(me.body.username).not.toBe(holder.username);
    expect(me.body.email_verified).toBe(false);
  });

  it('refuses to take over an account by a verified email: account_exists, no code', async () => {
    await t
      .http()
      .post('/auth/register')
      .send({ ...newUser('davehome'), email: 'dave@provider.test' })
      .expect(201);
    const back = await signInThrough(t, 'dave');
    expect(back.searchParams.get('error')).toBe('account_exists');
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('answers 400 at start for a redirect_uri not on the allow-list (no open redirect)', async () => {
    for (const redirect of [
      'https://evil.example/steal',
      `${CLIENT_REDIRECT}/../elsewhere`,
      `${CLIENT_REDIRECT}?x=1`,
      'javascript:alert(1)',
    ]) {
      const res = await t
        .http()
        .get('/auth/oidc/test/start')
        .query({ redirect_uri: redirect });
      expectProblem(res, 400, 'FEDERATION.REDIRECT_NOT_ALLOWED');
      expect(res.headers.location).toBeUndefined();
    }
    expectProblem(await t.http().get('/auth/oidc/test/start'), 400);
  });

  it('answers 404 for a provider that is not configured', async () => {
    const res = await t
      .http()
      .get('/auth/oidc/nope/start')
      .query({ redirect_uri: CLIENT_REDIRECT });
    expectProblem(res, 404, 'FEDERATION.UNKNOWN_PROVIDER');
  });

  it('sends a wrong state back as an error, and the flow is spent', async () => {
    const started = await startSignIn(t);
    const callback = await signInAtProvider(started.location.href, {
      login: 'alice',
    });
    callback.searchParams.set('state', 'forged-state');
    const back = returnedTo(
      await arriveAtCallback(t, callback, started.cookie),
    );
    expect(back.searchParams.get('error')).toBe('invalid_state');
    expect(back.searchParams.get('code')).toBeNull();
    // The right state afterwards finds no flow: the first callback spent it.
    callback.searchParams.set(
      'state',
      started.location.searchParams.get('state')!,
    );
    expectProblem(
      await arriveAtCallback(t, callback, started.cookie),
      400,
      'FEDERATION.NO_SIGN_IN_IN_PROGRESS',
    );
  });

  it('refuses an ID token whose nonce is not the one sent (invalid_response)', async () => {
    const started = await startSignIn(t);
    const tampered = new URL(started.location.href);
    tampered.searchParams.set('nonce', 'a-different-nonce');
    const callback = await signInAtProvider(tampered.href, { login: 'alice' });
    const back = returnedTo(
      await arriveAtCallback(t, callback, started.cookie),
    );
    expect(back.searchParams.get('error')).toBe('invalid_response');
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('refuses a code whose PKCE challenge was not made from the verifier (invalid_grant)', async () => {
    const started = await startSignIn(t);
    const tampered = new URL(started.location.href);
    tampered.searchParams.set('code_challenge', 'A'.repeat(43));
    const callback = await signInAtProvider(tampered.href, { login: 'alice' });
    const back = returnedTo(
      await arriveAtCallback(t, callback, started.cookie),
    );
    expect(back.searchParams.get('error')).toBe('invalid_grant');
  });

  it('refuses a provider code used before, even under a new flow (invalid_grant)', async () => {
    const first = await startSignIn(t);
    const callback = await signInAtProvider(first.location.href, {
      login: 'alice',
    });
    expect(
      returnedTo(
        await arriveAtCallback(t, callback, first.cookie),
      ).searchParams.get('code'),
    ).toBeTruthy();
    // Same code, replayed with a fresh flow's state and cookie: the provider refuses it.
    const second = await startSignIn(t);
    callback.searchParams.set(
      'state',
      second.location.searchParams.get('state')!,
    );
    const back = returnedTo(await arriveAtCallback(t, callback, second.cookie));
    expect(back.searchParams.get('error')).toBe('invalid_grant');
  });

  it('passes access_denied back when the user cancels at the provider', async () => {
    const started = await startSignIn(t, 'test', {
      redirect_uri: CLIENT_REDIRECT,
      state: 's1',
    });
    const callback = await signInAtProvider(started.location.href, {
      login: 'alice',
      deny: true,
    });
    const back = returnedTo(
      await arriveAtCallback(t, callback, started.cookie),
    );
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe('s1');
  });

  it('answers a callback without its browser cookie with a problem, not a redirect', async () => {
    const started = await startSignIn(t);
    const callback = await signInAtProvider(started.location.href, {
      login: 'alice',
    });
    const res = await arriveAtCallback(t, callback);
    expectProblem(res, 400, 'FEDERATION.NO_SIGN_IN_IN_PROGRESS');
    expect(res.headers.location).toBeUndefined();
    // Another browser's cookie (a different flow's secret) does not finish it either.
    const other = await startSignIn(t);
    const forged = `${started.cookie.split('.')[0]}.${other.cookie.split('.')[1]}`;
    const back = returnedTo(await arriveAtCallback(t, callback, forged));
    expect(back.searchParams.get('error')).toBe('invalid_request');
  });

  it('accepts the one-time code once: the second exchange is 401', async () => {
    const back = await signInThrough(t, 'alice');
    const code = back.searchParams.get('code')!;
    const [a, b] = await Promise.all([exchange(t, code), exchange(t, code)]);
    expect([a.status, b.status].sort()).toEqual([200, 401]);
    expectProblem(await exchange(t, code), 401, 'FEDERATION.INVALID_CODE');
  });

  it('refuses an expired code, an unknown one and a malformed body', async () => {
    const back = await signInThrough(t, 'alice');
    t.clock.advance(31);
    try {
      expectProblem(
        await exchange(t, back.searchParams.get('code')!),
        401,
        'FEDERATION.INVALID_CODE',
      );
    } finally {
      t.clock.reset();
    }
    expectProblem(
      await exchange(t, 'x'.repeat(43)),
      401,
      'FEDERATION.INVALID_CODE',
    );
    expectProblem(await t.http().post('/auth/oidc/exchange').send({}), 400);
    expectProblem(
      await t
        .http()
        .post('/auth/oidc/exchange')
        .send({ code: 'not base64url!' }),
      400,
    );
  });

  it('still signs in after the provider rotates its signing key', async () => {
    await federatedTokens(t, 'alice');
    const oldKid = idp.kid;
    await idp.rotateKeys();
    expect(idp.kid).not.toBe(oldKid);
    const tokens = await federatedTokens(t, 'alice');
    expect(claimsOf(tokens.access_token as string).amr).toEqual(['fed']);
  });

  it('audits failed provider sign-ins with the error', async () => {
    const started = await startSignIn(t);
    const callback = await signInAtProvider(started.location.href, {
      login: 'alice',
      deny: true,
    });
    await arriveAtCallback(t, callback, started.cookie);
    const page = await t
      .get(AuditQueryService)
      .listEvents({ type: 'federation_failed', limit: 50 });
    expect(page.items.map((e) => e.details)).toContainEqual(
      expect.objectContaining({ provider: 'test', error: 'access_denied' }),
    );
  });
});
