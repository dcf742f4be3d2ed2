import { InvalidEnvironmentError, parseEnv } from './env.schema';

const SECRET_32 = 'a'.repeat(32);
/** What production needs for mail while EMAIL_FEATURES=on (the default). */
const MAIL_PRODUCTION = {
  SMTP_URL: 'smtp://mail.example.com:587',
  APP_URL: 'https://app.example.com',
  WEBAUTHN_RP_ID: 'example.com',
  WEBAUTHN_ORIGINS: 'https://app.example.com',
};

/** The error parseEnv throws for `env`, checked to be one readable line. */
function failure(env: NodeJS.ProcessEnv): string {
  let thrown: unknown;
  try {
    parseEnv(env);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InvalidEnvironmentError);
  const message = (thrown as Error).message;
  expect(message).not.toContain('\n');
  expect(message).toMatch(/^Invalid configuration: /);
  return message;
}

describe(parseEnv.name, () => {
  it('applies the documented defaults to an empty environment', () => {
    expect(parseEnv({})).toMatchObject({
      NODE_ENV: 'development',
      HOST: '0.0.0.0',
      PORT: 3000,
      DATA_DIR: './data',
      LOG_LEVEL: 'info',
      JWT_ACCESS_TTL: 900,
      JWT_ISSUER: 'gatehouse',
      JWT_AUDIENCE: 'gatehouse',
      JWT_CLOCK_TOLERANCE: 5,
      AUTH_REGISTRATION: 'open',
      PASSWORD_MIN_LENGTH: 12,
      TRUST_PROXY: 'false',
      DOCS_ENABLED: true,
    });
    const env = parseEnv({});
    for (const key of [
      'DATABASE_URL',
      'JWT_SECRET',
      'CORS_ORIGINS',
      'TLS_CERT_FILE',
      'TLS_KEY_FILE',
    ] as const) {
      expect(env[key]).toBeUndefined();
    }
  });

  it.each([
    ['900', 900],
    ['900s', 900],
    ['15m', 900],
    ['1h', 3600],
  ])('reads JWT_ACCESS_TTL=%s as %i seconds', (value, seconds) => {
    expect(parseEnv({ JWT_ACCESS_TTL: value }).JWT_ACCESS_TTL).toBe(seconds);
  });

  it.each([['abc'], ['0'], ['15 minutes'], ['1.5h'], ['-60'], ['']])(
    'refuses JWT_ACCESS_TTL=%j naming the key',
    (value) => {
      expect(failure({ JWT_ACCESS_TTL: value })).toMatch(
        /JWT_ACCESS_TTL: expected a duration like 900, 900s, 15m, 1h/,
      );
    },
  );

  it.each([
    ['JWT_ACCESS_TTL', '24h', '999999999d', 'at most 1d'],
    ['JWT_CLOCK_TOLERANCE', '5m', '301', 'at most 5m'],
    ['REFRESH_REUSE_GRACE', '60s', '61s', 'at most 1m'],
    ['JWT_KEY_ROTATION', '365d', '366d', 'at most 365d'],
    ['JWT_KEY_PUBLISH_AHEAD', '30d', '31d', 'at most 30d'],
    ['SESSION_IDLE_TTL', '365d', '366d', 'at most 365d'],
    ['SESSION_MAX_TTL', '365d', '366d', 'at most 365d'],
    ['SESSION_PURGE_INTERVAL', '1d', '25h', 'at most 1d'],
    ['RATE_LIMIT_WINDOW', '1d', '25h', 'at most 1d'],
    ['LOGIN_FAILURE_WINDOW', '1d', '25h', 'at most 1d'],
    ['LOGIN_LOCKOUT_BASE', '1h', '61m', 'at most 1h'],
    ['LOGIN_LOCKOUT_MAX', '1d', '25h', 'at most 1d'],
    ['HASH_QUEUE_MAX_WAIT', '1m', '61s', 'at most 1m'],
    ['AUDIT_RETENTION', '3650d', '3651d', 'at most 3650d'],
    ['HTTP_REQUEST_TIMEOUT', '5m', '301s', 'at most 5m'],
    ['HTTP_HEADERS_TIMEOUT', '1m', '61s', 'at most 1m'],
    ['HTTP_CONNECTION_TIMEOUT', '10m', '601s', 'at most 10m'],
    ['HTTP_KEEP_ALIVE_TIMEOUT', '10m', '601s', 'at most 10m'],
    ['STEP_UP_MAX_AGE', '1d', '25h', 'at most 1d'],
  ])(
    'bounds %s: %s starts, %s is refused naming the key and the bound',
    (key, highest, tooHigh, bound) => {
      // ES256 allows JWT_KEY_ROTATION; the longest request limit allows the longest headers limit.
      const env = {
        JWT_ALGORITHM: 'ES256',
        HTTP_REQUEST_TIMEOUT: '5m',
        [key]: highest,
      };
      expect(() => parseEnv(env)).not.toThrow();
      const message = failure({ ...env, [key]: tooHigh });
      expect(message).toMatch(new RegExp(`^Invalid configuration: ${key}: `));
      expect(message).toContain(bound);
    },
  );

  it('bounds STEP_UP_MAX_AGE below at 10 s and defaults it to 5 min', () => {
    expect(parseEnv({}).STEP_UP_MAX_AGE).toBe(300);
    expect(parseEnv({ STEP_UP_MAX_AGE: '10s' }).STEP_UP_MAX_AGE).toBe(10);
    expect(failure({ STEP_UP_MAX_AGE: '9s' })).toMatch(
      /^Invalid configuration: STEP_UP_MAX_AGE: .*at least 10s/,
    );
  });

  it.each([
    ['DATABASE_POOL_MAX', '1000', '1001'],
    ['RATE_LIMIT_MAX', '1000000', '1000001'],
    ['LOGIN_MAX_FAILURES', '1000', '1001'],
    ['PASSWORD_MIN_LENGTH', '128', '129'],
    ['HTTP_MAX_HEADER_BYTES', '65536', '65537'],
    ['RATE_LIMIT_IPV6_PREFIX', '128', '129'],
    ['RATE_LIMIT_LOCAL_MAX_KEYS', '10000000', '10000001'],
  ])('bounds the size %s at %s', (key, highest, tooHigh) => {
    expect(() => parseEnv({ [key]: highest })).not.toThrow();
    expect(failure({ [key]: tooHigh })).toMatch(
      new RegExp(`^Invalid configuration: ${key}: .*${highest}`),
    );
  });

  it('lets a password hash wait 5 s for a core by default, and 0 means no wait', () => {
    expect(parseEnv({}).HASH_QUEUE_MAX_WAIT).toBe(5);
    expect(parseEnv({ HASH_QUEUE_MAX_WAIT: '0' }).HASH_QUEUE_MAX_WAIT).toBe(0);
  });

  it('reads JWT_CLOCK_TOLERANCE, where 0 is allowed', () => {
    expect(parseEnv({ JWT_CLOCK_TOLERANCE: '0' }).JWT_CLOCK_TOLERANCE).toBe(0);
    expect(parseEnv({ JWT_CLOCK_TOLERANCE: '30s' }).JWT_CLOCK_TOLERANCE).toBe(
      30,
    );
    expect(failure({ JWT_CLOCK_TOLERANCE: 'soon' })).toMatch(
      /JWT_CLOCK_TOLERANCE/,
    );
  });

  describe('JWT_SECRET', () => {
    it('may be missing outside production (a development secret is generated)', () => {
      expect(parseEnv({ NODE_ENV: 'development' }).JWT_SECRET).toBeUndefined();
      expect(parseEnv({ NODE_ENV: 'test' }).JWT_SECRET).toBeUndefined();
    });

    it.each([
      ['missing', {}],
      ['empty', { JWT_SECRET: '' }],
      ['blank', { JWT_SECRET: '   ' }],
      ['31 bytes', { JWT_SECRET: 'a'.repeat(31) }],
      ['10 three-byte characters (30 bytes)', { JWT_SECRET: '€'.repeat(10) }],
    ])('stops production when it is %s', (_name, env) => {
      const message = failure({ NODE_ENV: 'production', ...env });
      expect(message).toMatch(/^Invalid configuration: JWT_SECRET: /);
      expect(message).toContain('32 bytes');
    });

    it('counts bytes, not characters: 11 three-byte characters are enough', () => {
      const secret = '€'.repeat(11);
      expect(
        parseEnv({
          ...MAIL_PRODUCTION,
          NODE_ENV: 'production',
          JWT_SECRET: secret,
        }).JWT_SECRET,
      ).toBe(secret);
    });

    it('accepts 32 bytes in production', () => {
      expect(
        parseEnv({
          ...MAIL_PRODUCTION,
          NODE_ENV: 'production',
          JWT_SECRET: SECRET_32,
        }).JWT_SECRET,
      ).toBe(SECRET_32);
    });

    it('never echoes the secret in the error', () => {
      const secret = 'short-but-secret-value';
      expect(
        failure({ NODE_ENV: 'production', JWT_SECRET: secret }),
      ).not.toContain(secret);
    });
  });

  it.each([
    ['PORT', '70000'],
    ['PORT', 'http'],
    ['NODE_ENV', 'staging'],
    ['LOG_LEVEL', 'verbose'],
    ['AUTH_REGISTRATION', 'maybe'],
    ['PASSWORD_MIN_LENGTH', '11'],
    ['PASSWORD_MIN_LENGTH', '129'],
    ['PASSWORD_MIN_LENGTH', '14.5'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['DATABASE_POOL_MAX', '0'],
    ['REDIS_URL', 'http://localhost:6379'],
    ['DOCS_ENABLED', 'nope'],
    ['TRUST_PROXY', 'everyone!'],
    ['JWT_ISSUER', ''],
  ])('refuses %s=%j naming the key', (key, value) => {
    expect(failure({ [key]: value })).toMatch(
      new RegExp(`^Invalid configuration: ${key}: `),
    );
  });

  it('reports every bad key on the same line', () => {
    const message = failure({
      PORT: '-1',
      JWT_ACCESS_TTL: 'later',
      AUTH_REGISTRATION: 'sometimes',
    });
    expect(message).toMatch(/PORT: /);
    expect(message).toMatch(/JWT_ACCESS_TTL: /);
    expect(message).toMatch(/AUTH_REGISTRATION: /);
  });

  it('raises PASSWORD_MIN_LENGTH within 12..128', () => {
    expect(parseEnv({ PASSWORD_MIN_LENGTH: '16' }).PASSWORD_MIN_LENGTH).toBe(
      16,
    );
    expect(parseEnv({ PASSWORD_MIN_LENGTH: '128' }).PASSWORD_MIN_LENGTH).toBe(
      128,
    );
  });

  it.each([
    ['postgres://u@localhost:5432/db'],
    ['postgresql://u@localhost/db'],
    ['pglite://memory'],
  ])('accepts DATABASE_URL=%s', (url) => {
    expect(parseEnv({ DATABASE_URL: url }).DATABASE_URL).toBe(url);
  });

  it('treats an empty DATABASE_URL as unset (embedded PGlite)', () => {
    expect(parseEnv({ DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
  });

  it.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['0', false],
    ['no', false],
  ])('reads DOCS_ENABLED=%s as %s', (value, expected) => {
    expect(parseEnv({ DOCS_ENABLED: value }).DOCS_ENABLED).toBe(expected);
  });

  it('limits slow clients by default, the headers within the request limit', () => {
    expect(parseEnv({})).toMatchObject({
      HTTP_REQUEST_TIMEOUT: 30,
      HTTP_HEADERS_TIMEOUT: 10,
      HTTP_CONNECTION_TIMEOUT: 60,
      HTTP_KEEP_ALIVE_TIMEOUT: 72,
      HTTP_MAX_HEADER_BYTES: 16_384,
    });
    expect(
      failure({ HTTP_REQUEST_TIMEOUT: '5s', HTTP_HEADERS_TIMEOUT: '6s' }),
    ).toMatch(
      /^Invalid configuration: HTTP_HEADERS_TIMEOUT: must not be longer than HTTP_REQUEST_TIMEOUT$/,
    );
  });

  it.each([['true'], ['false'], ['2'], ['10.0.0.0/8, 127.0.0.1'], ['::1']])(
    'accepts TRUST_PROXY=%s',
    (value) => {
      expect(parseEnv({ TRUST_PROXY: value }).TRUST_PROXY).toBe(value);
    },
  );

  it.each([['true'], ['0.0.0.0/0'], ['10.0.0.2, ::/0']])(
    'refuses TRUST_PROXY=%s in production: it would trust every hop',
    (value) => {
      const production = {
        ...MAIL_PRODUCTION,
        NODE_ENV: 'production',
        JWT_SECRET: SECRET_32,
      };
      expect(failure({ ...production, TRUST_PROXY: value })).toMatch(
        /^Invalid configuration: TRUST_PROXY: trusting every hop lets any client choose its own address/,
      );
      expect(parseEnv({ TRUST_PROXY: value }).TRUST_PROXY).toBe(value);
    },
  );

  it.each([['1'], ['10.0.0.2'], ['10.0.0.0/8, 192.0.2.7']])(
    'accepts TRUST_PROXY=%s (a hop count or proxy addresses) in production',
    (value) => {
      const production = {
        ...MAIL_PRODUCTION,
        NODE_ENV: 'production',
        JWT_SECRET: SECRET_32,
      };
      expect(parseEnv({ ...production, TRUST_PROXY: value }).TRUST_PROXY).toBe(
        value,
      );
    },
  );

  it('groups IPv6 clients by a /64 and caps the local rate-limit store by default', () => {
    expect(parseEnv({})).toMatchObject({
      RATE_LIMIT_IPV6_PREFIX: 64,
      RATE_LIMIT_LOCAL_MAX_KEYS: 100_000,
    });
    expect(failure({ RATE_LIMIT_IPV6_PREFIX: '31' })).toMatch(
      /^Invalid configuration: RATE_LIMIT_IPV6_PREFIX: /,
    );
  });

  it('wants TLS_CERT_FILE and TLS_KEY_FILE together', () => {
    expect(failure({ TLS_CERT_FILE: '/tmp/cert.pem' })).toMatch(
      /TLS_KEY_FILE: TLS_CERT_FILE and TLS_KEY_FILE must be set together/,
    );
    expect(failure({ TLS_KEY_FILE: '/tmp/key.pem' })).toMatch(
      /TLS_CERT_FILE: /,
    );
    expect(
      parseEnv({ TLS_CERT_FILE: '/tmp/c.pem', TLS_KEY_FILE: '/tmp/k.pem' }),
    ).toMatchObject({
      TLS_CERT_FILE: '/tmp/c.pem',
      TLS_KEY_FILE: '/tmp/k.pem',
    });
  });

  it('reads process.env by default', () => {
    const saved = process.env.JWT_ISSUER;
    process.env.JWT_ISSUER = 'from-process-env';
    try {
      expect(parseEnv().JWT_ISSUER).toBe('from-process-env');
    } finally {
      if (saved === undefined) delete process.env.JWT_ISSUER;
      else process.env.JWT_ISSUER = saved;
    }
  });

  describe('mail', () => {
    const production = {
      NODE_ENV: 'production',
      JWT_SECRET: SECRET_32,
    };

    it('needs SMTP_URL and APP_URL in production while email features are on, naming each', () => {
      const message = failure(production);
      expect(message).toMatch(/SMTP_URL: required in production/);
      expect(message).toMatch(/APP_URL: required in production/);
      expect(parseEnv({ ...production, ...MAIL_PRODUCTION }).SMTP_URL).toBe(
        MAIL_PRODUCTION.SMTP_URL,
      );
    });

    it('needs no SMTP server with EMAIL_FEATURES=off, or outside production', () => {
      expect(
        parseEnv({ ...production, EMAIL_FEATURES: 'off', PASSKEYS: 'off' })
          .EMAIL_FEATURES,
      ).toBe('off');
      expect(parseEnv({}).SMTP_URL).toBeUndefined();
    });

    it('refuses email verification without email features', () => {
      expect(
        failure({ EMAIL_FEATURES: 'off', AUTH_EMAIL_VERIFICATION: 'required' }),
      ).toMatch(/AUTH_EMAIL_VERIFICATION: needs EMAIL_FEATURES=on/);
    });

    it.each([
      ['SMTP_URL', 'http://mail.example.com'],
      ['SMTP_URL', 'mail.example.com:25'],
      ['APP_URL', 'https://app.example.com/#x'],
      ['MAIL_FROM', 'Gatehouse <a@b.c>\r\nBcc: victim@example.com'],
      ['PRODUCT_NAME', 'Gate\nhouse'],
    ])('refuses %s=%j', (key, value) => {
      expect(failure({ [key]: value })).toMatch(new RegExp(`${key}: `));
    });

    it('keeps the retry base below its ceiling', () => {
      expect(
        failure({ MAIL_RETRY_BASE: '1h', MAIL_RETRY_MAX_DELAY: '1m' }),
      ).toMatch(
        /MAIL_RETRY_BASE: must not be longer than MAIL_RETRY_MAX_DELAY/,
      );
    });
  });

  describe('passkeys', () => {
    const production = {
      NODE_ENV: 'production',
      JWT_SECRET: SECRET_32,
      SMTP_URL: 'smtp://mail.example.com:587',
      APP_URL: 'https://app.example.com',
    };

    it('needs WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS in production while passkeys are on, naming each', () => {
      const message = failure(production);
      expect(message).toMatch(/WEBAUTHN_RP_ID: required in production/);
      expect(message).toMatch(/WEBAUTHN_ORIGINS: required in production/);
      expect(parseEnv({ ...production, PASSKEYS: 'off' }).PASSKEYS).toBe('off');
    });

    it.each([
      ['WEBAUTHN_RP_ID', 'https://example.com'],
      ['WEBAUTHN_RP_ID', 'example.com:443'],
      ['WEBAUTHN_ORIGINS', 'https://app.example.com/login'],
      ['WEBAUTHN_ORIGINS', 'app.example.com'],
    ])('refuses %s=%j', (key, value) => {
      expect(failure({ [key]: value })).toMatch(new RegExp(`${key}: `));
    });
  });
});
