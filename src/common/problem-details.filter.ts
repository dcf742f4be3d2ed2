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
import { ERROR_CODES, STATUS_TITLES } from './error-codes';
import {
  FASTIFY_PROBLEMS,
  FASTIFY_PROBLEMS_BY_MESSAGE,
  type FastifyLikeError,
  isDatabaseUnavailable,
  MALFORMED_JSON,
  STATUS_CODES,
} from './framework-problems';
import { ProblemDetailsDto, problemType } from './problem-details';
import { RequestValidationException } from './validation';

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
    const { status, title, headers } = ERROR_CODES[exception.code];
    const problem = build(status, exception.code, exception.message, title);
    if (exception.errors) problem.errors = exception.errors;
    return { problem, headers: { ...headers, ...exception.headers } };
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
