import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
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
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL',
  503: 'SERVICE_UNAVAILABLE',
};

/** Fastify's own client errors (body parsing), mapped to messages that do not leak internals. */
const FASTIFY_DETAILS: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE:
    'Request bodies must be sent as application/json.',
  FST_ERR_CTP_BODY_TOO_LARGE:
    'The request body is larger than the 100 KB limit.',
  FST_ERR_CTP_EMPTY_JSON_BODY:
    'The request body is empty but declared as application/json.',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH:
    'The Content-Length header does not match the body.',
  FST_ERR_CTP_INVALID_JSON_BODY: 'The request body is not valid JSON.',
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

interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  name?: string;
  message?: string;
}

function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && depth < 4; depth += 1) {
    const { code, message } = current as { code?: string; message?: string };
    if (
      (code && UNAVAILABLE_CODES.has(code)) ||
      /Connection terminated|connection timeout|timeout exceeded when trying to connect/i.test(
        message ?? '',
      )
    ) {
      return true;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    const request = ctx.getRequest<FastifyRequest>();
    const { problem, headers } = this.toProblem(exception, request);
    if (problem.status >= 500) {
      this.logger.error(
        `${request.method} ${request.url} failed: ${(exception as Error)?.message}`,
        (exception as Error)?.stack,
      );
    }
    if (reply.sent) return;
    void reply
      .status(problem.status)
      .headers({
        ...headers,
        'content-type': 'application/problem+json; charset=utf-8',
        'cache-control': 'no-store',
      })
      .send(JSON.stringify(problem));
  }

  private toProblem(
    exception: unknown,
    request: FastifyRequest,
  ): { problem: ProblemDetailsDto; headers: Record<string, string> } {
    const instance = (request.url ?? '/').split('?')[0];
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
      const headers: Record<string, string> = {};
      const response = exception.getResponse() as
        { message?: unknown; headers?: Record<string, string> } | string;
      let detail = typeof response === 'string' ? response : exception.message;
      if (status === Number(HttpStatus.NOT_FOUND))
        detail = `No route ${request.method} ${instance}.`;
      if (status >= 500) detail = 'The server could not complete the request.';
      return {
        problem: build(
          status,
          STATUS_CODES[status] ?? `HTTP_${status}`,
          detail,
        ),
        headers,
      };
    }
    const fastifyError = exception as FastifyLikeError;
    const status = fastifyError?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const detail =
        FASTIFY_DETAILS[fastifyError.code ?? ''] ??
        (fastifyError.name === 'SyntaxError'
          ? 'The request body is not valid JSON.'
          : (STATUS_TITLES[status] ?? 'Bad request.'));
      const code =
        status === 400 &&
        (fastifyError.name === 'SyntaxError' ||
          fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY')
          ? 'MALFORMED_JSON'
          : (STATUS_CODES[status] ?? `HTTP_${status}`);
      return { problem: build(status, code, detail), headers: {} };
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
}
