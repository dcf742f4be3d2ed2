import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { OAuthService } from './oauth.service';

/** The introspection endpoint is @Public for the global guard; this guard admits resource servers and admins. */
@Injectable()
export class IntrospectionAuthGuard implements CanActivate {
  constructor(private readonly oauth: OAuthService) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    this.oauth.authorizeIntrospection(request.headers.authorization);
    return true;
  }
}
