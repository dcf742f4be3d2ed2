import { parseEnv } from './env.schema';
import {
  checkOidcRedirects,
  isLoopback,
  parseOidcProviders,
  redirectUrl,
} from './oidc-env';

const GOOGLE = {
  OIDC_PROVIDERS: 'google',
  OIDC_GOOGLE_ISSUER: 'https://accounts.google.com',
  OIDC_GOOGLE_CLIENT_ID: 'id',
  OIDC_GOOGLE_CLIENT_SECRET: 'secret',
};

describe('OIDC provider configuration', () => {
  it('reads each named provider’s keys with their defaults', () => {
    const { providers, issues } = parseOidcProviders(
      { NODE_ENV: 'development', OIDC_PROVIDERS: ' Google ' },
      GOOGLE,
    );
    expect(issues).toEqual([]);
    expect(providers).toEqual([
      {
        name: 'google',
        issuer: 'https://accounts.google.com',
        clientId: 'id',
        clientSecret: 'secret',
        scopes: ['openid', 'email', 'profile'],
        trustMfa: false,
      },
    ]);
  });

  it('names the full key of a missing or bad per-provider value', () => {
    const { issues } = parseOidcProviders(
      { NODE_ENV: 'development', OIDC_PROVIDERS: 'acme' },
      { OIDC_ACME_ISSUER: 'not a url', OIDC_ACME_SCOPES: 'email' },
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^OIDC_ACME_ISSUER: /),
        expect.stringMatching(/^OIDC_ACME_CLIENT_ID: required/),
        expect.stringMatching(/^OIDC_ACME_CLIENT_SECRET: required/),
        expect.stringMatching(/^OIDC_ACME_SCOPES: .*openid/),
      ]),
    );
  });

  it('refuses a name listed twice', () => {
    expect(
      parseOidcProviders(
        { NODE_ENV: 'development', OIDC_PROVIDERS: 'google,GOOGLE' },
        GOOGLE,
      ).issues,
    ).toContain('OIDC_PROVIDERS: a name is listed twice');
  });

  it('in production needs https issuers (loopback excepted) and PUBLIC_URL', () => {
    const http = { ...GOOGLE, OIDC_GOOGLE_ISSUER: 'http://idp.example.com' };
    const { issues } = parseOidcProviders(
      { NODE_ENV: 'production', OIDC_PROVIDERS: 'google' },
      http,
    );
    expect(issues).toEqual([
      expect.stringMatching(/^PUBLIC_URL: required in production/),
      'OIDC_GOOGLE_ISSUER: must be https in production',
    ]);
    expect(
      parseOidcProviders(
        {
          NODE_ENV: 'production',
          OIDC_PROVIDERS: 'google',
          PUBLIC_URL: 'https://auth.example.com',
        },
        { ...GOOGLE, OIDC_GOOGLE_ISSUER: 'http://127.0.0.1:8080' },
      ).issues,
    ).toEqual([]);
  });

  it('stops the start through parseEnv with the key named', () => {
    expect(() =>
      parseEnv({
        OIDC_PROVIDERS: 'google',
        OIDC_GOOGLE_ISSUER: 'https://a.example',
      }),
    ).toThrow(/OIDC_GOOGLE_CLIENT_ID: required/);
    expect(() => parseEnv({ OIDC_PROVIDERS: 'bad name' })).toThrow(
      /OIDC_PROVIDERS: expected comma-separated names/,
    );
    expect(() =>
      parseEnv({
        NODE_ENV: 'production',
        JWT_SECRET: 'x'.repeat(48),
        EMAIL_FEATURES: 'off',
        PASSKEYS: 'off',
        OIDC_ALLOWED_REDIRECTS: 'http://app.example.com/cb',
      }),
    ).toThrow(
      /OIDC_ALLOWED_REDIRECTS: http:\/\/app\.example\.com\/cb: must be https/,
    );
  });

  it('normalises allowed redirects and refuses fragments, credentials and other schemes', () => {
    expect(redirectUrl('https://App.Example.com/cb')).toBe(
      'https://app.example.com/cb',
    );
    expect(redirectUrl('https://app.example.com/cb#x')).toBeUndefined();
    expect(redirectUrl('https://u:p@app.example.com/cb')).toBeUndefined();
    expect(redirectUrl('javascript:alert(1)')).toBeUndefined();
    expect(redirectUrl('/relative')).toBeUndefined();
  });
});

