import type { Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { AppModule } from 'src/app.module';
import { PasswordService } from 'src/passwords/password.service';
import { Clock } from 'src/common/clock';
import { parseEnv } from 'src/config/env.schema';
import { DatabaseService } from 'src/database/database.service';
import { APP_OPTIONS, configureApp, createAdapter } from 'src/setup-app';
import { TestClock } from './test-clock';
import { createTestDatabase, type TestDatabase } from './test-database';

export const TEST_SECRET = 'test-secret-that-is-long-enough-for-hs256-000000';

export interface TestApp {
  app: NestFastifyApplication;
  http: () => TestAgent;
  clock: TestClock;
  database: TestDatabase;
  get<T>(token: new (...args: never[]) => T): T;
  close: () => Promise<void>;
}

/**
 * Boots the real AppModule with the production HTTP setup (same guards, pipe, filter, parsers) on a fresh
 * database. `env` overrides configuration for this app only.
 */
export async function createTestApp(
  env: Record<string, string> = {},
  options: {
    /** Extra modules next to AppModule (test-only controllers). */
    imports?: Type[];
    /** Providers replaced by a value, e.g. the log destination. */
    overrides?: [token: unknown, value: unknown][];
  } = {},
): Promise<TestApp> {
  const database = await createTestDatabase();
  const saved = { ...process.env };
  Object.assign(process.env, {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    JWT_SECRET: TEST_SECRET,
    DATABASE_URL: database.url,
    ...env,
  });
  const clock = new TestClock();
  try {
    const parsed = parseEnv();
    let builder = Test.createTestingModule({
      imports: [AppModule, ...(options.imports ?? [])],
    })
      .overrideProvider(Clock)
      .useValue(clock);
    for (const [token, value] of options.overrides ?? [])
      builder = builder.overrideProvider(token).useValue(value);
    const moduleRef = await builder.compile();
    const silent = parsed.LOG_LEVEL === 'silent';
    const app = moduleRef.createNestApplication<NestFastifyApplication>(
      createAdapter(parsed),
      // Not silent: buffer start-up lines until the app's own (pino) logger takes over, as production does.
      {
        ...APP_OPTIONS,
        ...(silent ? { logger: false } : { bufferLogs: true }),
      },
    );
    configureApp(app, parsed);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return {
      app,
      clock,
      database,
      http: () => request(app.getHttpServer()),
      get: (token) => app.get(token),
      close: async () => {
        await app.close();
        await database.drop();
      },
    };
  } catch (error) {
    // Do not leave a throwaway PostgreSQL database behind when the app fails to boot.
    await database.drop().catch(() => undefined);
    throw error;
  } finally {
    process.env = saved;
  }
}

let counter = 0;
/** A unique username/email/password for this test file. */
export function newUser(prefix = 'user'): {
  username: string;
  email: string;
  password: string;
} {
  counter += 1;
  const id = `${prefix}${counter}_${Math.random().toString(36).slice(2, 8)}`;
  return {
    username: id,
    email: `${id}@example.com`,
    password: `pw-${id}-long enough`,
  };
}

/** Logs a user in through the API and returns its token pair. */
export async function login(
  t: TestApp,
  user: { username: string; password: string },
): Promise<{ access: string; refresh: string }> {
  const res = await t
    .http()
    .post('/auth/login')
    .send({ username: user.username, password: user.password })
    .expect(200);
  return {
    access: res.body.access_token as string,
    refresh: res.body.refresh_token as string,
  };
}

export async function registerAndLogin(
  t: TestApp,
  user = newUser(),
): Promise<{ user: typeof user; id: string; access: string; refresh: string }> {
  const reg = await t.http().post('/auth/register').send(user).expect(201);
  return {
    user,
    id: (reg.body as { id: string }).id,
    ...(await login(t, user)),
  };
}

export { PasswordService, DatabaseService };
