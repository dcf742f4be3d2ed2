import { createHmac } from 'node:crypto';
import type { Response, Test } from 'supertest';
import { bearer } from './helpers/http';
import { expectSignedInAtIssue, headerOf, payloadOf } from './helpers/jwt';
import {
  createTestApp,
  registerAndLogin,
  TEST_SECRET,
  type TestApp,
} from './helpers/test-app';

type Json = Record<string, unknown>;

const b64url = (value: Buffer | string): string =>
  Buffer.from(value).toString('base64url');

/** Builds an HS256-style JWT by hand so every part (alg, typ, kid, claims, key) can be chosen. */
function forge(header: Json, payload: Json, secret = TEST_SECRET): string {
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const signature = createHmac('sha256', secret)
    .update(signingInput)
    .digest('base64url');
  return `${signingInput}.${signature}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('access tokens (e2e)', () => {
  let t: TestApp;
  let session: Awaited<ReturnType<typeof registerAndLogin>>;
  let header: Json;
  let claims: Json;

  const me = (token: string): Test =>
    t
      .http()
      .get('/auth/me')
      .set(...bearer(token));

  function expect401(res: Response, error: 'invalid' | 'expired'): void {
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const challenge = res.headers['www-authenticate'];
    expect(challenge).toMatch(/^Bearer /);
    expect(challenge).toContain('error="invalid_token"');
    expect(challenge).toMatch(
      error === 'expired'
        ? /error_description="[^"]*expired/
        : /error_description="/,
    );
    expect(res.body).toMatchObject({
      status: 401,
      code: error === 'expired' ? 'AUTH.TOKEN_EXPIRED' : 'AUTH.TOKEN_INVALID',
    });
    // Nothing from jsonwebtoken or passport leaks out.
    expect(res.text).not.toMatch(
      /jwt malformed|invalid signature|jsonwebtoken|passport|secret/i,
    );
  }

  beforeAll(async () => {
    t = await createTestApp();
    session = await registerAndLogin(t);
    header = headerOf(session.access);
    claims = payloadOf(session.access);
  });
  afterAll(async () => {
    await t.close();
  });
  afterEach(() => t.clock.reset());

  describe('an issued token', () => {
    it('has the at+jwt header with a kid', () => {
      expect(header).toEqual({
        alg: 'HS256',
        typ: 'at+jwt',
        kid: expect.stringMatching(/^\S{8,}$/),
      });
    });

    it('carries exactly the documented claims and no secrets', () => {
      expect(Object.keys(claims).sort()).toEqual(
        [
          'amr',
          'aud',
          'auth_time',
          'exp',
          'iat',
          'iss',
          'jti',
          'roles',
          'sid',
          'sub',
          'token_version',
          'username',
        ].sort(),
      );
      expect(claims).toMatchObject({
        iss: 'gatehouse',
        aud: 'gatehouse',
        sub: session.id,
        sid: expect.stringMatching(UUID),
        jti: expect.stringMatching(UUID),
        username: session.user.username,
        roles: ['user'],
        token_version: 0,
        amr: ['pwd'],
      });
      const nowSeconds = Date.now() / 1000;
      // A password login: the user proved who they are when the token was signed.
      expectSignedInAtIssue(claims);
      expect(claims.iat).toBeGreaterThan(nowSeconds - 60);
      expect(claims.iat).toBeLessThanOrEqual(nowSeconds + 1);
      // Integer NumericDates: verifiers in other ecosystems refuse or misread fractions.
      expect(Number.isInteger(claims.iat)).toBe(true);
      expect(Number.isInteger(claims.exp)).toBe(true);
      expect(Number.isInteger(claims.auth_time)).toBe(true);
      expect((claims.exp as number) - (claims.iat as number)).toBe(900);
      const raw = JSON.stringify({ header, claims });
      expect(raw).not.toContain(session.user.password);
      expect(raw).not.toContain(TEST_SECRET);
      expect(raw).not.toMatch(/argon2|password|hash|email/i);
    });

    it('gets a fresh jti and sid on every login', async () => {
      const again = await t
        .http()
        .post('/auth/login')
        .send({
          username: session.user.username,
          password: session.user.password,
        })
        .expect(200);
      const other = payloadOf(again.body.access_token as string);
      expect(other.jti).not.toBe(claims.jti);
      expect(other.sid).not.toBe(claims.sid);
    });

    it('authenticates, and so does a hand-made copy signed with the right key', async () => {
      await me(session.access).expect(200);
      // The control for every forgery below: only the one thing each test changes makes it fail.
      const copy = forge(header, {
        ...claims,
        jti: '11111111-1111-4111-8111-111111111111',
      });
      const res = await me(copy).expect(200);
      expect(res.body.id).toBe(session.id);
    });
  });

  describe('rejected tokens', () => {
    it('refuses a token whose payload was changed after signing', async () => {
      const [h, , s] = session.access.split('.');
      const elevated = b64url(JSON.stringify({ ...claims, roles: ['admin'] }));
      expect401(await me(`${h}.${elevated}.${s}`), 'invalid');
    });

    it('refuses a token whose signature was changed', async () => {
      const [h, p, s] = session.access.split('.');
      const flipped = `${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`;
      expect401(await me(`${h}.${p}.${flipped}`), 'invalid');
    });

    it('refuses alg none, with or without a signature', async () => {
      const none = { ...header, alg: 'none' };
      const unsigned = `${b64url(JSON.stringify(none))}.${b64url(JSON.stringify(claims))}.`;
      expect401(await me(unsigned), 'invalid');
      expect401(await me(forge(none, claims)), 'invalid');
    });

    it('refuses a token signed with another secret', async () => {
      const token = forge(
        header,
        claims,
        'another-secret-that-is-also-long-enough-000',
      );
      expect401(await me(token), 'invalid');
    });

    it('refuses another issuer', async () => {
      expect401(await me(forge(header, { ...claims, iss: 'evil' })), 'invalid');
    });

    it('refuses another audience', async () => {
      expect401(
        await me(forge(header, { ...claims, aud: 'other-api' })),
        'invalid',
      );
    });

    it.each([['JWT'], ['refresh+jwt'], [undefined]])(
      'refuses typ %s',
      async (typ) => {
        expect401(await me(forge({ ...header, typ }, claims)), 'invalid');
      },
    );

    it('refuses an unknown or missing kid', async () => {
      expect401(
        await me(forge({ ...header, kid: 'hs-unknown' }, claims)),
        'invalid',
      );
      expect401(
        await me(forge({ ...header, kid: undefined }, claims)),
        'invalid',
      );
    });

    it('refuses an HS256 token that claims another algorithm', async () => {
      expect401(
        await me(forge({ ...header, alg: 'HS512' }, claims)),
        'invalid',
      );
    });

    it('refuses a token without a subject or session', async () => {
      const { sub: _sub, ...noSub } = claims;
      expect401(await me(forge(header, noSub)), 'invalid');
      const { sid: _sid, ...noSid } = claims;
      expect401(await me(forge(header, noSid)), 'invalid');
    });

    it('refuses garbage and a refresh token as a bearer token', async () => {
      expect401(await me('not.a.jwt'), 'invalid');
      expect401(await me('garbage'), 'invalid');
      expect401(await me(session.refresh), 'invalid');
    });

    it('refuses an expired token and says so', async () => {
      const now = Math.floor(Date.now() / 1000);
      const token = forge(header, {
        ...claims,
        iat: now - 1000,
        exp: now - 60,
      });
      expect401(await me(token), 'expired');
    });

    it('refuses a token issued long enough ago to have expired', async () => {
      t.clock.advance(-(900 + 60));
      const login = await t
        .http()
        .post('/auth/login')
        .send({
          username: session.user.username,
          password: session.user.password,
        })
        .expect(200);
      t.clock.reset();
      expect401(await me(login.body.access_token as string), 'expired');
    });

    it('accepts a token that expired within the clock tolerance', async () => {
      const now = Math.floor(Date.now() / 1000);
      await me(
        forge(header, { ...claims, iat: now - 900, exp: now - 2 }),
      ).expect(200);
    });
  });

  describe('where the token may come from', () => {
    it('ignores a token in the query string', async () => {
      for (const name of ['access_token', 'token', 'auth_token', 'jwt']) {
        const res = await t.http().get(`/auth/me?${name}=${session.access}`);
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('AUTH.TOKEN_MISSING');
        expect(res.headers['www-authenticate']).toBe(
          'Bearer realm="gatehouse"',
        );
      }
    });

    it('ignores a token in a cookie or under another scheme', async () => {
      const cookie = await t
        .http()
        .get('/auth/me')
        .set('cookie', `access_token=${session.access}`);
      expect(cookie.status).toBe(401);
      expect(cookie.body.code).toBe('AUTH.TOKEN_MISSING');
      const basic = await t
        .http()
        .get('/auth/me')
        .set('authorization', `Basic ${session.access}`);
      expect(basic.status).toBe(401);
    });

    it('answers a missing token without an error code in the challenge (RFC 6750 §3.1)', async () => {
      const res = await t.http().get('/auth/me');
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="gatehouse"');
      expect(res.body).toMatchObject({
        code: 'AUTH.TOKEN_MISSING',
        status: 401,
      });
    });
  });
});

describe('JWT_ACCESS_TTL (e2e)', () => {
  // One value per accepted form, none equal to the 15 min default, so an ignored setting fails the test.
  it.each([
    ['600', 600],
    ['300s', 300],
    ['10m', 600],
    ['1h', 3600],
  ])(
    'JWT_ACCESS_TTL=%s gives expires_in %i and a matching exp',
    async (ttl, seconds) => {
      const t = await createTestApp({ JWT_ACCESS_TTL: ttl });
      try {
        const { user } = await registerAndLogin(t);
        const login = await t
          .http()
          .post('/auth/login')
          .send({ username: user.username, password: user.password })
          .expect(200);
        expect(login.body.expires_in).toBe(seconds);
        const payload = payloadOf(login.body.access_token as string);
        expect(
          (payload.exp as number) - Math.floor(payload.iat as number),
        ).toBe(seconds);
      } finally {
        await t.close();
      }
    },
  );
});
