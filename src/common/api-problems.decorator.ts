import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ProblemDetailsDto } from './problem-details';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request (problem details; `errors[]` lists each invalid field)',
  401: 'Missing, invalid, expired or revoked credentials',
  403: 'Authenticated but not allowed',
  404: 'Not found',
  409: 'Conflict',
  413: 'Body larger than 100 KB',
  415: 'Body is not application/json',
  429: 'Too many requests; see Retry-After',
  503: 'A backing service is unavailable',
};

/** Documents error responses as RFC 9457 problem details. */
export function ApiProblems(
  ...statuses: number[]
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDetailsDto),
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? 'Error',
        content: {
          'application/problem+json': {
            schema: { $ref: getSchemaPath(ProblemDetailsDto) },
          },
        },
      }),
    ),
  );
}
