import { applyDecorators } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiResponse,
  getSchemaPath,
  type HeadersObject,
  type ResponseObject,
} from '@nestjs/swagger';
import { PROBLEM_JSON, ProblemDetailsDto } from './problem-details';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request; `errors` lists each invalid field',
  401: 'Missing, invalid, expired or revoked credentials',
  403: 'The caller is not allowed to do this',
  404: 'Not found',
  409: 'Conflicts with existing data',
  413: 'Body larger than 100 KB',
  415: 'Body is not application/json',
  429: 'Too many attempts; retry after `Retry-After` seconds',
  503: 'A backing service is unavailable; retry after `Retry-After` seconds',
};

const RETRY_AFTER: HeadersObject = {
  'Retry-After': {
    description: 'Seconds to wait before retrying',
    schema: { type: 'integer' },
  },
};

/** Headers a client's generated code may want to read; RFC 6750 and RFC 9110 require them on these statuses. */
const HEADERS: Record<number, HeadersObject> = {
  401: {
    'WWW-Authenticate': {
      description:
        'Bearer challenge (RFC 6750), e.g. `Bearer error="invalid_token"`',
      schema: { type: 'string' },
    },
  },
  429: RETRY_AFTER,
  503: RETRY_AFTER,
};

/** The OpenAPI response for an error `status`: a problem details body, with the headers that status carries. */
export function problemResponse(
  status: number,
  description = DESCRIPTIONS[status] ?? 'Error',
): ResponseObject {
  const headers = HEADERS[status];
  return {
    description,
    ...(headers ? { headers } : {}),
    content: {
      [PROBLEM_JSON]: { schema: { $ref: getSchemaPath(ProblemDetailsDto) } },
    },
  };
}

/** Documents error responses as RFC 9457 problem details. */
export function ApiProblems(
  ...statuses: number[]
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDetailsDto),
    ...statuses.map((status) =>
      ApiResponse({ status, ...problemResponse(status) }),
    ),
  );
}
