import { registerAs } from '@nestjs/config';
import { parseEnv } from './env.schema';
import { parseOidcProviders, redirectUrl } from './oidc-env';

/** The external OpenID providers users may sign in through, and where a finished sign-in may return. */
export const oidcConfig = registerAs('oidc', () => {
  const env = parseEnv();
  return {
    providers: parseOidcProviders(env, process.env).providers,
    /** Normalised (URL.href), compared exactly. */
    allowedRedirects: (env.OIDC_ALLOWED_REDIRECTS ?? '')
      .split(',')
      .map((url) => redirectUrl(url.trim()))
      .filter((url): url is string => url !== undefined),
    /** Gatehouse's own base URL: providers redirect to `${publicUrl}/auth/oidc/<name>/callback`. */
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(
      /\/+$/,
      '',
    ),
    registrationOpen: env.AUTH_REGISTRATION === 'open',
    production: env.NODE_ENV === 'production',
    /** A sign-in at the provider must come back within this many seconds. */
    flowTtlSeconds: 600,
    /** The one-time code handed to the client is good for this many seconds. */
    codeTtlSeconds: 30,
    /** A provider that could not be discovered is tried again at most this often. */
    rediscoverySeconds: 30,
  };
});
