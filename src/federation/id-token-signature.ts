/**
 * openid-client checks the ID token's claims (issuer, audience, expiry, nonce) but, for a token received straight
 * from the token endpoint, not its signature unless asked to; when asked, it fetches the provider's keys again for
 * an unknown key id only once its copy is 60 s old, so the first sign-in after a key rotation would fail with its
 * code already spent. The signature is therefore checked here, with jose's remote key set, which fetches the keys
 * again at once for a key id it does not know. The tokens checked here come from the provider's token endpoint,
 * never from the caller, so an unknown key id cannot be used to make Gatehouse hammer the provider.
 */
import { randomUUID } from 'node:crypto';

type Jose = typeof import('jose');

// A source of its own per evaluation, as in openid-client.loader.ts (V8 shares compiled code of identical sources).
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const importJose = new Function(
  `return import("jose") // ${randomUUID()}`,
) as () => Promise<Jose>;
let jose: Promise<Jose> | undefined;

type KeySet = ReturnType<Jose['createRemoteJWKSet']>;
const keySets = new Map<string, KeySet>();

/** Resolves when `idToken` is signed by a key the provider publishes at `jwksUri`; rejects otherwise. */
export async function verifyIdTokenSignature(
  idToken: string,
  jwksUri: string,
  expected: { issuer: string; audience: string },
): Promise<void> {
  jose ??= importJose();
  const { createRemoteJWKSet, jwtVerify } = await jose;
  let keys = keySets.get(jwksUri);
  if (!keys) {
    keys = createRemoteJWKSet(new URL(jwksUri), {
      cooldownDuration: 0,
      timeoutDuration: 5_000,
    });
    keySets.set(jwksUri, keys);
  }
  await jwtVerify(idToken, keys, expected);
}
