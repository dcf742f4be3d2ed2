import { InvalidEnvironmentError, parseEnv } from './env.schema';

/** Production with every other required key set, so that only the key under test can fail. */
const PRODUCTION = {
  NODE_ENV: 'production',
  JWT_SECRET: 'a'.repeat(32),
  SMTP_URL: 'smtp://mail.example.com:587',
  APP_URL: 'https://app.example.com',
  WEBAUTHN_RP_ID: 'example.com',
  WEBAUTHN_ORIGINS: 'https://app.example.com',
};
const KEY_32 = 'k'.repeat(32);
const ADMIN = {
  ADMIN_USERNAME: 'admin',
  ADMIN_EMAIL: 'admin@example.com',
  ADMIN_PASSWORD: 'correct horse battery',
};

/** The one-line message parseEnv throws for `env`. */
function failure(env: NodeJS.ProcessEnv): string {
  let thrown: unknown;
  try {
    parseEnv(env);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InvalidEnvironmentError);
  return (thrown as Error).message;
}

/** Asserts that `env` fails with exactly these `key: message` lines, in this order. */
function expectOnly(env: NodeJS.ProcessEnv, ...lines: string[]): void {
  expect(failure(env)).toBe(`Invalid configuration: ${lines.join('; ')}`);
}

describe('parseEnv: signing keys', () => {
  it('refuses JWT_PRIVATE_KEY and JWT_PRIVATE_KEY_FILE together, and accepts either alone', () => {
    const rs256 = { JWT_ALGORITHM: 'RS256' };
    expectOnly(
      { ...rs256, JWT_PRIVATE_KEY: 'pem', JWT_PRIVATE_KEY_FILE: '/k.pem' },
      'JWT_PRIVATE_KEY: set JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE, not both',
    );
    expect(parseEnv({ ...rs256, JWT_PRIVATE_KEY: 'pem' }).JWT_PRIVATE_KEY).toBe(
      'pem',
    );
    expect(
      parseEnv({ ...rs256, JWT_PRIVATE_KEY_FILE: '/k.pem' })
        .JWT_PRIVATE_KEY_FILE,
    ).toBe('/k.pem');
  });

  it('refuses a private key with HS256, naming the key that was set', () => {
    const message =
      'a private key needs JWT_ALGORITHM=RS256 or ES256 (HS256 signs with JWT_SECRET)';
    expectOnly({ JWT_PRIVATE_KEY: 'pem' }, `JWT_PRIVATE_KEY: ${message}`);
    expectOnly(
      { JWT_PRIVATE_KEY_FILE: '/k.pem' },
      `JWT_PRIVATE_KEY_FILE: ${message}`,
    );
  });

  it('refuses key rotation with HS256, and only that', () => {
    // 1h is not longer than the default JWT_KEY_PUBLISH_AHEAD, which HS256 never reaches: one issue, not two.
    expectOnly(
      { JWT_KEY_ROTATION: '1h' },
      'JWT_KEY_ROTATION: key rotation needs JWT_ALGORITHM=RS256 or ES256',
    );
  });

  it('refuses rotating a key the operator supplies, from either key', () => {
    const message =
      'JWT_KEY_ROTATION: a key supplied by JWT_PRIVATE_KEY(_FILE) is rotated by its operator; unset one of them';
    const es256 = { JWT_ALGORITHM: 'ES256', JWT_KEY_ROTATION: '2h' };
    expectOnly({ ...es256, JWT_PRIVATE_KEY: 'pem' }, message);
    expectOnly({ ...es256, JWT_PRIVATE_KEY_FILE: '/k.pem' }, message);
    expect(parseEnv(es256).JWT_KEY_ROTATION).toBe(7200);
  });

  it('wants a rotation period longer than the time a key is published ahead', () => {
    const longer =
      'JWT_KEY_ROTATION: must be longer than JWT_KEY_PUBLISH_AHEAD';
    const es256 = { JWT_ALGORITHM: 'ES256' };
    expectOnly({ ...es256, JWT_KEY_ROTATION: '1h' }, longer);
    expect(
      parseEnv({ ...es256, JWT_KEY_ROTATION: '3601' }).JWT_KEY_ROTATION,
    ).toBe(3601);
    expectOnly(
      { ...es256, JWT_KEY_ROTATION: '2h', JWT_KEY_PUBLISH_AHEAD: '2h' },
      longer,
    );
    expect(
      parseEnv({ ...es256, JWT_KEY_ROTATION: '1h', JWT_KEY_PUBLISH_AHEAD: '0' })
        .JWT_KEY_PUBLISH_AHEAD,
    ).toBe(0);
  });

  it('in production with RS256 or ES256 needs KEYS_ENCRYPTION_KEY unless the operator supplies the key', () => {
    expectOnly(
      { ...PRODUCTION, JWT_ALGORITHM: 'RS256' },
      'KEYS_ENCRYPTION_KEY: required in production with JWT_ALGORITHM=RS256: it encrypts the private signing keys stored in the database (e.g. `openssl rand -base64 32`); or supply your own key with JWT_PRIVATE_KEY_FILE',
    );
    const es256 = { ...PRODUCTION, JWT_ALGORITHM: 'ES256' };
    expect(
      parseEnv({ ...es256, KEYS_ENCRYPTION_KEY: KEY_32 }).KEYS_ENCRYPTION_KEY,
    ).toBe(KEY_32);
    expect(parseEnv({ ...es256, JWT_PRIVATE_KEY: 'pem' }).JWT_PRIVATE_KEY).toBe(
      'pem',
    );
    expect(
      parseEnv({ ...es256, JWT_PRIVATE_KEY_FILE: '/k.pem' })
        .JWT_PRIVATE_KEY_FILE,
    ).toBe('/k.pem');
    expect(parseEnv({ JWT_ALGORITHM: 'ES256' }).KEYS_ENCRYPTION_KEY).toBe(
      undefined,
    );
  });

  it('needs no JWT_SECRET in production when the tokens are signed with RS256 or ES256', () => {
    const { JWT_SECRET: _unused, ...withoutSecret } = PRODUCTION;
    expect(
      parseEnv({
        ...withoutSecret,
        JWT_ALGORITHM: 'ES256',
        KEYS_ENCRYPTION_KEY: KEY_32,
      }).JWT_SECRET,
    ).toBeUndefined();
  });

  it.each([['KEYS_ENCRYPTION_KEY'], ['INTROSPECTION_SECRET']])(
    'refuses a %s shorter than 32 bytes',
    (key) => {
      expectOnly(
        { [key]: 'k'.repeat(31) },
        `${key}: must be at least 32 bytes (e.g. \`openssl rand -base64 32\`)`,
      );
      expect(parseEnv({ [key]: KEY_32 })[key as 'KEYS_ENCRYPTION_KEY']).toBe(
        KEY_32,
      );
    },
  );

  it.each([['HS256'], ['RS256'], ['ES256']])(
    'signs with JWT_ALGORITHM=%s, HS256 by default',
    (algorithm) => {
      expect(parseEnv({}).JWT_ALGORITHM).toBe('HS256');
      expect(parseEnv({ JWT_ALGORITHM: algorithm }).JWT_ALGORITHM).toBe(
        algorithm,
      );
    },
  );
});

