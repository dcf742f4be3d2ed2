import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import { RateLimitedError } from './throttling.errors';

/**
 * @nestjs/throttler's guard, keyed by the client address Fastify reports (X-Forwarded-For only when TRUST_PROXY
 * says so), answering with a problem-details 429 instead of a bare ThrottlerException.
 */
@Injectable()
export class IpRateLimitGuard extends ThrottlerGuard {
  protected throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw new RateLimitedError(detail.timeToBlockExpire);
  }
}
