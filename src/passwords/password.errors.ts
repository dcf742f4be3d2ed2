import { DomainError } from 'src/common/domain-error';

/** A hash waited HASH_QUEUE_MAX_WAIT for a free slot and was refused rather than queued without end. */
export class HashQueueFullError extends DomainError {
  readonly code = 'PASSWORDS.QUEUE_FULL';
  readonly status = 503;
  readonly title = 'Service Unavailable';
  constructor(retryAfterMs: number) {
    super('Too many password checks are waiting; try again shortly.');
    this.headers = {
      'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
    };
  }
}