describe('parseEnv: TRUST_PROXY in production', () => {
  it.each([['10.0.0.2, 0.0.0.0/0 '], ['::/00']])(
    'refuses %j: a prefix of zero trusts every hop',
    (value) => {
      expect(failure({ ...PRODUCTION, TRUST_PROXY: value })).toMatch(
        /^Invalid configuration: TRUST_PROXY: trusting every hop/,
      );
    },
  );

  it.each([['10.0.0.0/08'], ['2001:db8::/32']])(
    'accepts %j: only a prefix of zero trusts every hop',
    (value) => {
      expect(parseEnv({ ...PRODUCTION, TRUST_PROXY: value }).TRUST_PROXY).toBe(
        value,
      );
    },
  );

  it('refuses a value that is not a hop count or an address list, wherever the stray text is', () => {
    const message =
      'TRUST_PROXY: expected true, false, a hop count or a comma-separated list of proxy addresses/CIDRs';
    expectOnly({ TRUST_PROXY: 'proxy1' }, message);
    expectOnly({ TRUST_PROXY: '1 proxy' }, message);
    expect(parseEnv({ TRUST_PROXY: '12' }).TRUST_PROXY).toBe('12');
  });
});

describe('parseEnv: URLs and formats', () => {
  it.each([['redis://localhost:6379'], ['rediss://cache.example.com']])(
    'accepts REDIS_URL=%s',
    (url) => {
      expect(parseEnv({ REDIS_URL: url }).REDIS_URL).toBe(url);
    },
  );

  it.each([
    ['REDIS_URL', 'xredis://localhost', 'expected redis://… or rediss://…'],
    [
      'DATABASE_URL',
      'xpostgres://localhost/db',
      'expected postgres://…, postgresql://… or pglite://memory',
    ],
  ])('refuses %s=%s: the scheme starts the value', (key, value, message) => {
    expectOnly({ [key]: value }, `${key}: ${message}`);
  });

  it.each([
    ['https://auth.example.com'],
    ['http://localhost:3000'],
    ['https://example.com/auth/'],
    ['https://example.com/a/b'],
  ])('accepts PUBLIC_URL=%s', (url) => {
    expect(parseEnv({ PUBLIC_URL: url }).PUBLIC_URL).toBe(url);
  });

  it.each([
    ['https://auth.example.com/?x=1'],
    ['https://auth.example.com/a?x=1'],
    ['https://auth.example.com#top'],
    ['ftp://auth.example.com'],
    ['https://'],
    ['https:///path'],
    ['https://auth example.com'],
    ['https://auth.example.com/a b'],
    ['xhttps://auth.example.com'],
  ])('refuses PUBLIC_URL=%j', (url) => {
    expectOnly(
      { PUBLIC_URL: url },
      'PUBLIC_URL: expected an absolute http(s) URL without query, e.g. https://auth.example.com',
    );
  });

  it('wants a METRICS_TOKEN of at least 16 bytes', () => {
    expect(parseEnv({ METRICS_TOKEN: 't'.repeat(16) }).METRICS_TOKEN).toBe(
      't'.repeat(16),
    );
    expect(parseEnv({ METRICS_TOKEN: '€'.repeat(6) }).METRICS_TOKEN).toBe(
      '€'.repeat(6),
    );
    for (const token of ['t'.repeat(15), '€'.repeat(5)])
      expectOnly(
        { METRICS_TOKEN: token },
        'METRICS_TOKEN: must be at least 16 bytes (e.g. `openssl rand -hex 32`)',
      );
  });

  it.each([
    ['fatal'],
    ['error'],
    ['warn'],
    ['info'],
    ['debug'],
    ['trace'],
    ['silent'],
  ])('accepts LOG_LEVEL=%s', (level) => {
    expect(parseEnv({ LOG_LEVEL: level }).LOG_LEVEL).toBe(level);
  });

  it('reads LOG_FORMAT json or pretty, unset by default, and refuses another', () => {
    expect(parseEnv({}).LOG_FORMAT).toBeUndefined();
    expect(parseEnv({ LOG_FORMAT: 'json' }).LOG_FORMAT).toBe('json');
    expect(parseEnv({ LOG_FORMAT: 'pretty' }).LOG_FORMAT).toBe('pretty');
    expect(failure({ LOG_FORMAT: 'xml' })).toMatch(
      /^Invalid configuration: LOG_FORMAT: /,
    );
  });

  it.each([['HOST'], ['DATA_DIR'], ['JWT_ISSUER'], ['JWT_AUDIENCE']])(
    'reads %s as written and refuses it empty',
    (key) => {
      expect(parseEnv({ [key]: 'gate.example' })[key as 'HOST']).toBe(
        'gate.example',
      );
      expect(failure({ [key]: '' })).toMatch(
        new RegExp(`^Invalid configuration: ${key}: `),
      );
    },
  );

  it('accepts open or closed registration and the production and test environments', () => {
    expect(parseEnv({ AUTH_REGISTRATION: 'closed' }).AUTH_REGISTRATION).toBe(
      'closed',
    );
    expect(parseEnv({ AUTH_REGISTRATION: 'open' }).AUTH_REGISTRATION).toBe(
      'open',
    );
    expect(parseEnv({ NODE_ENV: 'test' }).NODE_ENV).toBe('test');
    expect(parseEnv(PRODUCTION).NODE_ENV).toBe('production');
  });

  it('separates the lines of several bad keys with "; "', () => {
    expect(failure({ PORT: '-1', JWT_ACCESS_TTL: 'later' })).toMatch(
      /^Invalid configuration: PORT: [^;]+; JWT_ACCESS_TTL: expected a duration/,
    );
  });

  it('separates the lines of a sign-in provider\'s missing keys with "; " too', () => {
    const required = 'required for every name in OIDC_PROVIDERS';
    expectOnly(
      { OIDC_PROVIDERS: 'acme' },
      `OIDC_ACME_ISSUER: ${required}`,
      `OIDC_ACME_CLIENT_ID: ${required}`,
      `OIDC_ACME_CLIENT_SECRET: ${required}`,
    );
  });

  it('allows the headers as long as the whole request', () => {
    expect(
      parseEnv({ HTTP_HEADERS_TIMEOUT: '10s', HTTP_REQUEST_TIMEOUT: '10s' })
        .HTTP_HEADERS_TIMEOUT,
    ).toBe(10);
  });
});

