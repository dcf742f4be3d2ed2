import type { KeyObject } from 'node:crypto';

export type SigningAlgorithm = 'HS256' | 'RS256' | 'ES256';

/** One key: what signs (private or secret) and what verifies (public or the same secret), pinned to one alg. */
export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  signingKey: KeyObject;
  verificationKey: KeyObject;
}
