import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { InvalidAccessTokenError } from 'src/access/access.errors';
import type { Principal } from 'src/access/principal';
import { AccessTokenVerifier } from 'src/keys/access-token-verifier';

type Request = Parameters<Strategy['authenticate']>[0];

/** Only the Authorization header: never query strings or cookies. */
const extractToken = ExtractJwt.fromAuthHeaderAsBearerToken();

/**
 * The 'jwt' strategy of the global JwtAuthGuard. passport-jwt finds the bearer token; AccessTokenVerifier, which
 * also serves introspection, decides whether it is valid. authenticate() is passport-jwt's own minus the
 * verification, so the token is extracted once and read by one verifier, which caches what it has verified.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(private readonly verifier: AccessTokenVerifier) {
    super({
      jwtFromRequest: extractToken,
      // passport-jwt insists on a key source; authenticate() never calls it, keys are the verifier's to choose.
      secretOrKeyProvider: (_request, _token, done) =>
        done(new InvalidAccessTokenError('invalid')),
    });
  }

  authenticate(request: Request): void {
    const token = extractToken(request);
    if (!token) return this.fail(new InvalidAccessTokenError('missing'), 401);
    const verdict = this.verifier.verify(token);
    if (typeof verdict === 'string')
      return this.fail(new InvalidAccessTokenError(verdict), 401);
    this.success(this.validate(verdict));
  }

  /** The user passport hands to the request: the verifier's principal as it is. */
  validate(principal: Principal): Principal {
    return principal;
  }
}
