import { parseEnv } from './env.schema';
import { parseOidcProviders, redirectUrl } from './oidc-env';

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
