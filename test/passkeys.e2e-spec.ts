import { createAppWithAdmin, loginAdmin } from './helpers/admin';
import { bearer, expectProblem } from './helpers/http';
import {
  createTestApp,
  newUser,
  registerAndLogin,
  type TestApp,
} from './helpers/test-app';

/**
 * The passkey routes over HTTP, without an authenticator: options, refusals and bookkeeping. The ceremonies with a
 * real authenticator run in Chromium (test/browser/passkeys.browser-spec.ts).
 */
describe('passkeys over HTTP (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createAppWithAdmin({
      WEBAUTHN_RP_ID: 'localhost',
      WEBAUTHN_ORIGINS: 'http://localhost:3000',
      WEBAUTHN_RP_NAME: 'Gatehouse Tests',
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('offers creation options bound to the user: resident key preferred, user verification required', async () => {
    const { user, id, access } = await registerAndLogin(t, newUser('opts'));
    const res = await t
      .http()
      .post('/auth/passkeys/register/options')
      .set(...bearer(access))
      .send({})
      .expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body.ceremony_id).toMatch(/^[0-9a-f-]{36}$/);
    const options = res.body.options as {
      rp: unknown;
      user: { id: string; name: string };
      challenge: string;
      authenticatorSelection: unknown;
      excludeCredentials: unknown;
    };
    expect(options.rp).toEqual({ id: 'localhost', name: 'Gatehouse Tests' });
    expect(options.user.name).toBe(user.username);
    expect(Buffer.from(options.user.id, 'base64url').toString()).toBe(id);
    expect(options.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(options.authenticatorSelection).toMatchObject({
      residentKey: 'preferred',
      userVerification: 'required',
    });
    expect(options.excludeCredentials).toEqual([]);
  });

  it('refuses a registration response that does not verify, and spends the ceremony doing so', async () => {
    const { access } = await registerAndLogin(t, newUser('badreg'));
    const { body } = await t
      .http()
      .post('/auth/passkeys/register/options')
      .set(...bearer(access))
      .send({})
      .expect(200);
    const bogus = {
      id: 'AAAA',
      rawId: 'AAAA',
      type: 'public-key',
      clientExtensionResults: {},
      response: { clientDataJSON: 'e30', attestationObject: 'oA' },
    };
    for (let i = 0; i < 2; i += 1)
      expectProblem(
        await t
          .http()
          .post('/auth/passkeys/register')
          .set(...bearer(access))
          .send({ ceremony_id: body.ceremony_id, response: bogus }),
        400,
        'PASSKEYS.REGISTRATION_FAILED',
      );
    const list = await t
      .http()
      .get('/auth/passkeys')
      .set(...bearer(access))
      .expect(200);
    expect(list.body).toEqual({ items: [] });
  });

  it('offers sign-in options usernameless, or for a name, without telling whether the name exists', async () => {
    const anyone = await t
      .http()
      .post('/auth/passkeys/login/options')
      .send({})
      .expect(200);
    expect(anyone.body.options).toMatchObject({
      rpId: 'localhost',
      userVerification: 'required',
    });
    expect(anyone.body.options.allowCredentials).toBeUndefined();
    const { user } = await registerAndLogin(t, newUser('named'));
    const known = await t
      .http()
      .post('/auth/passkeys/login/options')
      .send({ username: user.username })
      .expect(200);
    const unknown = await t
      .http()
      .post('/auth/passkeys/login/options')
      .send({ username: 'nobody-at-all' })
      .expect(200);
    expect(known.body.options.allowCredentials).toEqual([]);
    expect(unknown.body.options.allowCredentials).toEqual([]);
    expect(Object.keys(unknown.body.options).sort()).toEqual(
      Object.keys(known.body.options).sort(),
    );
  });

  it('answers every failed sign-in with the same 401, and a spent ceremony too', async () => {
    const { body } = await t
      .http()
      .post('/auth/passkeys/login/options')
      .send({})
      .expect(200);
    const bogus = {
      id: 'AAAA',
      rawId: 'AAAA',
      type: 'public-key',
      clientExtensionResults: {},
      response: {
        clientDataJSON: 'e30',
        authenticatorData: 'AA',
        signature: 'AA',
      },
    };
    const first = expectProblem(
      await t
        .http()
        .post('/auth/passkeys/login')
        .send({ ceremony_id: body.ceremony_id, response: bogus }),
      401,
      'PASSKEYS.AUTHENTICATION_FAILED',
    );
    const again = expectProblem(
      await t
        .http()
        .post('/auth/passkeys/login')
        .send({ ceremony_id: body.ceremony_id, response: bogus }),
      401,
      'PASSKEYS.AUTHENTICATION_FAILED',
    );
    const unknownCeremony = expectProblem(
      await t.http().post('/auth/passkeys/login').send({
        ceremony_id: '00000000-0000-4000-8000-000000000000',
        response: bogus,
      }),
      401,
      'PASSKEYS.AUTHENTICATION_FAILED',
    );
    expect(again.detail).toBe(first.detail);
    expect(unknownCeremony.detail).toBe(first.detail);
    for (const bad of [
      {},
      { ceremony_id: 'nope', response: bogus },
      { ceremony_id: body.ceremony_id, response: 'x' },
    ])
      expectProblem(
        await t.http().post('/auth/passkeys/login').send(bad),
        400,
        'VALIDATION_FAILED',
      );
  });

  it('renames and deletes only the caller’s passkeys, and lets an admin list a user’s', async () => {
    const admin = await loginAdmin(t);
    const { id, access } = await registerAndLogin(t, newUser('own'));
    const none = '00000000-0000-4000-8000-000000000000';
    expectProblem(
      await t
        .http()
        .patch(`/auth/passkeys/${none}`)
        .set(...bearer(access))
        .send({ name: 'x' }),
      404,
      'PASSKEYS.NOT_FOUND',
    );
    expectProblem(
      await t
        .http()
        .delete(`/auth/passkeys/${none}`)
        .set(...bearer(access)),
      404,
      'PASSKEYS.NOT_FOUND',
    );
    expectProblem(
      await t
        .http()
        .patch(`/auth/passkeys/${none}`)
        .set(...bearer(access))
        .send({ name: 'a\nb' }),
      400,
      'VALIDATION_FAILED',
    );
    const listed = await t
      .http()
      .get(`/users/${id}/passkeys`)
      .set(...bearer(admin.access))
      .expect(200);
    expect(listed.body).toEqual({ items: [] });
    expectProblem(
      await t
        .http()
        .delete(`/users/${id}/passkeys/${none}`)
        .set(...bearer(admin.access)),
      404,
      'PASSKEYS.NOT_FOUND',
    );
    expectProblem(
      await t
        .http()
        .get(`/users/${id}/passkeys`)
        .set(...bearer(access)),
      403,
    );
    for (const [method, path] of [
      ['post', '/auth/passkeys/register/options'],
      ['post', '/auth/passkeys/register'],
      ['get', '/auth/passkeys'],
    ] as const)
      expectProblem(await t.http()[method](path).send({}), 401);
  });

  it('asks for a recent sign-in before registering', async () => {
    const { access } = await registerAndLogin(t, newUser('stale'));
    t.clock.advance(600);
    try {
      expectProblem(
        await t
          .http()
          .post('/auth/passkeys/register/options')
          .set(...bearer(access))
          .send({}),
        401,
        'AUTH.STEP_UP_REQUIRED',
      );
    } finally {
      t.clock.reset();
    }
  });
});

describe('PASSKEYS=off (e2e)', () => {
  it('answers 404 on the passkey routes', async () => {
    const t = await createTestApp({ PASSKEYS: 'off' });
    try {
      const { access } = await registerAndLogin(t, newUser('off'));
      expectProblem(
        await t.http().post('/auth/passkeys/login/options').send({}),
        404,
        'PASSKEYS.FEATURES_OFF',
      );
      expectProblem(
        await t
          .http()
          .post('/auth/passkeys/register/options')
          .set(...bearer(access))
          .send({}),
        404,
        'PASSKEYS.FEATURES_OFF',
      );
    } finally {
      await t.close();
    }
  });
});
