import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { ScrapeClient } from './metrics-access.service';

export const CurrentScrapeClient = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): ScrapeClient => {
    const authorization = ctx.switchToHttp().getRequest<FastifyRequest>()
      .headers.authorization;
    return {
      authorization:
        typeof authorization === 'string' ? authorization : undefined,
    };
  },
);
