import { DomainError } from 'src/common/domain-error';

export class TooManyLoginAttemptsError extends DomainError {
  readonly code = 'AUTH.TOO_MANY_ATTEMPTS';
  readonly status = 429;
  readonly title = 'Too Many Requests';
  constructor(retryAfterMs: number) {
    // One body for existing and unknown accounts, so a lockout does not reveal which names exist.
    super(
      'Too many failed sign-in attempts for this account; try again later.',
    );
    this.headers = {
      'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
    };
  }
}
