import { DomainError } from 'src/common/domain-error';

export class RateLimitedError extends DomainError {
  readonly code = 'RATE_LIMITED';
  readonly status = 429;
  readonly title = 'Too Many Requests';
  constructor(retryAfterSeconds: number) {
    super('Too many requests from this address; try again later.');
    this.headers = { 'retry-after': String(Math.max(1, retryAfterSeconds)) };
  }
}
