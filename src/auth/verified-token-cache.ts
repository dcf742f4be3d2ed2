import type { SigningKey } from 'src/keys/signing-key';
import type { Principal } from './principal';

/** Enough for every token in use on a busy instance; the bound keeps a flood of distinct tokens from growing memory. */
export const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

export interface VerifiedToken {
  principal: Principal;
  /** The key that verified the signature: a hit counts only while that key still verifies tokens. */
  key: SigningKey;
}

/**
 * Access tokens the JwtStrategy has fully verified, keyed by the raw token. The same bytes under the same key give
 * the same signature and claims verdict, so a hit skips the decode and the signature check; the checks that depend on
 * time or on state (expiry, revocation, the key still being accepted) are the caller's to repeat on every hit.
 * Oldest-inserted entries are dropped first when full: cheap, and a dropped token is only verified again.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, VerifiedToken>();

  constructor(private readonly maxEntries = VERIFIED_TOKEN_CACHE_SIZE) {}

  get(token: string): VerifiedToken | undefined {
    return this.entries.get(token);
  }

  set(token: string, entry: VerifiedToken): void {
    if (this.entries.size >= this.maxEntries && !this.entries.has(token)) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, entry);
  }

  delete(token: string): void {
    this.entries.delete(token);
  }

  get size(): number {
    return this.entries.size;
  }
}
