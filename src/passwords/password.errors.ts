import { DomainError, retryAfterSeconds } from 'src/common/domain-error';

/** A hash waited HASH_QUEUE_MAX_WAIT for a free slot and was refused rather than queued without end. */
export class HashQueueFullError extends DomainError {
  constructor(retryAfterMs: number) {
    super(
      'PASSWORDS.QUEUE_FULL',
      'Too many password checks are waiting; try again shortly.',
      { headers: { 'retry-after': retryAfterSeconds(retryAfterMs) } },
    );
  }
}
