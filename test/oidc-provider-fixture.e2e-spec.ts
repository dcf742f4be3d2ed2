import {
  signInAtProvider,
  startOidcProvider,
  type TestOidcProvider,
} from './helpers/oidc-provider';
import { closedPort } from './helpers/smtp';

/** openid-client 6 is ESM-only: a real dynamic import (not compiled to require) loads it under jest. */
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const importOpenIdClient = new Function(
  'return import("openid-client")',
) as () => Promise<typeof import('openid-client')>;

type OpenIdClient = typeof import('openid-client');
type Configuration = import('openid-client').Configuration;

// Nothing listens here: the driver returns the redirect to the client without requesting it.
const REDIRECT_URI = 'http://127.0.0.1:9/auth/oidc/test/callback';

/** The fixture that the federation specs rely on: a real provider, its login pages, and its key rotation. */
describe('test OpenID provider fixture', () => {
  let provider: TestOidcProvider;
  let client: OpenIdClient;
  let config: Configuration;

  beforeAll(async () => {
    client = await importOpenIdClient();
    provider = await startOidcProvider({ redirectUris: [REDIRECT_URI] });
    config = await client.discovery(
      new URL(provider.issuer),
      provider.clientId,
      provider.clientSecret,
      client.ClientSecretBasic(provider.clientSecret),
      // openid-client checks id_token signatures from the token endpoint only with enableNonRepudiationChecks;
      // without it a key rotation would go unnoticed.
      {
        execute: [
          client.allowInsecureRequests,
          client.enableNonRepudiationChecks,
        ],
      },
    );
  });

  afterAll(async () => {
    await provider?.stop();
  });

  /** Starts an authorization as a relying party would: PKCE S256, state and nonce. */
  async function authorization(): Promise<{
    url: string;
    state: string;
    nonce: string;
    codeVerifier: string;
  }> {
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid email profile',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url: url.href, state, nonce, codeVerifier };
  }

  async function signInAndExchange(login: string) {
    const started = await authorization();
    const callback = await signInAtProvider(started.url, { login });
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    expect(callback.searchParams.get('state')).toBe(started.state);
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: started.codeVerifier,
      expectedState: started.state,
      expectedNonce: started.nonce,
      idTokenExpected: true,
    });
    return { tokens, claims: tokens.claims()!, nonce: started.nonce };
  }

  it('publishes a discovery document for its loopback issuer that requires S256 PKCE', () => {
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(provider.issuer);
    expect(provider.issuer).toBe(`http://127.0.0.1:${provider.port}`);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
  });

  it('signs alice in and issues an id_token with her verified email and the nonce', async () => {
    const { claims, nonce } = await signInAndExchange('alice');

    expect(claims).toMatchObject({
      iss: provider.issuer,
      aud: provider.clientId,
      sub: 'alice-sub',
      email: 'alice@provider.test',
      email_verified: true,
      name: 'Alice',
      preferred_username: 'alice',
      nonce,
    });
  });

  it('says bob has not verified his email', async () => {
    const { claims } = await signInAndExchange('bob');

    expect(claims).toMatchObject({
      sub: 'bob-sub',
      email: 'bob@provider.test',
      email_verified: false,
    });
  });

  it('answers a cancelled sign-in with access_denied at the redirect_uri', async () => {
    const started = await authorization();

    const callback = await signInAtProvider(started.url, {
      login: 'alice',
      deny: true,
    });

    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe(started.state);
    expect(callback.searchParams.has('code')).toBe(false);
  });

  it('refuses the code without the PKCE verifier that started the flow', async () => {
    const started = await authorization();
    const callback = await signInAtProvider(started.url, { login: 'alice' });

    await expect(
      client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: client.randomPKCECodeVerifier(),
        expectedState: started.state,
        expectedNonce: started.nonce,
      }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses an authorization request without PKCE', async () => {
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      state: client.randomState(),
    });

    const callback = await signInAtProvider(url.href, { login: 'alice' });

    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.get('error_description')).toMatch(
      /requires PKCE/,
    );
  });

  it('fails the sign-in for a login it does not know instead of signing someone in', async () => {
    const started = await authorization();

    await expect(
      signInAtProvider(started.url, { login: 'mallory' }),
    ).rejects.toThrow(/server_error/);
  });

  it('signs with a new key after rotateKeys, which a relying party verifies once it fetches the new JWKS', async () => {
    await signInAndExchange('alice'); // the relying party now holds the current JWKS
    const kidBefore = provider.kid;
    expect(await fetchKids(provider.issuer)).toEqual([kidBefore]);

    await provider.rotateKeys();

    expect(provider.kid).not.toBe(kidBefore);
    expect(await fetchKids(provider.issuer)).toEqual([provider.kid]);

    // openid-client refetches a JWKS for an unknown kid only when its copy is at least 60 s old.
    await expect(signInAndExchange('alice')).rejects.toThrow(
      /no applicable keys found/,
    );
    const now = Date.now.bind(Date);
    const clock = jest
      .spyOn(Date, 'now')
      .mockImplementation(() => now() + 61_000);
    try {
      const { tokens, claims } = await signInAndExchange('alice');
      expect(claims.sub).toBe('alice-sub');
      expect(headerKid(tokens.id_token!)).toBe(provider.kid);
    } finally {
      clock.mockRestore();
    }
  });

  it('keeps its issuer, port and client across rotateKeys, and accepts client_secret_post', async () => {
    const { issuer, port } = provider;

    await provider.rotateKeys();

    expect(provider.issuer).toBe(issuer);
    const fresh = await client.discovery(
      new URL(provider.issuer),
      provider.clientId,
      provider.clientSecret,
      client.ClientSecretPost(provider.clientSecret),
      {
        execute: [
          client.allowInsecureRequests,
          client.enableNonRepudiationChecks,
        ],
      },
    );
    expect(fresh.serverMetadata().issuer).toBe(`http://127.0.0.1:${port}`);
    const started = await authorization();
    const callback = await signInAtProvider(started.url, { login: 'bob' });
    const tokens = await client.authorizationCodeGrant(fresh, callback, {
      pkceCodeVerifier: started.codeVerifier,
      expectedState: started.state,
      expectedNonce: started.nonce,
    });
    expect(tokens.claims()?.sub).toBe('bob-sub');
    expect(headerKid(tokens.id_token!)).toBe(provider.kid);
  });
});