describe(parseOidcProviders.name, () => {
  const acme = (extra: Record<string, string>) =>
    parseOidcProviders(
      { NODE_ENV: 'development', OIDC_PROVIDERS: 'acme' },
      {
        OIDC_ACME_ISSUER: 'https://idp.example.com',
        OIDC_ACME_CLIENT_ID: 'id',
        OIDC_ACME_CLIENT_SECRET: 'secret',
        ...extra,
      },
    );

  it('reads scopes separated by spaces or commas, TRUST_MFA, and treats a blank value as unset', () => {
    const { providers, issues } = acme({
      OIDC_ACME_SCOPES: 'openid, email  groups',
      OIDC_ACME_TRUST_MFA: 'true',
    });
    expect(issues).toEqual([]);
    expect(providers[0]).toMatchObject({
      scopes: ['openid', 'email', 'groups'],
      trustMfa: true,
    });
    expect(acme({ OIDC_ACME_CLIENT_ID: '  ' }).issues).toEqual([
      expect.stringMatching(/^OIDC_ACME_CLIENT_ID: required/),
    ]);
    expect(acme({ OIDC_ACME_SCOPES: ' ' }).providers[0].scopes).toEqual([
      'openid',
      'email',
      'profile',
    ]);
  });

  it('bounds the client id at 512 characters and the secret at 1024', () => {
    expect(acme({ OIDC_ACME_CLIENT_ID: 'i'.repeat(512) }).issues).toEqual([]);
    expect(acme({ OIDC_ACME_CLIENT_ID: 'i'.repeat(513) }).issues).toEqual([
      expect.stringMatching(/^OIDC_ACME_CLIENT_ID: /),
    ]);
    expect(acme({ OIDC_ACME_CLIENT_SECRET: 's'.repeat(1024) }).issues).toEqual(
      [],
    );
    expect(acme({ OIDC_ACME_CLIENT_SECRET: 's'.repeat(1025) }).issues).toEqual([
      expect.stringMatching(/^OIDC_ACME_CLIENT_SECRET: /),
    ]);
  });

  it('refuses an issuer with a query, and a scope with a quote or backslash', () => {
    expect(
      acme({ OIDC_ACME_ISSUER: 'https://idp.example.com/?tenant=1' }).issues,
    ).toEqual([
      'OIDC_ACME_ISSUER: expected the issuer URL, e.g. https://accounts.google.com',
    ]);
    expect(acme({ OIDC_ACME_SCOPES: 'openid "email"' }).issues).toEqual([
      'OIDC_ACME_SCOPES: expected space-separated scopes including openid',
    ]);
    expect(acme({ OIDC_ACME_SCOPES: 'openid a\\b' }).issues).toHaveLength(1);
    expect(acme({ OIDC_ACME_SCOPES: 'openid !#[]~' }).issues).toEqual([]);
  });

  it('leaves a provider with a bad key out and keeps the good ones', () => {
    const { providers, issues } = parseOidcProviders(
      { NODE_ENV: 'development', OIDC_PROVIDERS: 'acme,google' },
      { ...GOOGLE, OIDC_ACME_ISSUER: 'https://idp.example.com' },
    );
    expect(providers.map((p) => p.name)).toEqual(['google']);
    expect(issues).toHaveLength(2);
  });

  it('needs nothing when no provider is named, even in production', () => {
    expect(parseOidcProviders({ NODE_ENV: 'production' }, {})).toEqual({
      providers: [],
      issues: [],
    });
    expect(
      parseOidcProviders({ NODE_ENV: 'production', OIDC_PROVIDERS: ' , ' }, {}),
    ).toEqual({ providers: [], issues: [] });
  });

  it('allows an http issuer outside production', () => {
    expect(
      parseOidcProviders(
        { NODE_ENV: 'development', OIDC_PROVIDERS: 'google' },
        { ...GOOGLE, OIDC_GOOGLE_ISSUER: 'http://idp.example.com' },
      ).issues,
    ).toEqual([]);
  });
});

