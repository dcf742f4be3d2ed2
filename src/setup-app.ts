import { readFileSync } from 'node:fs';
import helmet from '@fastify/helmet';
import {
  type LoggerService,
  type LogLevel,
  type NestApplicationOptions,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  FastifyAdapter,
  type NestFastifyApplication,
} from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { type Env, parseEnv } from './config/env.schema';
import { setupSwagger } from './openapi';

export const BODY_LIMIT_BYTES = 100 * 1024;

function trustProxySetting(value: string): boolean | number | string[] {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

const NEST_LOG_LEVELS: Record<string, LogLevel[]> = {
  silent: [],
  fatal: ['fatal'],
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  trace: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

export function createAdapter(env: Env = parseEnv()): FastifyAdapter {
  const https =
    env.TLS_CERT_FILE && env.TLS_KEY_FILE
      ? {
          cert: readFileSync(env.TLS_CERT_FILE),
          key: readFileSync(env.TLS_KEY_FILE),
        }
      : undefined;
  return new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: trustProxySetting(env.TRUST_PROXY),
    ...(https ? { https } : {}),
    return503OnClosing: true,
  });
}

export const APP_OPTIONS: NestApplicationOptions = {
  abortOnError: false,
  // Fastify's own JSON parser only; Nest's default would also parse form bodies on every route.
  bodyParser: false,
};

export function nestLogLevels(env: Env = parseEnv()): LogLevel[] {
  return NEST_LOG_LEVELS[env.LOG_LEVEL];
}

/** App-wide HTTP setup, in one place for production and tests: parsers, headers, CORS, docs, shutdown. */
export async function configureApp(
  app: NestFastifyApplication,
  env: Env = parseEnv(),
): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  // JSON only: a text/plain (or any other) body is answered with 415 instead of being half-parsed.
  fastify.removeContentTypeParser('text/plain');

  await app.register(helmet, {
    hsts: Boolean(env.TLS_CERT_FILE),
    contentSecurityPolicy: {
      directives: {
        // Plain-http deployments (behind a TLS proxy, or local) must still load the docs' assets.
        upgradeInsecureRequests: null,
        defaultSrc: ["'self'"],
        // Swagger UI needs its inline bootstrap and styles, and data: images.
        scriptSrc: ["'self'", "'unsafe-inline'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
      },
    },
  });
  if (env.CORS_ORIGINS) {
    app.enableCors({
      origin: env.CORS_ORIGINS.split(',')
        .map((o) => o.trim())
        .filter(Boolean),
      credentials: false,
      allowedHeaders: ['authorization', 'content-type', 'x-request-id'],
      exposedHeaders: ['www-authenticate', 'retry-after', 'x-request-id'],
    });
  }
  if (env.DOCS_ENABLED) setupSwagger(app);
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
}

/** Creates the application exactly as production runs it. */
export async function createApp(
  options: { logger?: LoggerService | false } = {},
): Promise<NestFastifyApplication> {
  const env = parseEnv();
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule,
    createAdapter(env),
    {
      ...APP_OPTIONS,
      logger: options.logger ?? nestLogLevels(env),
    },
  );
  await configureApp(app, env);
  return app;
}