describe('test OpenID provider process', () => {
  it('serves extra accounts on the port it was given and frees the port on stop', async () => {
    const port = await closedPort();
    const provider = await startOidcProvider({
      redirectUris: [REDIRECT_URI],
      port,
      accounts: {
        carol: {
          sub: 'carol-sub',
          email: 'carol@provider.test',
          email_verified: true,
        },
      },
    });
    try {
      expect(provider.issuer).toBe(`http://127.0.0.1:${port}`);
      const client = await importOpenIdClient();
      const config = await client.discovery(
        new URL(provider.issuer),
        provider.clientId,
        provider.clientSecret,
        client.ClientSecretBasic(provider.clientSecret),
        { execute: [client.allowInsecureRequests] },
      );
      const codeVerifier = client.randomPKCECodeVerifier();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI,
        scope: 'openid email',
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
      });
      const callback = await signInAtProvider(url.href, { login: 'carol' });
      const tokens = await client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: codeVerifier,
      });
      expect(tokens.claims()).toMatchObject({
        sub: 'carol-sub',
        email: 'carol@provider.test',
        email_verified: true,
      });
    } finally {
      await provider.stop();
    }

    await expect(fetch(`${provider.issuer}/jwks`)).rejects.toThrow();
    await provider.stop();
  });

  it('reports why the provider could not start, without its start-up warnings', async () => {
    const error = await startOidcProvider({ redirectUris: [] }).then(
      () => undefined,
      (reason: Error) => reason,
    );

    expect(error?.message).toMatch(/redirectUris are required/);
    expect(error?.message).not.toMatch(/Unsupported runtime/);
  });
});

async function fetchKids(issuer: string): Promise<string[]> {
  const response = await fetch(`${issuer}/jwks`);
  const jwks = (await response.json()) as { keys: { kid: string }[] };
  return jwks.keys.map((key) => key.kid);
}

function headerKid(jwt: string): string {
  const header = JSON.parse(
    Buffer.from(jwt.split('.')[0], 'base64url').toString('utf8'),
  ) as { kid: string };
  return header.kid;
}
