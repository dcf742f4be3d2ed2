import { registerAs } from '@nestjs/config';
import { parseEnv } from './env.schema';

export const authConfig = registerAs('auth', () => {
  const env = parseEnv();
  return {
    production: env.NODE_ENV === 'production',
    dataDir: env.DATA_DIR,
    jwtSecret: env.JWT_SECRET,
    accessTtlSeconds: env.JWT_ACCESS_TTL,
    issuer: env.JWT_ISSUER,
    audience: env.JWT_AUDIENCE,
    clockToleranceSeconds: env.JWT_CLOCK_TOLERANCE,
    registration: env.AUTH_REGISTRATION,
    passwordMinLength: env.PASSWORD_MIN_LENGTH,
    algorithm: env.JWT_ALGORITHM,
    privateKeyPem: env.JWT_PRIVATE_KEY,
    privateKeyFile: env.JWT_PRIVATE_KEY_FILE,
    keysEncryptionKey: env.KEYS_ENCRYPTION_KEY,
    keyRotationSeconds: env.JWT_KEY_ROTATION,
    keyPublishAheadSeconds: env.JWT_KEY_PUBLISH_AHEAD,
    introspectionSecret: env.INTROSPECTION_SECRET,
    /** Base of the absolute URLs in the discovery document, without a trailing slash. */
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(
      /\/+$/,
      '',
    ),
  };
});
