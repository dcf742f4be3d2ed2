import { registerAs } from '@nestjs/config';
import { parseEnv } from './env.schema';

export const httpConfig = registerAs('http', () => {
  const env = parseEnv();
  return {
    production: env.NODE_ENV === 'production',
    host: env.HOST,
    port: env.PORT,
    corsOrigins:
      env.CORS_ORIGINS?.split(',')
        .map((o) => o.trim())
        .filter(Boolean) ?? [],
    trustProxy: env.TRUST_PROXY,
    tlsCertFile: env.TLS_CERT_FILE,
    tlsKeyFile: env.TLS_KEY_FILE,
    docsEnabled: env.DOCS_ENABLED,
    logLevel: env.LOG_LEVEL,
  };
});
