import { Injectable } from '@nestjs/common';
import {
  InjectThrottlerStorage,
  type ThrottlerStorage,
} from '@nestjs/throttler';

/**
 * Counts uses of a named thing (say, mails to one address) in the same store as the per-IP rate limits: Redis,
 * shared by every instance, while it answers; this process otherwise. Fixed windows, like the rate limits.
 */
@Injectable()
export class QuotaService {
  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
  ) {}

  /** Takes one use of `key`; false when `limit` uses were already taken in the current window. */
  async take(
    key: string,
    limit: number,
    windowSeconds: number,
  ): Promise<boolean> {
    const ms = windowSeconds * 1000;
    const record = await this.storage.increment(key, ms, limit, ms, 'quota');
    return !record.isBlocked && record.totalHits <= limit;
  }
}
