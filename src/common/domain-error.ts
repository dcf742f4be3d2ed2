import { ERROR_CODES, type ErrorCode } from './error-codes';

export interface FieldError {
  field: string;
  message: string;
}

export interface DomainErrorOptions {
  /** Headers computed for this occurrence, e.g. Retry-After or a WWW-Authenticate with a description. */
  headers?: Record<string, string>;
  /** Per-field errors, for validation failures found by a service rather than the ValidationPipe. */
  errors?: FieldError[];
}

/**
 * Errors services throw: a stable, documented `code` and a `detail` safe to show. The problem-details filter
 * takes status, title and static headers from the code's row in ERROR_CODES; services never see HTTP.
 */
export class DomainError extends Error {
  readonly headers?: Record<string, string>;
  readonly errors?: FieldError[];

  constructor(
    readonly code: ErrorCode,
    detail: string,
    options: DomainErrorOptions = {},
  ) {
    super(detail);
    this.name = new.target.name;
    if (options.headers) this.headers = options.headers;
    if (options.errors) this.errors = options.errors;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

/** Kept as a class: password changes tell a policy refusal apart from other failures with instanceof. */
export class DomainValidationError extends DomainError {
  constructor(field: string, message: string) {
    super(
      'VALIDATION_FAILED',
      'The request is invalid; see errors for each field.',
      { errors: [{ field, message }] },
    );
  }
}

/** Seconds for a Retry-After header: at least 1, rounded up. */
export function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}
