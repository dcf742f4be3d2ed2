import { registerAs } from '@nestjs/config';
import { parseEnv } from './env.schema';

/** The WebAuthn relying party: its id, name and the origins allowed to run ceremonies. */
export const webauthnConfig = registerAs('webauthn', () => {
  const env = parseEnv();
  return {
    enabled: env.PASSKEYS === 'on',
    rpId: env.WEBAUTHN_RP_ID ?? 'localhost',
    rpName: env.WEBAUTHN_RP_NAME ?? env.PRODUCT_NAME,
    origins: (env.WEBAUTHN_ORIGINS ?? `http://localhost:${env.PORT}`)
      .split(',')
      .map((o) => o.trim().replace(/\/+$/, '')),
    /** A ceremony's challenge is good for this long (seconds). */
    ceremonyTtlSeconds: 300,
  };
});
