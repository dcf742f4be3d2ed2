import type { KeyObject } from 'node:crypto';

export type SigningAlgorithm = 'HS256' | 'RS256' | 'ES256';
export type AsymmetricAlgorithm = Exclude<SigningAlgorithm, 'HS256'>;

/** One key: what signs (private or secret) and what verifies (public or the same secret), pinned to one alg. */
export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  signingKey: KeyObject;
  verificationKey: KeyObject;
}

/** Where a key is in its life: published ahead, signing, or only verifying the tokens it signed. */
export type KeyState = 'pending' | 'active' | 'retired';

/** A key with its timeline. `retiredAt`/`removesAt` are set once a successor has taken over. */
export interface KeyStatus {
  key: SigningKey;
  state: KeyState;
  publishedAt: Date;
  activatesAt: Date;
  retiredAt?: Date;
  removesAt?: Date;
}
