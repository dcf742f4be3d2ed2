import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { ScrapeClient } from './metrics-access.service';

export const CurrentScrapeClient = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): ScrapeClient => {
    const request = ctx.switchToHttp().getRequest<FastifyRequest>();
    const authorization = request.headers.authorization;
    return {
      authorization:
        typeof authorization === 'string' ? authorization : undefined,
      ip: request.ip,
      peerAddress: request.socket?.remoteAddress,
    };
  },
);
