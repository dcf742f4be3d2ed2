import { DomainError } from 'src/common/domain-error';

export class RateLimitedError extends DomainError {
  constructor(retryAfterSeconds: number) {
    super(
      'RATE_LIMITED',
      'Too many requests from this address; try again later.',
      { headers: { 'retry-after': String(Math.max(1, retryAfterSeconds)) } },
    );
  }
}
