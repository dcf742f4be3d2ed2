import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export const PROBLEM_JSON = 'application/problem+json';

export class FieldErrorDto {
  @ApiProperty({ example: 'password' })
  field: string;

  @ApiProperty({ example: 'password must be at least 12 characters' })
  message: string;
}

/** RFC 9457 problem details, the body of every error response. */
export class ProblemDetailsDto {
  @ApiProperty({
    example: 'urn:gatehouse:problem:validation-failed',
    description: 'URI identifying the problem type; derived from `code`.',
  })
  type: string;

  @ApiProperty({
    example: 'Bad Request',
    description: 'Short summary of the problem type.',
  })
  title: string;

  @ApiProperty({
    example: 400,
    description: 'The HTTP status code, repeated.',
  })
  status: number;

  @ApiProperty({
    example: 'The request is invalid; see errors for each field.',
    description: 'Explanation of this occurrence, safe to show to a user.',
  })
  detail: string;

  @ApiProperty({
    example: '/auth/register',
    description: 'The request path this problem occurred on.',
  })
  instance: string;

  @ApiProperty({
    example: 'VALIDATION_FAILED',
    description: 'Stable machine-readable code.',
  })
  code: string;

  @ApiPropertyOptional({
    type: [FieldErrorDto],
    description: 'One entry per invalid field (validation failures only).',
  })
  errors?: FieldErrorDto[];

  @ApiProperty({
    example: '4bf92f35-77b3-4da4-a3ce-929d0e36e4b6',
    description:
      'The X-Request-Id of this request (the caller’s own if it sent an acceptable one); it is on the server’s log lines too.',
  })
  /** Added by sendProblem on every response, hence required in the document though optional here. */
  request_id?: string;
}

export function problemType(code: string): string {
  return `urn:gatehouse:problem:${code.toLowerCase().replace(/[._]/g, '-')}`;
}
