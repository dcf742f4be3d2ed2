import { registerAs } from '@nestjs/config';
import { parseEnv } from './env.schema';

/** What every access token is signed and checked with: lifetime, issuer, audience, clock tolerance. */
export const tokensConfig = registerAs('tokens', () => {
  const env = parseEnv();
  return {
    accessTtlSeconds: env.JWT_ACCESS_TTL,
    issuer: env.JWT_ISSUER,
    audience: env.JWT_AUDIENCE,
    clockToleranceSeconds: env.JWT_CLOCK_TOLERANCE,
  };
});

/** Where signing keys come from and how they rotate. */
export const keysConfig = registerAs('keys', () => {
  const env = parseEnv();
  return {
    production: env.NODE_ENV === 'production',
    dataDir: env.DATA_DIR,
    jwtSecret: env.JWT_SECRET,
    algorithm: env.JWT_ALGORITHM,
    privateKeyPem: env.JWT_PRIVATE_KEY,
    privateKeyFile: env.JWT_PRIVATE_KEY_FILE,
    keysEncryptionKey: env.KEYS_ENCRYPTION_KEY,
    keyRotationSeconds: env.JWT_KEY_ROTATION,
    keyPublishAheadSeconds: env.JWT_KEY_PUBLISH_AHEAD,
  };
});

/** Who may create an account, and the password they must choose. */
export const registrationConfig = registerAs('registration', () => {
  const env = parseEnv();
  return {
    registration: env.AUTH_REGISTRATION,
    passwordMinLength: env.PASSWORD_MIN_LENGTH,
  };
});

/** The OAuth endpoints: introspection's client secret and the discovery document's base URL. */
export const oauthConfig = registerAs('oauth', () => {
  const env = parseEnv();
  return {
    introspectionSecret: env.INTROSPECTION_SECRET,
    /** Base of the absolute URLs in the discovery document, without a trailing slash. */
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(
      /\/+$/,
      '',
    ),
  };
});
