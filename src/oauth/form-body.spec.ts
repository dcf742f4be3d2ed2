import Fastify, { type FastifyInstance } from 'fastify';
import { FORM_BODY_ROUTES, registerFormBodyParser } from './form-body';

const FORM = 'application/x-www-form-urlencoded';

describe(registerFormBodyParser.name, () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    app = Fastify();
    registerFormBodyParser(app, 64);
    for (const url of [...FORM_BODY_ROUTES, '/auth/login'])
      app.post(url, (request) => ({ body: request.body }));
    await app.ready();
  });

  afterAll(() => app.close());

  const post = (url: string, payload: string) =>
    app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': FORM },
      payload,
    });

  it('takes forms on exactly the revocation and introspection routes', () => {
    expect([...FORM_BODY_ROUTES].sort()).toEqual([
      '/auth/introspect',
      '/auth/revoke',
    ]);
  });

  it.each([...FORM_BODY_ROUTES])(
    'parses a form posted to %s into its fields',
    async (url) => {
      const response = await post(
        url,
        'token=abc&token_type_hint=refresh_token',
      );

      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        body: { token: 'abc', token_type_hint: 'refresh_token' },
      });
    },
  );

  it('answers a form posted to any other route with 415, as if no form parser existed', async () => {
    const response = await post('/auth/login', 'login=a&password=b');

    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({
      code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
      message: `Unsupported Media Type: ${FORM}`,
    });
  });

  it.each(['__proto__', 'constructor'])(
    'refuses a form with a field named %s with 400',
    async (name) => {
      const response = await post('/auth/revoke', `token=abc&${name}=x`);

      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({
        code: 'FST_ERR_CTP_INVALID_FORM_BODY',
        message: 'Forbidden form field name',
      });
    },
  );

  it('refuses a form larger than the body limit with 413', async () => {
    const response = await post('/auth/revoke', `token=${'a'.repeat(64)}`);

    expect(response.statusCode).toBe(413);
  });

  it('accepts a form exactly at the body limit', async () => {
    const response = await post('/auth/revoke', `token=${'a'.repeat(58)}`);

    expect(response.statusCode).toBe(200);
  });
});
