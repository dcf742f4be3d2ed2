import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { TokenExpiredError, verify, type Jwt } from 'jsonwebtoken';
import type { TokenFailure } from 'src/access/access.errors';
import type { Principal } from 'src/access/principal';
import type { Role } from 'src/access/role.enum';
import { Clock } from 'src/common/clock';
import { tokensConfig } from 'src/config/tokens.config';
import { RevocationService } from 'src/revocation/revocation.service';
import { ACCESS_TOKEN_TYPE, type AccessTokenClaims } from './access-token';
import { SigningKeysService } from './signing-keys.service';
import { VerifiedTokenCache, type VerifiedToken } from './verified-token-cache';

/** Why a token that was sent is refused ('missing' is the caller's to say: it never reaches the verifier). */
export type AccessTokenFailure = Exclude<TokenFailure, 'missing'>;

/** The `alg` and `kid` of a token's header, read before the signature to choose the key. */
function headerOf(token: string): Partial<Record<'alg' | 'kid', unknown>> {
  const dot = token.indexOf('.');
  if (dot <= 0) return {};
  try {
    const header: unknown = JSON.parse(
      Buffer.from(token.slice(0, dot), 'base64url').toString('utf8'),
    );
    return typeof header === 'object' && header !== null ? header : {};
  } catch {
    return {};
  }
}

function hasRequiredClaims(
  claims: Partial<AccessTokenClaims>,
): claims is AccessTokenClaims {
  return (
    typeof claims.sub === 'string' &&
    typeof claims.sid === 'string' &&
    typeof claims.jti === 'string' &&
    typeof claims.iat === 'number' &&
    typeof claims.exp === 'number' &&
    typeof claims.username === 'string' &&
    Array.isArray(claims.roles) &&
    Number.isSafeInteger(claims.token_version) &&
    Array.isArray(claims.amr) &&
    claims.amr.every((method) => typeof method === 'string') &&
    Number.isSafeInteger(claims.auth_time)
  );
}

/**
 * The one place that decides whether an access token is valid: the request guard's JwtStrategy, introspection and
 * revocation all ask here. A token is valid when its `kid` names a key that is still accepted, it declares that key's
 * algorithm and its signature verifies, `iss` and `aud` are ours, it has not expired (JWT_CLOCK_TOLERANCE against the
 * injected Clock), its header says `typ: at+jwt`, it carries every claim a Principal needs (an integer
 * `token_version`, `amr` as strings, an integer `auth_time`), and the revocation set does not refuse its session or its user's token version.
 *
 * A token verified once is remembered (VerifiedTokenCache): the same bytes under the same key give the same verdict,
 * so a hit costs a Map lookup, no decoding and no signature check. What can change with time or state is checked on
 * every hit: the key is still accepted, expiry, revocation.
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly cache = new VerifiedTokenCache();

  constructor(
    private readonly keys: SigningKeysService,
    private readonly revocations: RevocationService,
    private readonly clock: Clock,
    @Inject(tokensConfig.KEY)
    private readonly config: ConfigType<typeof tokensConfig>,
  ) {}

  /** The caller a raw access token stands for, or why it is refused. */
  verify(token: string): Principal | AccessTokenFailure {
    const hit = this.cache.get(token);
    if (hit) {
      const failure = this.recheck(hit);
      if (!failure) return hit.principal;
      this.cache.delete(token);
      return failure;
    }
    const verified = this.verifySigned(token);
    if (typeof verified === 'string') return verified;
    if (this.isRevoked(verified.principal)) return 'revoked';
    this.cache.set(token, verified);
    return verified.principal;
  }

  /**
   * Everything but revocation, for a token not in the cache: the header is read once to choose the key, then
   * jsonwebtoken decodes the token and checks signature, issuer, audience and expiry in one pass.
   */
  private verifySigned(token: string): VerifiedToken | AccessTokenFailure {
    const { alg, kid } = headerOf(token);
    const key = this.keys.findKey(kid);
    if (!key || alg !== key.alg) return 'invalid';
    let decoded: Jwt;
    try {
      decoded = verify(token, key.verificationKey, {
        algorithms: [key.alg],
        issuer: this.config.issuer,
        audience: this.config.audience,
        clockTolerance: this.config.clockToleranceSeconds,
        clockTimestamp: this.clock.nowSeconds(),
        complete: true,
      });
    } catch (error) {
      return error instanceof TokenExpiredError ? 'expired' : 'invalid';
    }
    if (decoded.header.typ !== ACCESS_TOKEN_TYPE) return 'invalid';
    const claims = decoded.payload as Partial<AccessTokenClaims>;
    if (!hasRequiredClaims(claims)) return 'invalid';
    return {
      key,
      principal: {
        userId: claims.sub,
        username: claims.username,
        roles: claims.roles as Role[],
        sessionId: claims.sid,
        tokenId: claims.jti,
        issuedAt: claims.iat,
        expiresAt: claims.exp,
        tokenVersion: claims.token_version,
        amr: claims.amr,
        authTime: claims.auth_time,
      },
    };
  }

  /** What a cached verdict cannot answer: the key is still accepted, jsonwebtoken's expiry test, revocation. */
  private recheck({
    principal,
    key,
  }: VerifiedToken): AccessTokenFailure | null {
    // By kid and alg, not identity: a key-store reload builds new KeyObjects for the same keys.
    const current = this.keys.findKey(key.kid);
    if (!current || current.alg !== key.alg) return 'invalid';
    if (
      this.clock.nowSeconds() >=
      principal.expiresAt + this.config.clockToleranceSeconds
    )
      return 'expired';
    return this.isRevoked(principal) ? 'revoked' : null;
  }

  private isRevoked(principal: Principal): boolean {
    return this.revocations.isRevoked(
      principal.sessionId,
      principal.userId,
      principal.tokenVersion,
    );
  }
}
