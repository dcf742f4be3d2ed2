import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

export interface RequestClient {
  ip?: string;
  userAgent?: string;
}

/** The caller's address (X-Forwarded-For only when TRUST_PROXY says so) and user agent. */
export const ClientContext = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): RequestClient => {
    const request = ctx.switchToHttp().getRequest<FastifyRequest>();
    const userAgent = request.headers['user-agent'];
    return {
      ip: request.ip,
      userAgent: typeof userAgent === 'string' ? userAgent : undefined,
    };
  },
);
