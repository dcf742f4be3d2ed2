import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiProblems } from 'src/common/api-problems.decorator';
import { IpRateLimitGuard } from './ip-rate-limit.guard';

/**
 * Limits a public route to RATE_LIMIT_MAX requests per client address per RATE_LIMIT_WINDOW. Applied per route
 * rather than globally: authenticated routes are protected by their tokens, and a limit there would only hurt
 * offices behind one NAT address.
 */
export function RateLimited(): MethodDecorator & ClassDecorator {
  return applyDecorators(UseGuards(IpRateLimitGuard), ApiProblems(429));
}