describe('parseEnv: the first admin', () => {
  const together =
    'ADMIN_USERNAME, ADMIN_EMAIL and ADMIN_PASSWORD must be set together';

  it('reads the three keys set together, and needs none of them', () => {
    expect(parseEnv(ADMIN)).toMatchObject(ADMIN);
    expect(parseEnv({}).ADMIN_USERNAME).toBeUndefined();
  });

  it('names each missing key when only some are set', () => {
    expectOnly(
      { ADMIN_USERNAME: 'admin' },
      `ADMIN_EMAIL: ${together}`,
      `ADMIN_PASSWORD: ${together}`,
    );
    expectOnly(
      { ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: 'x'.repeat(12) },
      `ADMIN_USERNAME: ${together}`,
    );
  });

  it('bounds the password by PASSWORD_MIN_LENGTH and 128 characters, never echoing it', () => {
    const short = 'x'.repeat(11);
    const message = failure({ ...ADMIN, ADMIN_PASSWORD: short });
    expect(message).toBe(
      'Invalid configuration: ADMIN_PASSWORD: must be between 12 and 128 characters (PASSWORD_MIN_LENGTH)',
    );
    expectOnly(
      { ...ADMIN, ADMIN_PASSWORD: 'y'.repeat(15), PASSWORD_MIN_LENGTH: '16' },
      'ADMIN_PASSWORD: must be between 16 and 128 characters (PASSWORD_MIN_LENGTH)',
    );
    expect(failure({ ...ADMIN, ADMIN_PASSWORD: 'z'.repeat(129) })).toMatch(
      /ADMIN_PASSWORD: must be between 12 and 128/,
    );
    expect(
      parseEnv({ ...ADMIN, ADMIN_PASSWORD: 'x'.repeat(128) }).ADMIN_PASSWORD,
    ).toHaveLength(128);
  });

  it.each([['abc'], ['a.b-c_d'], ['u'.repeat(32)]])(
    'accepts ADMIN_USERNAME=%s',
    (username) => {
      expect(
        parseEnv({ ...ADMIN, ADMIN_USERNAME: username }).ADMIN_USERNAME,
      ).toBe(username);
    },
  );

  it.each([['ab'], ['u'.repeat(33)], ['!admin'], ['admin!'], ['ad min']])(
    'refuses ADMIN_USERNAME=%j by the registration rules',
    (username) => {
      expectOnly(
        { ...ADMIN, ADMIN_USERNAME: username },
        'ADMIN_USERNAME: expected 3 to 32 letters, digits, "_", "." or "-" (the registration rules)',
      );
    },
  );

  it('accepts an email address of 254 characters and refuses one of 255', () => {
    const at254 = `${'a'.repeat(242)}@example.com`;
    expect(parseEnv({ ...ADMIN, ADMIN_EMAIL: at254 }).ADMIN_EMAIL).toBe(at254);
    expectOnly(
      { ...ADMIN, ADMIN_EMAIL: `a${at254}` },
      'ADMIN_EMAIL: expected an email address of at most 254 characters',
    );
  });

  it.each([
    ['alice@example'],
    ['alice.example.com'],
    ['al ice@example.com'],
    ['alice@example.com extra'],
    ['a@@example.com'],
    ['@example.com'],
    ['alice@.com'],
    ['alice@example.'],
  ])('refuses ADMIN_EMAIL=%j', (email) => {
    expectOnly(
      { ...ADMIN, ADMIN_EMAIL: email },
      'ADMIN_EMAIL: expected an email address of at most 254 characters',
    );
  });
});
