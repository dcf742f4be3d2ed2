import { registerAs } from '@nestjs/config';
import { parseEnv } from './env.schema';

/** What every access token is signed and checked with: lifetime, issuer, audience, clock tolerance, and how many verified tokens are kept. */
export const tokensConfig = registerAs('tokens', () => {
  const env = parseEnv();
  return {
    accessTtlSeconds: env.JWT_ACCESS_TTL,
    issuer: env.JWT_ISSUER,
    audience: env.JWT_AUDIENCE,
    clockToleranceSeconds: env.JWT_CLOCK_TOLERANCE,
    verifiedTokenCacheEntries: env.VERIFIED_TOKEN_CACHE_ENTRIES,
    emailVerifiedClaim: env.AUTH_EMAIL_VERIFICATION !== 'off',
  };
});
