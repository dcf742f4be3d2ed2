import { registerAs } from '@nestjs/config';
import { parseEnv } from './env.schema';

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
