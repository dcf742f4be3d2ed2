import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import {
  errorCodes,
  type FastifyError,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { DomainError } from './domain-error';
import { ProblemDetailsDto, problemType } from './problem-details';
import { RequestValidationException } from './validation';

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL',
  503: 'SERVICE_UNAVAILABLE',
};

interface KnownProblem {
  code: string;
  detail: string;
}

/** Fastify's own client errors (body parsing, URLs), mapped to stable codes and details that leak no internals. */
const FASTIFY_PROBLEMS: Partial<Record<keyof typeof errorCodes, KnownProblem>> =
  {
    FST_ERR_CTP_INVALID_MEDIA_TYPE: {
      code: 'UNSUPPORTED_MEDIA_TYPE',
      detail: 'Request bodies must be sent as application/json.',
    },
    FST_ERR_CTP_BODY_TOO_LARGE: {
      code: 'PAYLOAD_TOO_LARGE',
      detail: 'The request body is larger than the 100 KB limit.',
    },
    FST_ERR_CTP_EMPTY_JSON_BODY: {
      code: 'MALFORMED_JSON',
      detail: 'The request body is empty but declared as application/json.',
    },
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
      code: 'BAD_REQUEST',
      detail: 'The Content-Length header does not match the body.',
    },
    FST_ERR_CTP_INVALID_JSON_BODY: {
      code: 'MALFORMED_JSON',
      detail: 'The request body is not valid JSON.',
    },
    FST_ERR_BAD_URL: {
      code: 'BAD_REQUEST',
      detail: 'The request path is not validly percent-encoded.',
    },
    FST_ERR_MAX_PARAM_LENGTH: {
      code: 'URI_TOO_LONG',
      detail: 'A path parameter is too long.',
    },
  };

/**
 * Nest rewraps Fastify's errors as a bare HttpException holding only Fastify's message and status
 * (RoutesResolver.mapExternalException), so the code is lost; those are recognised by Fastify's own message.
 */
const FASTIFY_PROBLEMS_BY_MESSAGE = new Map<string, KnownProblem>(
  Object.entries(FASTIFY_PROBLEMS).map(([name, problem]) => [
    new errorCodes[name as keyof typeof errorCodes]().message,
    problem,
  ]),
);

const MALFORMED_JSON: KnownProblem = {
  code: 'MALFORMED_JSON',
  detail: 'The request body is not valid JSON.',
};

/** Connection-level failures of PostgreSQL or PGlite: the client did nothing wrong, so 503. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  '57P01',
  '57P03',
  '08006',
  '08001',
  '08003',
]);

/** The same, reported only in messages; a client closed during shutdown is unavailable too, not a bug. */
const UNAVAILABLE_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|PGlite is closed|Cannot use a pool after calling end/i;

interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  name?: string;
}

function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && depth < 4; depth += 1) {
    const { code, message } = current as { code?: string; message?: string };
    if (
      (code && UNAVAILABLE_CODES.has(code)) ||
      UNAVAILABLE_MESSAGES.test(message ?? '')
    ) {
      return true;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

export interface ProblemResponse {
  problem: ProblemDetailsDto;
  headers: Record<string, string>;
}

/** Turns anything thrown while serving `method url` into a problem; unknown errors become an opaque 500. */
export function toProblem(
  exception: unknown,
  method: string,
  url: string,
): ProblemResponse {
  const instance = (url || '/').split('?')[0];
  const build = (
    status: number,
    code: string,
    detail: string,
    title = STATUS_TITLES[status] ?? 'Error',
  ): ProblemDetailsDto => ({
    type: problemType(code),
    title,
    status,
    detail,
    instance,
    code,
  });

  if (exception instanceof DomainError) {
    const problem = build(
      exception.status,
      exception.code,
      exception.message,
      exception.title,
    );
    if (exception.errors) problem.errors = exception.errors;
    return { problem, headers: exception.headers ?? {} };
  }
  if (exception instanceof RequestValidationException) {
    const problem = build(
      400,
      'VALIDATION_FAILED',
      'The request is invalid; see errors for each field.',
    );
    problem.errors = exception.fieldErrors;
    return { problem, headers: {} };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const known =
      exception.constructor === HttpException
        ? FASTIFY_PROBLEMS_BY_MESSAGE.get(exception.message)
        : undefined;
    if (known)
      return { problem: build(status, known.code, known.detail), headers: {} };
    const response = exception.getResponse();
    let detail = typeof response === 'string' ? response : exception.message;
    if (status === Number(HttpStatus.NOT_FOUND))
      detail = `No route ${method} ${instance}.`;
    if (status >= 500) detail = 'The server could not complete the request.';
    return {
      problem: build(status, STATUS_CODES[status] ?? `HTTP_${status}`, detail),
      headers: {},
    };
  }
  const fastifyError = exception as FastifyLikeError | undefined;
  const status = fastifyError?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const known =
      FASTIFY_PROBLEMS[fastifyError?.code as keyof typeof errorCodes] ??
      (fastifyError?.name === 'SyntaxError' ? MALFORMED_JSON : undefined);
    return {
      problem: build(
        status,
        known?.code ?? STATUS_CODES[status] ?? `HTTP_${status}`,
        known?.detail ?? STATUS_TITLES[status] ?? 'Bad request.',
      ),
      headers: {},
    };
  }
  if (isDatabaseUnavailable(exception)) {
    return {
      problem: build(
        503,
        'SERVICE_UNAVAILABLE',
        'The database is unavailable; try again shortly.',
      ),
      headers: { 'retry-after': '5' },
    };
  }
  return {
    problem: build(
      500,
      'INTERNAL',
      'The server could not complete the request.',
    ),
    headers: {},
  };
}

export function sendProblem(
  reply: FastifyReply,
  { problem, headers }: ProblemResponse,
): void {
  void reply
    .status(problem.status)
    .headers({
      ...headers,
      'content-type': 'application/problem+json; charset=utf-8',
      'cache-control': 'no-store',
    })
    // The id in the X-Request-Id header and on the request's log lines, so a report can be traced.
    .send(JSON.stringify({ ...problem, request_id: String(reply.request.id) }));
}

/**
 * Fastify answers a few errors before any route runs (a path that is not valid percent-encoding, an over-long
 * path parameter) with its own JSON unless `frameworkErrors` is set; this keeps those answers problem details too.
 */
export function frameworkErrorHandler(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  sendProblem(reply, toProblem(error, request.method, request.url));
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    const request = ctx.getRequest<FastifyRequest>();
    const response = toProblem(exception, request.method, request.url);
    if (response.problem.status >= 500) {
      // The request id is passed explicitly: log lines carry no per-request context of their own (request-log.ts).
      this.logger.error(
        {
          request_id: String(reply.request.id),
          err:
            exception instanceof Error
              ? exception
              : new Error(`non-Error thrown: ${typeof exception}`),
        },
        `${request.method} ${request.url} failed`,
      );
    }
    if (reply.sent) return;
    sendProblem(reply, response);
  }
}
