import { readFileSync } from 'node:fs';
import {
  type LoggerService,
  type LogLevel,
  type NestApplicationOptions,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import {
  FastifyAdapter,
  type NestFastifyApplication,
} from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { frameworkErrorHandler } from './common/problem-details.filter';
import { installSecurityHeaders } from './common/security-headers';
import {
  type Env,
  InvalidEnvironmentError,
  parseEnv,
} from './config/env.schema';
import { installRequestLog } from './logging/request-log';
import { echoRequestId, generateRequestId } from './logging/request-id';
import { installHttpMetrics } from './metrics/http-metrics.hook';
import { registerFormBodyParser } from './oauth/form-body';
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

/** Reads a file an env key points at; a missing or unreadable one stops the start with one line naming the key. */
function readConfiguredFile(key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new InvalidEnvironmentError(
      `Invalid configuration: ${key}: cannot read ${path} (${reason})`,
    );
  }
}

/**
 * How often Node compares every open connection with HTTP_REQUEST_TIMEOUT and HTTP_HEADERS_TIMEOUT. Its default,
 * 30 s, would let a slow client outlive either limit by up to that much.
 */
const CONNECTIONS_CHECK_INTERVAL_MS = 1_000;

/** Node's server options that bound what a slow or oversized request can hold (passed for HTTP and HTTPS alike). */
function serverLimits(env: Env): Record<string, number> {
  return {
    requestTimeout: env.HTTP_REQUEST_TIMEOUT * 1000,
    headersTimeout: env.HTTP_HEADERS_TIMEOUT * 1000,
    maxHeaderSize: env.HTTP_MAX_HEADER_BYTES,
    connectionsCheckingInterval: CONNECTIONS_CHECK_INTERVAL_MS,
  };
}

export function createAdapter(env: Env = parseEnv()): FastifyAdapter {
  const https =
    env.TLS_CERT_FILE && env.TLS_KEY_FILE
      ? {
          cert: readConfiguredFile('TLS_CERT_FILE', env.TLS_CERT_FILE),
          key: readConfiguredFile('TLS_KEY_FILE', env.TLS_KEY_FILE),
          ...serverLimits(env),
        }
      : undefined;
  return new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: trustProxySetting(env.TRUST_PROXY),
    // Fastify sets these on the server after creating it: the whole request must arrive within the first; a
    // connection silent in both directions while a request is open is closed after the second, and one idle
    // between requests after the third.
    requestTimeout: env.HTTP_REQUEST_TIMEOUT * 1000,
    connectionTimeout: env.HTTP_CONNECTION_TIMEOUT * 1000,
    keepAliveTimeout: env.HTTP_KEEP_ALIVE_TIMEOUT * 1000,
    ...(https ? { https } : { http: serverLimits(env) }),
    return503OnClosing: true,
    // generateRequestId validates X-Request-Id itself; Fastify's requestIdHeader would trust any value.
    genReqId: generateRequestId,
    requestIdHeader: false,
    frameworkErrors: frameworkErrorHandler,
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
export function configureApp(
  app: NestFastifyApplication,
  env: Env = parseEnv(),
): void {
  const fastify = app.getHttpAdapter().getInstance();
  app.useLogger(app.get(Logger));
  echoRequestId(fastify);
  installRequestLog(fastify);
  installHttpMetrics(app);
  // JSON only: a text/plain (or any other) body is answered with 415 instead of being half-parsed.
  fastify.removeContentTypeParser('text/plain');
  // Forms only where OAuth clients send them (token revocation and introspection); 415 everywhere else.
  registerFormBodyParser(fastify, BODY_LIMIT_BYTES);

  installSecurityHeaders(fastify, {
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
  if (env.DOCS_ENABLED)
    setupSwagger(app, {
      persistAuthorization: env.NODE_ENV !== 'production',
    });
  // Nest stops the HTTP server (in-flight requests finish) before onApplicationShutdown closes the database;
  // useProcessExit makes a clean SIGTERM exit 0 instead of re-raising the signal.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
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
      // Held until configureApp installs pino, so startup lines are JSON like the rest.
      bufferLogs: true,
      logger: options.logger ?? nestLogLevels(env),
    },
  );
  configureApp(app, env);
  return app;
}
