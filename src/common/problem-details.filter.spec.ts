import {
  type ArgumentsHost,
  BadRequestException,
  ForbiddenException,
  HttpException,
  InternalServerErrorException,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import { errorCodes } from 'fastify';
import { DomainError } from './domain-error';
import {
  frameworkErrorHandler,
  ProblemDetailsFilter,
  toProblem,
} from './problem-details.filter';
import { RequestValidationException } from './validation';

interface Captured {
  status?: number;
  headers: Record<string, string>;
  body?: string;
  sent: boolean;
}

function fakeReply(sent = false): { reply: never; captured: Captured } {
  const captured: Captured = { headers: {}, sent };
  const reply = {
    sent,
    request: { id: 'req-1' },
    status(code: number) {
      captured.status = code;
      return reply;
    },
    headers(values: Record<string, string>) {
      Object.assign(captured.headers, values);
      return reply;
    },
    send(body: string) {
      captured.body = body;
      return reply;
    },
  };
  return { reply: reply as never, captured };
}

function run(
  exception: unknown,
  { method = 'POST', url = '/auth/login?x=1', sent = false } = {},
): { captured: Captured; body: Record<string, unknown> } {
  const { reply, captured } = fakeReply(sent);
  const host = {
    switchToHttp: () => ({
      getResponse: () => reply,
      getRequest: () => ({ method, url }),
    }),
  } as unknown as ArgumentsHost;
  new ProblemDetailsFilter().catch(exception, host);
  return {
    captured,
    body: captured.body
      ? (JSON.parse(captured.body) as Record<string, unknown>)
      : {},
  };
}

describe(ProblemDetailsFilter.name, () => {
  let logged: jest.SpyInstance;
  beforeEach(() => {
    logged = jest.spyOn(Logger.prototype, 'error').mockImplementation();
  });
  afterEach(() => logged.mockRestore());

  it('answers a DomainError with the status and title of its code, its detail and its headers', () => {
    const { captured, body } = run(
      new DomainError('RATE_LIMITED', 'No coffee here.', {
        headers: { 'retry-after': '60' },
      }),
    );
    expect(captured.status).toBe(429);
    expect(captured.headers).toEqual({
      'retry-after': '60',
      'content-type': 'application/problem+json; charset=utf-8',
      'cache-control': 'no-store',
    });
    expect(body).toEqual({
      type: 'urn:gatehouse:problem:rate-limited',
      title: 'Too Many Requests',
      status: 429,
      detail: 'No coffee here.',
      instance: '/auth/login',
      code: 'RATE_LIMITED',
      request_id: 'req-1',
    });
    expect(logged).not.toHaveBeenCalled();
  });

  it('adds the static headers of a code from the table', () => {
    const { captured, body } = run(
      new DomainError(
        'AUTH.INVALID_CREDENTIALS',
        'Invalid username or password.',
      ),
    );
    expect(captured.status).toBe(401);
    expect(captured.headers['www-authenticate']).toBe(
      'Bearer realm="gatehouse"',
    );
    expect(body).toMatchObject({
      title: 'Unauthorized',
      code: 'AUTH.INVALID_CREDENTIALS',
    });
  });

  it('keeps the generic 409 detail of a conflict', () => {
    const { body } = run(
      new DomainError(
        'USERS.ALREADY_EXISTS',
        'username or email already registered',
      ),
    );
    expect(body).toMatchObject({
      status: 409,
      code: 'USERS.ALREADY_EXISTS',
      detail: 'username or email already registered',
      type: 'urn:gatehouse:problem:users-already-exists',
    });
  });

  it('copies per-field validation errors into errors[]', () => {
    const errors = [{ field: 'username', message: 'username is required' }];
    const { captured, body } = run(new RequestValidationException(errors));
    expect(captured.status).toBe(400);
    expect(body).toMatchObject({ code: 'VALIDATION_FAILED', errors });
  });

  it('answers an unknown route with a 404 naming the method and path, not Nest wording', () => {
    const { body } = run(new NotFoundException('Cannot GET /nope'), {
      method: 'GET',
      url: '/nope?secret=1',
    });
    expect(body).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
      detail: 'No route GET /nope.',
      instance: '/nope',
    });
  });

  it('keeps the message of a client-error HttpException', () => {
    const { body } = run(new ForbiddenException('Nope.'));
    expect(body).toMatchObject({
      status: 403,
      code: 'FORBIDDEN',
      detail: 'Nope.',
    });
  });

  it('recognises Fastify errors that Nest rewrapped as a bare HttpException', () => {
    const invalidJson = new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY();
    const { body } = run(new HttpException(invalidJson.message, 400));
    expect(body).toMatchObject({
      status: 400,
      code: 'MALFORMED_JSON',
      detail: 'The request body is not valid JSON.',
    });
    const tooLarge = new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE();
    expect(run(new HttpException(tooLarge.message, 413)).body).toMatchObject({
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
      detail: 'The request body is larger than the 100 KB limit.',
    });
    const mediaType = new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE();
    expect(run(new HttpException(mediaType.message, 415)).body).toMatchObject({
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    });
  });

  it('does not take an application BadRequestException for a Fastify error', () => {
    const message = new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY().message;
    expect(run(new BadRequestException(message)).body).toMatchObject({
      code: 'BAD_REQUEST',
    });
  });

  it('maps raw Fastify errors by their code', () => {
    expect(
      run(new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY()).body,
    ).toMatchObject({ status: 400, code: 'MALFORMED_JSON' });
    expect(
      run(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH()).body,
    ).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
  });

  it('answers a SyntaxError from a JSON parser as MALFORMED_JSON without its message', () => {
    const error = Object.assign(
      new SyntaxError('Unexpected token } in JSON at position 7'),
      { statusCode: 400 },
    );
    const { captured, body } = run(error);
    expect(body).toMatchObject({
      status: 400,
      code: 'MALFORMED_JSON',
      detail: 'The request body is not valid JSON.',
    });
    expect(captured.body).not.toContain('position');
  });

  it('hides unexpected errors behind an opaque 500 and logs them', () => {
    const error = new Error(
      'relation "users" does not exist at /srv/app.ts:12',
    );
    const { captured, body } = run(error);
    expect(captured.status).toBe(500);
    expect(body).toEqual({
      type: 'urn:gatehouse:problem:internal',
      title: 'Internal Server Error',
      status: 500,
      detail: 'The server could not complete the request.',
      instance: '/auth/login',
      code: 'INTERNAL',
      request_id: 'req-1',
    });
    expect(captured.body).not.toMatch(/relation|app\.ts|at /);
    expect(logged).toHaveBeenCalledTimes(1);
    expect(logged.mock.calls[0]).toEqual([
      { request_id: 'req-1', err: error },
      'POST /auth/login?x=1 failed',
    ]);
  });

  it('hides the message of a 5xx HttpException', () => {
    const { body } = run(new InternalServerErrorException('db password=x'));
    expect(body).toMatchObject({
      status: 500,
      detail: 'The server could not complete the request.',
    });
  });

  it.each<[string, { message?: string; code?: string; cause?: unknown }]>([
    ['ECONNREFUSED', { code: 'ECONNREFUSED' }],
    ['a wrapped admin shutdown', { cause: { cause: { code: '57P01' } } }],
    ['a closed PGlite', { message: 'PGlite is closed' }],
    ['a pool timeout', { message: 'timeout exceeded when trying to connect' }],
    [
      'an ended pg pool',
      { message: 'Cannot use a pool after calling end on the pool' },
    ],
  ])('answers %s as 503 with Retry-After', (_name, shape) => {
    const error = Object.assign(
      new Error(shape.message ?? 'query failed'),
      shape,
    );
    const { captured, body } = run(error);
    expect(captured.status).toBe(503);
    expect(captured.headers['retry-after']).toBe('5');
    expect(body).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      detail: 'The database is unavailable; try again shortly.',
    });
  });

  it('sends nothing when the reply is already sent', () => {
    const { captured } = run(new DomainError('NOT_FOUND', 'gone'), {
      sent: true,
    });
    expect(captured.status).toBeUndefined();
    expect(captured.body).toBeUndefined();
  });
});

describe(frameworkErrorHandler.name, () => {
  it('turns a Fastify routing error into a problem', () => {
    const { reply, captured } = fakeReply();
    frameworkErrorHandler(
      new errorCodes.FST_ERR_BAD_URL('/a/%E0'),
      { method: 'GET', url: '/a/%E0' } as never,
      reply,
    );
    expect(captured.status).toBe(400);
    expect(captured.headers['content-type']).toBe(
      'application/problem+json; charset=utf-8',
    );
    expect(JSON.parse(captured.body!)).toMatchObject({
      code: 'BAD_REQUEST',
      instance: '/a/%E0',
    });
  });
});

describe(toProblem.name, () => {
  it('uses / as the instance when the url is empty', () => {
    expect(
      toProblem(new DomainError('NOT_FOUND', 'x'), 'GET', '').problem.instance,
    ).toBe('/');
  });
});
