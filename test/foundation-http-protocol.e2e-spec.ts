import { expectProblem, fieldsOf } from './helpers/http';
import {
  createTestApp,
  registerAndLogin,
  type TestApp,
} from './helpers/test-app';

/** How the HTTP layer answers bodies, media types, routes and ids, and which headers every answer carries. */
describe('foundation HTTP behaviour (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('request bodies', () => {
    it('answers malformed JSON with 400 MALFORMED_JSON', async () => {
      const res = await t
        .http()
        .post('/auth/login')
        .set('content-type', 'application/json')
        .send('{"username": "ada", "password": ');
      const problem = expectProblem(res, 400, 'MALFORMED_JSON');
      expect(problem.detail).toBe('The request body is not valid JSON.');
      expect(res.text).not.toMatch(/Unexpected|position|FST_/);
    });

    it.each([
      ['a JSON string', '"just a string"'],
      ['a JSON array', '[1,2,3]'],
      ['null', 'null'],
    ])('answers %s as a body with 400, not 500', async (_name, raw) => {
      const res = await t
        .http()
        .post('/auth/login')
        .set('content-type', 'application/json')
        .send(raw);
      expectProblem(res, 400);
    });

    it('answers an empty JSON body with 400', async () => {
      const res = await t
        .http()
        .post('/auth/login')
        .set('content-type', 'application/json')
        .send('');
      expectProblem(res, 400);
    });

    it('answers a text/plain body with 415', async () => {
      const res = await t
        .http()
        .post('/auth/login')
        .set('content-type', 'text/plain')
        .send('{"username":"ada","password":"whatever password"}');
      expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('answers a form body with 415', async () => {
      const res = await t
        .http()
        .post('/auth/register')
        .type('form')
        .send({ username: 'ada', email: 'a@example.com', password: 'x' });
      expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('answers a multipart body with 415', async () => {
      const res = await t
        .http()
        .post('/auth/register')
        .field('username', 'ada');
      expectProblem(res, 415);
    });

    it('answers a body sent without any Content-Type header with 415', async () => {
      // inject() sends exactly the headers given; supertest would add its own.
      const res = await t.app
        .getHttpAdapter()
        .getInstance()
        .inject({
          method: 'POST',
          url: '/auth/login',
          payload: Buffer.from('{"username":"ada","password":"x"}'),
        });
      expect(res.statusCode).toBe(415);
      expect(res.headers['content-type']).toMatch(
        /^application\/problem\+json/,
      );
      expect(res.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    });

    it('answers a POST with no body and no Content-Type with 400 listing the fields', async () => {
      const res = await t.http().post('/auth/login');
      const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(fieldsOf(problem).sort()).toEqual(['password', 'username']);
    });

    it('answers a body over 100 KB with 413', async () => {
      const body = JSON.stringify({
        username: 'ada',
        password: 'p'.repeat(101 * 1024),
      });
      const res = await t
        .http()
        .post('/auth/login')
        .set('content-type', 'application/json')
        .send(body);
      expectProblem(res, 413, 'PAYLOAD_TOO_LARGE');
    });

    it('accepts application/json with a charset parameter', async () => {
      const { user } = await registerAndLogin(t);
      await t
        .http()
        .post('/auth/login')
        .set('content-type', 'application/json; charset=utf-8')
        .send(
          JSON.stringify({ username: user.username, password: user.password }),
        )
        .expect(200);
    });
  });

  describe('routes and ids', () => {
    it('answers an unknown route with a 404 problem', async () => {
      const res = await t.http().get('/no/such/route?x=1');
      const problem = expectProblem(res, 404, 'NOT_FOUND');
      expect(problem.instance).toBe('/no/such/route');
      expect(problem.detail).toBe('No route GET /no/such/route.');
    });

    it('answers an unknown method on a known path with a problem', async () => {
      const res = await t.http().put('/auth/login').send({});
      expectProblem(res, 404);
    });

    it('answers a malformed path id with 400 and an unknown one with 404', async () => {
      const { access } = await registerAndLogin(t);
      const malformed = await t
        .http()
        .delete('/auth/sessions/not-a-uuid')
        .set('authorization', `Bearer ${access}`);
      expectProblem(malformed, 400);
      const unknown = await t
        .http()
        .delete('/auth/sessions/00000000-0000-4000-8000-000000000000')
        .set('authorization', `Bearer ${access}`);
      expectProblem(unknown, 404);
    });

    it('answers a path that is not valid percent-encoding with a 400 problem', async () => {
      const res = await t.http().delete('/auth/sessions/%E0%A4%A');
      expectProblem(res, 400, 'BAD_REQUEST');
    });

    it('answers an over-long path parameter with a 414 problem', async () => {
      const res = await t.http().delete(`/auth/sessions/${'a'.repeat(500)}`);
      expectProblem(res, 414, 'URI_TOO_LONG');
    });

    it('checks the token before the path id', async () => {
      const res = await t.http().delete('/auth/sessions/not-a-uuid');
      expectProblem(res, 401);
    });
  });

  describe('hardening headers', () => {
    it('sends helmet headers and no X-Powered-By', async () => {
      const res = await t.http().get('/health').expect(200);
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toContain(
        "default-src 'self'",
      );
      // No TLS here, so no HSTS promise.
      expect(res.headers['strict-transport-security']).toBeUndefined();
    });

    it('sends the same headers on a 404 and on a body the server refuses', async () => {
      const health = await t.http().get('/health').expect(200);
      const notFound = await t.http().get('/no-such-route').expect(404);
      const refused = await t
        .http()
        .post('/auth/login')
        .set('content-type', 'text/plain')
        .send('hello')
        .expect(415);
      for (const res of [notFound, refused]) {
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.headers['content-security-policy']).toBe(
          health.headers['content-security-policy'],
        );
        expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      }
    });

    it('answers no CORS preflight when CORS_ORIGINS is unset', async () => {
      const res = await t
        .http()
        .get('/health')
        .set('origin', 'https://evil.example');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    });
  });
});

describe('foundation HTTP configuration (e2e)', () => {
  it('enables CORS only for the listed origins', async () => {
    const t = await createTestApp({
      CORS_ORIGINS: 'https://app.example, https://admin.example',
    });
    try {
      const allowed = await t
        .http()
        .options('/auth/login')
        .set('origin', 'https://admin.example')
        .set('access-control-request-method', 'POST');
      expect(allowed.headers['access-control-allow-origin']).toBe(
        'https://admin.example',
      );
      const denied = await t
        .http()
        .get('/health')
        .set('origin', 'https://evil.example');
      expect(denied.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await t.close();
    }
  });
});
