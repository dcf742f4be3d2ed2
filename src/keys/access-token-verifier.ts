import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { OnEvent } from '@nestjs/event-emitter';
import type { TokenFailure } from 'src/access/access.errors';
import type { Principal } from 'src/access/principal';
import type { Role } from 'src/access/role.enum';
import { Clock } from 'src/common/clock';
import { tokensConfig } from 'src/config/tokens.config';
import {
  DomainEvent,
  type VerifiedTokenCacheStats,
} from 'src/events/domain-events';
import { RevocationService } from 'src/revocation/revocation.service';
import { ACCESS_TOKEN_TYPE, type AccessTokenClaims } from './access-token';
import { decodeCompactJws, signatureIsValid } from './compact-jws';
import { SigningKeysService } from './signing-keys.service';
import { VerifiedTokenCache, type VerifiedToken } from './verified-token-cache';

/** Why a token that was sent is refused ('missing' is the caller's to say: it never reaches the verifier). */
export type AccessTokenFailure = Exclude<TokenFailure, 'missing'>;

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
 * algorithm and its signature verifies, `iss` and `aud` are ours, it is not before `nbf` nor expired
 * (JWT_CLOCK_TOLERANCE against the injected Clock), its header says `typ: at+jwt`, it carries every claim a Principal
 * needs (an integer `token_version`, `amr` as strings, an integer `auth_time`), and the revocation set does not refuse
 * its session or its user's token version.
 *
 * A token not seen before is decoded once, its signature checked once, its claims once and the revocation set asked
 * once (the same checks, in the same order, as jsonwebtoken's verify, which decoded the header three times). A token
 * verified once is remembered (VerifiedTokenCache, VERIFIED_TOKEN_CACHE_ENTRIES): the same bytes under the same key
 * give the same verdict, so a hit costs a Map lookup. What can change with time or state is checked on every hit: the
 * key is still accepted, expiry, revocation.
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly cache: VerifiedTokenCache;

  constructor(
    private readonly keys: SigningKeysService,
    private readonly revocations: RevocationService,
    private readonly clock: Clock,
    @Inject(tokensConfig.KEY)
    private readonly config: ConfigType<typeof tokensConfig>,
  ) {
    this.cache = new VerifiedTokenCache(config.verifiedTokenCacheEntries);
  }

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

  /** Answers the metrics module's question at scrape time: the cache's counters cost nothing per request. */
  @OnEvent(DomainEvent.VerifiedTokenCacheStatsRequested)
  cacheStats(): VerifiedTokenCacheStats {
    return this.cache.stats();
  }

  /** Everything but revocation, for a token not in the cache. */
  private verifySigned(token: string): VerifiedToken | AccessTokenFailure {
    const jws = decodeCompactJws(token);
    if (!jws) return 'invalid';
    const key = this.keys.findKey(jws.header.kid);
    if (!key || jws.header.alg !== key.alg) return 'invalid';
    if (!signatureIsValid(jws, key.alg, key.verificationKey)) return 'invalid';
    const claims = jws.payload as Partial<AccessTokenClaims> & {
      nbf?: unknown;
    };
    const failure = this.registeredClaimsFailure(claims);
    if (failure) return failure;
    if (jws.header.typ !== ACCESS_TOKEN_TYPE) return 'invalid';
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

  /** `nbf`, `exp`, `aud` and `iss`, with jsonwebtoken's rules and in its order (an expired token is 'expired' first). */
  private registeredClaimsFailure(claims: {
    nbf?: unknown;
    exp?: unknown;
    aud?: unknown;
    iss?: unknown;
  }): AccessTokenFailure | null {
    const now = this.clock.nowSeconds();
    const tolerance = this.config.clockToleranceSeconds;
    if (
      claims.nbf !== undefined &&
      (typeof claims.nbf !== 'number' || claims.nbf > now + tolerance)
    )
      return 'invalid';
    if (claims.exp !== undefined) {
      if (typeof claims.exp !== 'number') return 'invalid';
      if (now >= claims.exp + tolerance) return 'expired';
    }
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.includes(this.config.audience)) return 'invalid';
    return claims.iss === this.config.issuer ? null : 'invalid';
  }

  /** What a cached verdict cannot answer: the key is still accepted, the expiry test above, revocation. */
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
