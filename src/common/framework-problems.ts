import { errorCodes } from 'fastify';

/** Codes and details for errors raised by Nest, Fastify and the database driver rather than by a service. */

export const STATUS_CODES: Record<number, string> = {
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

export interface KnownProblem {
  code: string;
  detail: string;
}

/** Fastify's own client errors (body parsing, URLs), mapped to stable codes and details that leak no internals. */
export const FASTIFY_PROBLEMS: Partial<
  Record<keyof typeof errorCodes, KnownProblem>
> = {
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
export const FASTIFY_PROBLEMS_BY_MESSAGE = new Map<string, KnownProblem>(
  Object.entries(FASTIFY_PROBLEMS).map(([name, problem]) => [
    new errorCodes[name as keyof typeof errorCodes]().message,
    problem,
  ]),
);

export const MALFORMED_JSON: KnownProblem = {
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

export interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  name?: string;
}

export function isDatabaseUnavailable(error: unknown): boolean {
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
