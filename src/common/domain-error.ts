/**
 * Errors services throw. The problem-details filter maps them to HTTP; services never see HTTP.
 * `code` is stable and documented; `status` is the HTTP status the filter uses.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  abstract readonly title: string;
  /** Extra response headers, e.g. Retry-After or WWW-Authenticate. */
  headers?: Record<string, string>;
  /** Per-field errors, for validation failures found by a service rather than the ValidationPipe. */
  errors?: { field: string; message: string }[];

  constructor(detail: string) {
    super(detail);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
  readonly status = 404;
  readonly title = 'Not Found';
}

export class ConflictError extends DomainError {
  readonly code: string;
  readonly status = 409;
  readonly title = 'Conflict';
  constructor(code: string, detail: string) {
    super(detail);
    this.code = code;
  }
}

export class ForbiddenError extends DomainError {
  readonly code: string;
  readonly status = 403;
  readonly title = 'Forbidden';
  constructor(code: string, detail: string) {
    super(detail);
    this.code = code;
  }
}

export class ServiceUnavailableError extends DomainError {
  readonly code = 'SERVICE_UNAVAILABLE';
  readonly status = 503;
  readonly title = 'Service Unavailable';
}

export class DomainValidationError extends DomainError {
  readonly code = 'VALIDATION_FAILED';
  readonly status = 400;
  readonly title = 'Bad Request';
  constructor(field: string, message: string) {
    super('The request is invalid; see errors for each field.');
    this.errors = [{ field, message }];
  }
}
