import { BoundedMap } from 'src/common/bounded-map';
import type { Principal } from 'src/access/principal';
import type { SigningKey } from './signing-key';

/** Enough for every token in use on a busy instance; the bound keeps a flood of distinct tokens from growing memory. */
export const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

export interface VerifiedToken {
  principal: Principal;
  /** The key that verified the signature: a hit counts only while that key still verifies tokens. */
  key: SigningKey;
}

/**
 * Access tokens the AccessTokenVerifier has fully verified, keyed by the raw token. The same bytes under the same key give
 * the same signature and claims verdict, so a hit skips the decode and the signature check; the checks that depend on
 * time or on state (expiry, revocation, the key still being accepted) are the caller's to repeat on every hit.
 * A dropped token is only verified again.
 */
export class VerifiedTokenCache extends BoundedMap<string, VerifiedToken> {
  constructor(maxEntries = VERIFIED_TOKEN_CACHE_SIZE) {
    super(maxEntries);
  }
}