describe(checkOidcRedirects.name, () => {
  const issuesOf = (NODE_ENV: string, OIDC_ALLOWED_REDIRECTS?: string) => {
    const addIssue = jest.fn();
    checkOidcRedirects({ NODE_ENV, OIDC_ALLOWED_REDIRECTS }, {
      addIssue,
    } as never);
    return addIssue.mock.calls.map(
      ([issue]: [{ path: string[]; message: string }]) =>
        `${issue.path.join('.')}: ${issue.message}`,
    );
  };

  it('in production refuses each plain-http page but a loopback one', () => {
    expect(
      issuesOf(
        'production',
        'https://a.example/cb, http://b.example/cb,http://localhost:3000/cb,http://[::1]/cb',
      ),
    ).toEqual([
      'OIDC_ALLOWED_REDIRECTS: http://b.example/cb: must be https in production (or a loopback address)',
    ]);
  });

  it('allows plain http outside production, and no list at all', () => {
    expect(issuesOf('development', 'http://b.example/cb')).toEqual([]);
    expect(issuesOf('production', undefined)).toEqual([]);
  });
});

describe(isLoopback.name, () => {
  it('knows localhost, 127.0.0.1 and [::1], and nothing else', () => {
    expect(isLoopback('http://localhost:8080/cb')).toBe(true);
    expect(isLoopback('http://127.0.0.1/cb')).toBe(true);
    expect(isLoopback('http://[::1]:9/cb')).toBe(true);
    expect(isLoopback('http://localhost.example.com/cb')).toBe(false);
    expect(isLoopback('http://10.0.0.1/cb')).toBe(false);
  });
});

describe(redirectUrl.name, () => {
  it('accepts plain http and refuses a URL with only a password or another scheme', () => {
    expect(redirectUrl('http://app.example.com/cb')).toBe(
      'http://app.example.com/cb',
    );
    expect(redirectUrl('ftp://app.example.com/cb')).toBeUndefined();
    expect(redirectUrl('https://u@app.example.com/cb')).toBeUndefined();
  });
});

describe('OIDC keys read by parseEnv', () => {
  const acme = {
    OIDC_ACME_ISSUER: 'https://idp.example.com',
    OIDC_ACME_CLIENT_ID: 'id',
    OIDC_ACME_CLIENT_SECRET: 'secret',
  };

  it('accepts a list of provider names with spaces after the commas, and refuses one bad name among good ones', () => {
    expect(() =>
      parseEnv({ ...GOOGLE, ...acme, OIDC_PROVIDERS: 'google, acme' }),
    ).not.toThrow();
    expect(() =>
      parseEnv({ ...GOOGLE, OIDC_PROVIDERS: 'google,bad name' }),
    ).toThrow(/OIDC_PROVIDERS: expected comma-separated names/);
  });

  it('accepts a list of redirects with spaces after the commas, and refuses one bad URL among good ones', () => {
    expect(() =>
      parseEnv({
        OIDC_ALLOWED_REDIRECTS: 'https://a.example/cb, https://b.example/cb',
      }),
    ).not.toThrow();
    expect(() =>
      parseEnv({
        OIDC_ALLOWED_REDIRECTS: 'https://a.example/cb,https://b.example/cb#x',
      }),
    ).toThrow(/OIDC_ALLOWED_REDIRECTS: expected comma-separated absolute/);
  });

  it('names a missing issuer as required', () => {
    expect(
      parseOidcProviders(
        { NODE_ENV: 'development', OIDC_PROVIDERS: 'acme' },
        { OIDC_ACME_CLIENT_ID: 'id', OIDC_ACME_CLIENT_SECRET: 'secret' },
      ).issues,
    ).toEqual(['OIDC_ACME_ISSUER: required for every name in OIDC_PROVIDERS']);
  });

  it('accepts an https issuer in production', () => {
    expect(
      parseOidcProviders(
        {
          NODE_ENV: 'production',
          OIDC_PROVIDERS: 'acme',
          PUBLIC_URL: 'https://auth.example.com',
        },
        acme,
      ).issues,
    ).toEqual([]);
  });

  it('ignores separators around the scopes', () => {
    expect(
      parseOidcProviders(
        { NODE_ENV: 'development', OIDC_PROVIDERS: 'acme' },
        { ...acme, OIDC_ACME_SCOPES: ',openid email,' },
      ).providers[0].scopes,
    ).toEqual(['openid', 'email']);
  });
});
