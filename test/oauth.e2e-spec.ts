import {
  createTestApp,
  newUser,
  registerAndLogin,
  type TestApp,
} from './helpers/test-app';
import { createAppWithAdmin, loginAdmin } from './helpers/admin';
import { expectSignedInAtIssue, payloadOf } from './helpers/jwt';
import { KEYS_ENCRYPTION_KEY } from './keys-helpers';

jest.setTimeout(120_000);

const INTROSPECTION_SECRET = 'introspection-secret-0123456789-abcdefghij';
const FORM = 'application/x-www-form-urlencoded';

function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

describe('OAuth endpoints (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createAppWithAdmin({
      JWT_ALGORITHM: 'ES256',
      KEYS_ENCRYPTION_KEY,
      INTROSPECTION_SECRET,
      JWT_ISSUER: 'https://auth.example.com',
      PUBLIC_URL: 'https://auth.example.com/',
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  const me = (token: string) =>
    t.http().get('/auth/me').set('authorization', `Bearer ${token}`);
  const refresh = (token: string) =>
    t.http().post('/auth/refresh').send({ refresh_token: token });
  const introspect = (
    body: Record<string, string> | string,
    authorization = basic('orders-api', INTROSPECTION_SECRET),
  ) => {
    const req = t
      .http()
      .post('/auth/introspect')
      .set('authorization', authorization);
    return typeof body === 'string'
      ? req.set('content-type', FORM).send(body)
      : req.send(body);
  };

  describe('GET /.well-known/oauth-authorization-server', () => {
    it('describes the endpoints with absolute URLs from PUBLIC_URL', async () => {
      const res = await t
        .http()
        .get('/.well-known/oauth-authorization-server')
        .expect(200);
      expect(res.headers['cache-control']).toBe('public, max-age=3600');
      expect(res.body).toEqual({
        issuer: 'https://auth.example.com',
        jwks_uri: 'https://auth.example.com/.well-known/jwks.json',
        token_endpoint: 'https://auth.example.com/auth/login',
        revocation_endpoint: 'https://auth.example.com/auth/revoke',
        introspection_endpoint: 'https://auth.example.com/auth/introspect',
        grant_types_supported: ['password', 'refresh_token'],
        token_endpoint_auth_methods_supported: ['none'],
        revocation_endpoint_auth_methods_supported: ['none'],
        introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
      });
      const { access } = await registerAndLogin(t);
      expect(payloadOf(access).iss).toBe(res.body.issuer);
    });
  });

  describe('POST /auth/revoke (RFC 7009)', () => {
    it('ends the session of a refresh token sent as a form, with 200 and an empty body', async () => {
      const { access, refresh: rt } = await registerAndLogin(t);
      const res = await t
        .http()
        .post('/auth/revoke')
        .set('content-type', FORM)
        .send(`token=${rt}&token_type_hint=refresh_token`)
        .expect(200);
      expect(res.text).toBe('');
      expect(res.headers['cache-control']).toBe('no-store');
      expect((await refresh(rt)).status).toBe(401);
      expect((await me(access)).status).toBe(401);
    });

    it('ends the session of an access token sent as JSON, also with a wrong hint', async () => {
      const { access, refresh: rt } = await registerAndLogin(t);
      const other = await registerAndLogin(t);
      await t
        .http()
        .post('/auth/revoke')
        .send({ token: access, token_type_hint: 'refresh_token' })
        .expect(200);
      expect((await me(access)).status).toBe(401);
      expect((await refresh(rt)).status).toBe(401);
      // Nobody else's session is touched.
      expect((await me(other.access)).status).toBe(200);
    });

    it('answers 200 for unknown, malformed, already revoked and forged tokens', async () => {
      const { access, refresh: rt } = await registerAndLogin(t);
      const [h, p] = access.split('.');
      for (const token of [
        'A'.repeat(43),
        'not a token',
        'a.b.c',
        `${h}.${p}.${'x'.repeat(86)}`,
        rt,
        rt,
      ]) {
        const res = await t
          .http()
          .post('/auth/revoke')
          .send({ token, token_type_hint: 'no_such_type' })
          .expect(200);
        expect(res.text).toBe('');
      }
    });

    it('ignores an expired access token: the session stays', async () => {
      const user = newUser();
      const { access, refresh: rt } = await registerAndLogin(t, user);
      t.clock.advance(15 * 60 + 10);
      try {
        await t.http().post('/auth/revoke').send({ token: access }).expect(200);
        expect((await refresh(rt)).status).toBe(200);
      } finally {
        t.clock.advance(-(15 * 60 + 10));
      }
    });

    it('needs a token parameter (problem details) and refuses repeated parameters', async () => {
      const missing = await t.http().post('/auth/revoke').send({}).expect(400);
      expect(missing.headers['content-type']).toMatch(
        /^application\/problem\+json/,
      );
      expect(missing.body.errors).toEqual([
        { field: 'token', message: 'token is required' },
      ]);
      await t
        .http()
        .post('/auth/revoke')
        .set('content-type', FORM)
        .send('token=a&token=b')
        .expect(400);
      await t
        .http()
        .post('/auth/revoke')
        .set('content-type', FORM)
        .send('token=a&__proto__=x')
        .expect(400);
    });
  });

  describe('form bodies elsewhere', () => {
    it('are still refused with 415 on every other route', async () => {
      const user = newUser();
      await t.http().post('/auth/register').send(user).expect(201);
      const login = await t
        .http()
        .post('/auth/login')
        .set('content-type', FORM)
        .send(
          `username=${user.username}&password=${encodeURIComponent(user.password)}`,
        )
        .expect(415);
      expect(login.headers['content-type']).toMatch(
        /^application\/problem\+json/,
      );
      expect(login.body.status).toBe(415);
      await t
        .http()
        .post('/auth/refresh')
        .set('content-type', FORM)
        .send('refresh_token=x')
        .expect(415);
      await t
        .http()
        .post('/auth/register')
        .set('content-type', FORM)
        .send('username=x')
        .expect(415);
    });

    it('are limited to 100 KB on the OAuth routes too', async () => {
      const res = await t
        .http()
        .post('/auth/revoke')
        .set('content-type', FORM)
        .send(`token=${'a'.repeat(101 * 1024)}`);
      expect(res.status).toBe(413);
    });
  });

  describe('POST /auth/introspect (RFC 7662)', () => {
    it('needs Basic credentials with INTROSPECTION_SECRET or an admin bearer token', async () => {
      const { access } = await registerAndLogin(t);
      const none = await t
        .http()
        .post('/auth/introspect')
        .send({ token: access })
        .expect(401);
      expect(none.headers['www-authenticate']).toMatch(/^Basic realm=/);
      expect(none.body.code).toBe('OAUTH.INVALID_CLIENT');
      for (const authorization of [
        basic('orders-api', 'wrong-secret'),
        basic('orders-api', `${INTROSPECTION_SECRET}x`),
        basic('', INTROSPECTION_SECRET),
        `Basic ${Buffer.from(INTROSPECTION_SECRET).toString('base64')}`,
        'Basic !!!',
        `Bearer ${access}x`,
        'Digest abc',
      ])
        await introspect({ token: access }, authorization).expect(401);
      // A valid token of a plain user is authenticated but not allowed.
      const forbidden = await introspect(
        { token: access },
        `Bearer ${access}`,
      ).expect(403);
      expect(forbidden.body.code).toBe('AUTH.INSUFFICIENT_ROLE');
      const admin = await loginAdmin(t);
      const ok = await introspect(
        { token: access },
        `Bearer ${admin.access}`,
      ).expect(200);
      expect(ok.body.active).toBe(true);
    });

    it('describes a live access token', async () => {
      const { access, id, user } = await registerAndLogin(t);
      const res = await introspect({ token: access }).expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const claims = payloadOf(access);
      expect(res.body).toEqual({
        active: true,
        sub: id,
        username: user.username,
        roles: ['user'],
        exp: claims.exp,
        iat: Math.floor(claims.iat as number),
        iss: 'https://auth.example.com',
        aud: 'gatehouse',
        sid: claims.sid,
        jti: claims.jti,
        amr: ['pwd'],
        auth_time: claims.auth_time,
        token_type: 'access_token',
      });
      // A password login: the sign-in is when the token was issued.
      expectSignedInAtIssue(res.body as Record<string, unknown>);
    });

    it('describes a live refresh token sent as a form', async () => {
      const { access, refresh: rt, id, user } = await registerAndLogin(t);
      const res = await introspect(
        `token=${rt}&token_type_hint=refresh_token`,
      ).expect(200);
      expect(res.body).toEqual({
        active: true,
        sub: id,
        username: user.username,
        roles: ['user'],
        exp: expect.any(Number),
        iat: expect.any(Number),
        iss: 'https://auth.example.com',
        aud: 'gatehouse',
        sid: payloadOf(access).sid,
        amr: ['pwd'],
        auth_time: payloadOf(access).auth_time,
        token_type: 'refresh_token',
      });
      const now = Math.floor(t.clock.now().getTime() / 1000);
      expect(res.body.exp).toBeGreaterThan(now + 6 * 86_400);
      expect(Math.abs(res.body.iat - now)).toBeLessThanOrEqual(5);
    });

    it('answers only {active:false} for unknown, forged, revoked, rotated and expired tokens', async () => {
      const first = await registerAndLogin(t);
      const [h, p] = first.access.split('.');
      const rotated = await registerAndLogin(t);
      await refresh(rotated.refresh).expect(200);
      const revoked = await registerAndLogin(t);
      await t
        .http()
        .post('/auth/revoke')
        .send({ token: revoked.refresh })
        .expect(200);
      for (const token of [
        'A'.repeat(43),
        'garbage',
        `${h}.${p}.${'x'.repeat(86)}`,
        rotated.refresh,
        revoked.refresh,
        revoked.access,
      ]) {
        const res = await introspect({ token }).expect(200);
        expect(res.body).toEqual({ active: false });
      }
      t.clock.advance(15 * 60 + 10);
      try {
        const expired = await introspect({ token: first.access }).expect(200);
        expect(expired.body).toEqual({ active: false });
      } finally {
        t.clock.advance(-(15 * 60 + 10));
      }
    });

    it('validates the body like any other route', async () => {
      const res = await introspect({ token_type_hint: 'access_token' }).expect(
        400,
      );
      expect(res.body.errors).toEqual([
        { field: 'token', message: 'token is required' },
      ]);
    });
  });
});

describe('OAuth endpoints without INTROSPECTION_SECRET (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ PORT: '4710' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses Basic credentials and omits the method from discovery; URLs default to localhost:PORT', async () => {
    const { access } = await registerAndLogin(t);
    await t
      .http()
      .post('/auth/introspect')
      .set('authorization', basic('introspection', 'anything-at-all'))
      .send({ token: access })
      .expect(401);
    const res = await t
      .http()
      .get('/.well-known/oauth-authorization-server')
      .expect(200);
    expect(res.body.jwks_uri).toBe(
      'http://localhost:4710/.well-known/jwks.json',
    );
    expect(res.body.issuer).toBe('gatehouse');
    expect(res.body).not.toHaveProperty(
      'introspection_endpoint_auth_methods_supported',
    );
  });
});
