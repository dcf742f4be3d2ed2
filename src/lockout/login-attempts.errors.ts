import { DomainError, retryAfterSeconds } from 'src/common/domain-error';

export class TooManyLoginAttemptsError extends DomainError {
  constructor(retryAfterMs: number) {
    // One body for existing and unknown accounts, so a lockout does not reveal which names exist.
    super(
      'AUTH.TOO_MANY_ATTEMPTS',
      'Too many failed sign-in attempts for this account; try again later.',
      { headers: { 'retry-after': retryAfterSeconds(retryAfterMs) } },
    );
  }
}
