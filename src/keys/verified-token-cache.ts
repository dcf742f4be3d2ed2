import { BoundedMap } from 'src/common/bounded-map';
import type { Principal } from 'src/access/principal';
import type { VerifiedTokenCacheStats } from 'src/events/domain-events';
import type { SigningKey } from './signing-key';

/** VERIFIED_TOKEN_CACHE_ENTRIES's default (docs/performance.md: about 1.1 KB of heap per entry, so about 22 MB). */
export const VERIFIED_TOKEN_CACHE_ENTRIES = 20_000;

export interface VerifiedToken {
  principal: Principal;
  /** The key that verified the signature: a hit counts only while that key still verifies tokens. */
  key: SigningKey;
}

/**
 * Access tokens the AccessTokenVerifier has fully verified, keyed by the raw token. The same bytes under the same key give
 * the same signature and claims verdict, so a hit skips the decode and the signature check; the checks that depend on
 * time or on state (expiry, revocation, the key still being accepted) are the caller's to repeat on every hit.
 * A dropped token is only verified again. Lookups are counted for the hit-rate metric.
 */
export class VerifiedTokenCache extends BoundedMap<string, VerifiedToken> {
  private hits = 0;
  private misses = 0;

  constructor(private readonly maxEntries = VERIFIED_TOKEN_CACHE_ENTRIES) {
    super(maxEntries);
  }

  get(token: string): VerifiedToken | undefined {
    const entry = super.get(token);
    if (entry) this.hits += 1;
    else this.misses += 1;
    return entry;
  }

  stats(): VerifiedTokenCacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      entries: this.size,
      maxEntries: this.maxEntries,
    };
  }
}
