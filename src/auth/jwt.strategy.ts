import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import type { Jwt } from 'jsonwebtoken';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { Clock } from 'src/common/clock';
import { authConfig } from 'src/config/auth.config';
import {
  ACCESS_TOKEN_TYPE,
  type AccessTokenClaims,
} from 'src/keys/access-token';
import { AccessTokenService } from 'src/keys/access-token.service';
import type { SigningKey } from 'src/keys/signing-key';
import { SigningKeysService } from 'src/keys/signing-keys.service';
import { RevocationService } from 'src/revocation/revocation.service';
import type { Role } from 'src/access/role.enum';
import {
  InvalidAccessTokenError,
  type TokenFailure,
} from 'src/access/access.errors';
import type { Principal } from 'src/access/principal';
import { VerifiedTokenCache } from './verified-token-cache';

/** Only the Authorization header: never query strings or cookies. */
const extractToken = ExtractJwt.fromAuthHeaderAsBearerToken();

/**
 * passport-jwt with the key chosen by `kid` (a KeyObject built once) and the algorithm pinned to that key.
 * Expired/invalid signatures are rejected by jsonwebtoken; this class adds the token type and the revocation set,
 * which answers from memory: no database query per request.
 * A token verified once is remembered (VerifiedTokenCache): decoding and checking the signature again is most of
 * what a protected request costs here, while the same bytes can only give the same verdict. Every hit still checks
 * expiry, the revocation set and that its key is still accepted.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  private readonly cache = new VerifiedTokenCache();
  private readonly clockToleranceSeconds: number;

  constructor(
    accessTokens: AccessTokenService,
    private readonly keys: SigningKeysService,
    private readonly revocations: RevocationService,
    private readonly clock: Clock,
    @Inject(authConfig.KEY) config: ConfigType<typeof authConfig>,
  ) {
    super({
      jwtFromRequest: extractToken,
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
      passReqToCallback: true,
      jsonWebTokenOptions: {
        complete: true,
        clockTolerance: config.clockToleranceSeconds,
      },
    });
    this.clockToleranceSeconds = config.clockToleranceSeconds;
    // passport-jwt copies its options once; jsonwebtoken copies them per call, which reads this getter, so the
    // signature path and the cached path agree on "now" (the injected Clock).
    const verifyOptions = (this as unknown as { _verifOpts?: object })
      ._verifOpts;
    if (typeof verifyOptions !== 'object')
      throw new Error('passport-jwt no longer keeps its verify options');
    Object.defineProperty(verifyOptions, 'clockTimestamp', {
      enumerable: true,
      get: () => clock.nowSeconds(),
    });
  }

  authenticate(request: Parameters<Strategy['authenticate']>[0]): void {
    const token = extractToken(request);
    const hit = token ? this.cache.get(token) : undefined;
    if (!token || !hit) return super.authenticate(request);
    const failure = this.recheck(hit.principal, hit.key);
    if (failure) {
      this.cache.delete(token);
      return this.fail(new InvalidAccessTokenError(failure), 401);
    }
    this.success(hit.principal);
  }

  validate(
    request: Parameters<Strategy['authenticate']>[0],
    decoded: Jwt,
  ): Principal {
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
      !Array.isArray(claims.roles) ||
      !Number.isSafeInteger(claims.token_version)
    ) {
      throw new InvalidAccessTokenError('invalid');
    }
    const tokenVersion = claims.token_version as number;
    if (this.revocations.isRevoked(claims.sid, claims.sub, tokenVersion))
      throw new InvalidAccessTokenError('revoked');
    const principal: Principal = {
      userId: claims.sub,
      username: claims.username,
      roles: claims.roles as Role[],
      sessionId: claims.sid,
      tokenId: claims.jti,
      issuedAt: claims.iat,
      expiresAt: claims.exp,
      tokenVersion,
    };
    const key = this.keys.findKey(decoded.header.kid);
    const token = extractToken(request);
    if (key && token) this.cache.set(token, { principal, key });
    return principal;
  }

  /** The checks a cached verdict cannot answer: the same as jsonwebtoken's expiry test, revocation, key removal. */
  private recheck(principal: Principal, key: SigningKey): TokenFailure | null {
    // By kid and alg, not identity: a key-store reload builds new KeyObjects for the same keys.
    const current = this.keys.findKey(key.kid);
    if (!current || current.alg !== key.alg) return 'invalid';
    if (
      this.clock.nowSeconds() >=
      principal.expiresAt + this.clockToleranceSeconds
    )
      return 'expired';
    if (
      this.revocations.isRevoked(
        principal.sessionId,
        principal.userId,
        principal.tokenVersion,
      )
    )
      return 'revoked';
    return null;
  }
}
