import { z } from 'zod';
import {
  bool,
  DAY,
  duration,
  HOUR,
  int,
  MINUTE,
  optionalDuration,
  optionalString,
  secretOf,
} from './env-fields';
import { checkEmail, emailEnvFields } from './email-env';
import { mfaEnvFields } from './mfa-env';
import {
  checkOidcRedirects,
  oidcEnvFields,
  parseOidcProviders,
} from './oidc-env';
import { checkWebauthn, webauthnEnvFields } from './webauthn-env';
import {
  PASSWORD_MAX,
  PASSWORD_MIN,
  passwordLengthAllowed,
} from './password-policy';

type SigningKeyEnv = {
  NODE_ENV: string;
  JWT_ALGORITHM: string;
  JWT_PRIVATE_KEY?: string;
  JWT_PRIVATE_KEY_FILE?: string;
  KEYS_ENCRYPTION_KEY?: string;
  JWT_KEY_ROTATION?: number;
  JWT_KEY_PUBLISH_AHEAD: number;
};

/** The combinations of signing-key settings that cannot work, each reported on the key to change. */
function checkSigningKeys(env: SigningKeyEnv, ctx: z.RefinementCtx): void {
  const issue = (key: string, message: string): void =>
    ctx.addIssue({ code: 'custom', path: [key], message });
  const pem = env.JWT_PRIVATE_KEY ?? env.JWT_PRIVATE_KEY_FILE;
  if (env.JWT_PRIVATE_KEY && env.JWT_PRIVATE_KEY_FILE)
    issue(
      'JWT_PRIVATE_KEY',
      'set JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE, not both',
    );
  if (env.JWT_ALGORITHM === 'HS256') {
    if (pem)
      issue(
        env.JWT_PRIVATE_KEY ? 'JWT_PRIVATE_KEY' : 'JWT_PRIVATE_KEY_FILE',
        'a private key needs JWT_ALGORITHM=RS256 or ES256 (HS256 signs with JWT_SECRET)',
      );
    if (env.JWT_KEY_ROTATION !== undefined)
      issue(
        'JWT_KEY_ROTATION',
        'key rotation needs JWT_ALGORITHM=RS256 or ES256',
      );
    return;
  }
  if (pem && env.JWT_KEY_ROTATION !== undefined)
    issue(
      'JWT_KEY_ROTATION',
      'a key supplied by JWT_PRIVATE_KEY(_FILE) is rotated by its operator; unset one of them',
    );
  if (
    env.JWT_KEY_ROTATION !== undefined &&
    env.JWT_KEY_ROTATION <= env.JWT_KEY_PUBLISH_AHEAD
  )
    issue('JWT_KEY_ROTATION', 'must be longer than JWT_KEY_PUBLISH_AHEAD');
  if (env.NODE_ENV === 'production' && !pem && !env.KEYS_ENCRYPTION_KEY)
    issue(
      'KEYS_ENCRYPTION_KEY',
      `required in production with JWT_ALGORITHM=${env.JWT_ALGORITHM}: it encrypts the private signing keys stored in the database (e.g. \`openssl rand -base64 32\`); or supply your own key with JWT_PRIVATE_KEY_FILE`,
    );
}

/**
 * In production, X-Forwarded-For is believed only from named hops: `true` (or a range holding every address) lets
 * any client choose the address its rate limit and audit trail are keyed by.
 */
function checkTrustProxy(
  env: { NODE_ENV: string; TRUST_PROXY: string },
  ctx: z.RefinementCtx,
): void {
  if (env.NODE_ENV !== 'production') return;
  const trustsEveryone =
    env.TRUST_PROXY === 'true' ||
    env.TRUST_PROXY.split(',').some((entry) => /\/0+$/.test(entry.trim()));
  if (trustsEveryone)
    ctx.addIssue({
      code: 'custom',
      path: ['TRUST_PROXY'],
      message:
        'trusting every hop lets any client choose its own address; in production give the number of proxies in front (e.g. 1) or their addresses',
    });
}

