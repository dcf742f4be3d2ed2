import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import type { Jwt } from 'jsonwebtoken';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { authConfig } from 'src/config/auth.config';
import {
  ACCESS_TOKEN_TYPE,
  type AccessTokenClaims,
} from 'src/keys/access-token';
import { AccessTokenService } from 'src/keys/access-token.service';
import { SigningKeysService } from 'src/keys/signing-keys.service';
import { RevocationService } from 'src/sessions/revocation.service';
import type { Role } from 'src/users/role.enum';
import { InvalidAccessTokenError } from './auth.errors';
import type { Principal } from './principal';

/**
 * passport-jwt with the key chosen by `kid` (a KeyObject built once) and the algorithm pinned to that key.
 * Expired/invalid signatures are rejected by jsonwebtoken; this class adds the token type and the revocation set,
 * which answers from memory: no database query per request.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    accessTokens: AccessTokenService,
    keys: SigningKeysService,
    private readonly revocations: RevocationService,
    @Inject(authConfig.KEY) config: ConfigType<typeof authConfig>,
  ) {
    super({
      // Only the Authorization header: never query strings or cookies.
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKeyProvider: (_request, rawJwt: string, done) => {
        const key = accessTokens.keyFor(rawJwt);
        if (!key) return done(new InvalidAccessTokenError('invalid'));
        // passport-jwt hands the key to jsonwebtoken, which accepts a KeyObject (typed as string | Buffer).
        done(null, key.verificationKey as unknown as Buffer);
      },
      algorithms: keys.algorithms(),
      issuer: config.issuer,
      audience: config.audience,
      ignoreExpiration: false,
      jsonWebTokenOptions: {
        complete: true,
        clockTolerance: config.clockToleranceSeconds,
      },
    });
  }

  validate(decoded: Jwt): Principal {
    if (decoded.header.typ !== ACCESS_TOKEN_TYPE)
      throw new InvalidAccessTokenError('invalid');
    const claims = decoded.payload as Partial<AccessTokenClaims>;
    if (
      typeof claims.sub !== 'string' ||
      typeof claims.sid !== 'string' ||
      typeof claims.jti !== 'string' ||
      typeof claims.iat !== 'number' ||
      typeof claims.exp !== 'number' ||
      typeof claims.username !== 'string' ||
      !Array.isArray(claims.roles)
    ) {
      throw new InvalidAccessTokenError('invalid');
    }
    if (this.revocations.isRevoked(claims.sid, claims.sub, claims.iat))
      throw new InvalidAccessTokenError('revoked');
    return {
      userId: claims.sub,
      username: claims.username,
      roles: claims.roles as Role[],
      sessionId: claims.sid,
      tokenId: claims.jti,
      issuedAt: claims.iat,
      expiresAt: claims.exp,
    };
  }
}
