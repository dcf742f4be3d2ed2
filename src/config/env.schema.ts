import { z } from 'zod';
import { parseDurationSeconds } from './duration';

const duration = (fallback: string, min = 0) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const seconds = parseDurationSeconds(value);
      if (seconds === undefined || seconds < min) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a duration like 900, 900s, 15m, 1h or 7d${min ? ` (at least ${min}s)` : ''}`,
        });
        return z.NEVER;
      }
      return seconds;
    });

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

const int = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

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
    JWT_ACCESS_TTL: duration('15m', 1),
    JWT_ISSUER: z.string().min(1).default('gatehouse'),
    JWT_AUDIENCE: z.string().min(1).default('gatehouse'),
    JWT_CLOCK_TOLERANCE: duration('5s'),

    AUTH_REGISTRATION: z.enum(['open', 'closed']).default('open'),
    PASSWORD_MIN_LENGTH: int(12, 12, 128),

    REFRESH_REUSE_GRACE: duration('10s'),
    SESSION_IDLE_TTL: duration('7d', 60),
    SESSION_MAX_TTL: duration('30d', 60),
    SESSION_PURGE_INTERVAL: duration('1h', 1),

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
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production') {
      if (!env.JWT_SECRET || Buffer.byteLength(env.JWT_SECRET, 'utf8') < 32) {
        ctx.addIssue({
          code: 'custom',
          path: ['JWT_SECRET'],
          message:
            'required in production and must be at least 32 bytes (e.g. `openssl rand -base64 48`)',
        });
      }
    }
    if (Boolean(env.TLS_CERT_FILE) !== Boolean(env.TLS_KEY_FILE)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.TLS_CERT_FILE ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE'],
        message: 'TLS_CERT_FILE and TLS_KEY_FILE must be set together',
      });
    }
  });

export type Env = z.infer<typeof envSchema>;

/** Thrown when the environment is invalid; its message is one line per bad key, naming the key. */
export class InvalidEnvironmentError extends Error {}

export function parseEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const result = envSchema.safeParse(source);
  if (result.success) return result.data;
  const lines = result.error.issues.map(
    (issue) => `${issue.path.join('.') || 'env'}: ${issue.message}`,
  );
  throw new InvalidEnvironmentError(
    `Invalid configuration: ${lines.join('; ')}`,
  );
}