export const envSchema = z
  .object({
    NODE_ENV: z
      .enum(['development', 'production', 'test'])
      .default('development'),
    HOST: z.string().min(1).default('0.0.0.0'),
    PORT: int(3000, 0, 65535),
    DATA_DIR: z.string().min(1).default('./data'),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),

    DATABASE_URL: optionalString.refine(
      (v) => v === undefined || /^(postgres(ql)?:\/\/|pglite:\/\/)/.test(v),
      'expected postgres://…, postgresql://… or pglite://memory',
    ),
    DATABASE_POOL_MAX: int(10, 1, 1000),
    REDIS_URL: optionalString.refine(
      (v) => v === undefined || /^rediss?:\/\//.test(v),
      'expected redis://… or rediss://…',
    ),

    JWT_SECRET: optionalString,
    JWT_ACCESS_TTL: duration('15m', 1, DAY),
    JWT_ISSUER: z.string().min(1).default('gatehouse'),
    JWT_AUDIENCE: z.string().min(1).default('gatehouse'),
    JWT_CLOCK_TOLERANCE: duration('5s', 0, 5 * MINUTE),
    // Verified access tokens kept in memory, about 1.1 KB each (docs/performance.md says how to size it).
    VERIFIED_TOKEN_CACHE_ENTRIES: int(20_000, 100, 2_000_000),

    // Signing keys, rotation and the OAuth endpoints (src/keys, src/oauth).
    JWT_ALGORITHM: z.enum(['HS256', 'RS256', 'ES256']).default('HS256'),
    JWT_PRIVATE_KEY: optionalString,
    JWT_PRIVATE_KEY_FILE: optionalString,
    KEYS_ENCRYPTION_KEY: secretOf(32, 'openssl rand -base64 32'),
    JWT_KEY_ROTATION: optionalDuration(HOUR, 365 * DAY),
    JWT_KEY_PUBLISH_AHEAD: duration('1h', 0, 30 * DAY),
    INTROSPECTION_SECRET: secretOf(32, 'openssl rand -base64 32'),
    PUBLIC_URL: optionalString.refine(
      (v) => v === undefined || /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(v),
      'expected an absolute http(s) URL without query, e.g. https://auth.example.com',
    ),

    AUTH_REGISTRATION: z.enum(['open', 'closed']).default('open'),
    PASSWORD_MIN_LENGTH: int(PASSWORD_MIN, PASSWORD_MIN, PASSWORD_MAX),

    REFRESH_REUSE_GRACE: duration('10s', 0, MINUTE),
    SESSION_IDLE_TTL: duration('7d', MINUTE, 365 * DAY),
    SESSION_MAX_TTL: duration('30d', MINUTE, 365 * DAY),
    SESSION_PURGE_INTERVAL: duration('1h', 1, DAY),

    CORS_ORIGINS: optionalString,
    TRUST_PROXY: z
      .string()
      .default('false')
      .refine(
        (v) => /^(true|false|\d+|[0-9a-fA-F.:/, ]+)$/.test(v),
        'expected true, false, a hop count or a comma-separated list of proxy addresses/CIDRs',
      ),
    TLS_CERT_FILE: optionalString,
    TLS_KEY_FILE: optionalString,
    DOCS_ENABLED: bool(true),
    // Slow clients: the whole request, its headers, a silent connection and an idle keep-alive each have a limit.
    HTTP_REQUEST_TIMEOUT: duration('30s', 1, 5 * MINUTE),
    HTTP_HEADERS_TIMEOUT: duration('10s', 1, MINUTE),
    HTTP_CONNECTION_TIMEOUT: duration('60s', 1, 10 * MINUTE),
    HTTP_KEEP_ALIVE_TIMEOUT: duration('72s', 1, 10 * MINUTE),
    HTTP_MAX_HEADER_BYTES: int(16_384, 1_024, 65_536),

    // Brute-force protection: per-IP limits on the public auth routes, per-account lockout after failed logins.
    RATE_LIMIT_MAX: int(100, 1, 1_000_000),
    RATE_LIMIT_WINDOW: duration('60s', 1, DAY),
    // One IPv6 /64 is usually one subscriber: grouped so a client cannot rotate through its own addresses.
    RATE_LIMIT_IPV6_PREFIX: int(64, 32, 128),
    RATE_LIMIT_LOCAL_MAX_KEYS: int(100_000, 100, 10_000_000),
    LOGIN_MAX_FAILURES: int(5, 1, 1000),
    LOGIN_FAILURE_WINDOW: duration('15m', 1, DAY),
    LOGIN_LOCKOUT_BASE: duration('1s', 1, HOUR),
    LOGIN_LOCKOUT_MAX: duration('15m', 1, DAY),
    // A hash waits at most this long for a free core, then the request gets 503 (src/passwords); 0: never waits.
    HASH_QUEUE_MAX_WAIT: duration('5s', 0, MINUTE),

    // Operations: log format (default json in production and tests, pretty in development), audit retention, /metrics.
    LOG_FORMAT: optionalString.pipe(z.enum(['json', 'pretty']).optional()),
    AUDIT_RETENTION: duration('90d', HOUR, 3650 * DAY),
    METRICS_TOKEN: optionalString.refine(
      (v) => v === undefined || Buffer.byteLength(v, 'utf8') >= 16,
      'must be at least 16 bytes (e.g. `openssl rand -hex 32`)',
    ),

    // First admin, created at start when all three are set and no admin exists (see src/users/first-admin.service.ts).
    ADMIN_USERNAME: optionalString.refine(
      (v) => v === undefined || /^[a-zA-Z0-9_.-]{3,32}$/.test(v),
      'expected 3 to 32 letters, digits, "_", "." or "-" (the registration rules)',
    ),
    ADMIN_EMAIL: optionalString.refine(
      (v) =>
        v === undefined ||
        (v.length <= 254 && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v)),
      'expected an email address of at most 254 characters',
    ),
    ADMIN_PASSWORD: optionalString,

    ...emailEnvFields,
    ...mfaEnvFields,
    ...webauthnEnvFields,
    ...oidcEnvFields,
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production') {
      if (
        env.JWT_ALGORITHM === 'HS256' &&
        (!env.JWT_SECRET || Buffer.byteLength(env.JWT_SECRET, 'utf8') < 32)
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['JWT_SECRET'],
          message:
            'required in production and must be at least 32 bytes (e.g. `openssl rand -base64 48`)',
        });
      }
    }
    checkSigningKeys(env, ctx);
    checkTrustProxy(env, ctx);
    checkEmail(env, ctx);
    checkWebauthn(env, ctx);
    checkOidcRedirects(env, ctx);
    if (Boolean(env.TLS_CERT_FILE) !== Boolean(env.TLS_KEY_FILE)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.TLS_CERT_FILE ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE'],
        message: 'TLS_CERT_FILE and TLS_KEY_FILE must be set together',
      });
    }
    if (env.HTTP_HEADERS_TIMEOUT > env.HTTP_REQUEST_TIMEOUT)
      ctx.addIssue({
        code: 'custom',
        path: ['HTTP_HEADERS_TIMEOUT'],
        message: 'must not be longer than HTTP_REQUEST_TIMEOUT',
      });
    const adminKeys = [
      'ADMIN_USERNAME',
      'ADMIN_EMAIL',
      'ADMIN_PASSWORD',
    ] as const;
    if (adminKeys.some((key) => env[key] !== undefined)) {
      for (const key of adminKeys.filter((k) => env[k] === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message:
            'ADMIN_USERNAME, ADMIN_EMAIL and ADMIN_PASSWORD must be set together',
        });
      }
    }
    // Never echo the value: only its length is judged.
    if (
      env.ADMIN_PASSWORD &&
      !passwordLengthAllowed(env.ADMIN_PASSWORD, env.PASSWORD_MIN_LENGTH)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['ADMIN_PASSWORD'],
        message: `must be between ${env.PASSWORD_MIN_LENGTH} and ${PASSWORD_MAX} characters (PASSWORD_MIN_LENGTH)`,
      });
    }
  });

export type Env = z.infer<typeof envSchema>;

/** Thrown when the environment is invalid; its message is one line per bad key, naming the key. */
export class InvalidEnvironmentError extends Error {}

export function parseEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const result = envSchema.safeParse(source);
  if (result.success) {
    const { issues } = parseOidcProviders(result.data, source);
    if (issues.length === 0) return result.data;
    throw new InvalidEnvironmentError(
      `Invalid configuration: ${issues.join('; ')}`,
    );
  }
  const lines = result.error.issues.map(
    (issue) => `${issue.path.join('.') || 'env'}: ${issue.message}`,
  );
  throw new InvalidEnvironmentError(
    `Invalid configuration: ${lines.join('; ')}`,
  );
}
