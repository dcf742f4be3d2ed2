export const KEYS_ENCRYPTION_KEY =
  'test-keys-encryption-key-0123456789-abcdefghijklmnop';

/** jose is ESM-only; a real dynamic import (not compiled to require) loads it under jest's VM modules. */
// eslint-disable-next-line @typescript-eslint/no-implied-eval
export const importJose = new Function(
  'return import("jose")',
) as () => Promise<typeof import('jose')>;

// The keys specs read token headers and payloads through these names; the decoding lives in helpers/jwt.
export { headerOf, payloadOf } from './helpers/jwt';

export const PRIVATE_JWK_MEMBERS = [
  'd',
  'p',
  'q',
  'dp',
  'dq',
  'qi',
  'k',
  'oth',
];
