import { registerAs } from '@nestjs/config';
import { parseEnv } from './env.schema';

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
