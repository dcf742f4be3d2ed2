import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import {
  postgresUnavailable,
  redisUnavailable,
  redisUrlWithDb,
  TEST_PG_URL,
} from './helpers/services';
import { until } from './helpers/eventually';
import { sidOf } from './helpers/jwt';
import { ensureBuilt, spawnApp, type SpawnedApp } from './helpers/spawn-app';
import { newUser, TEST_SECRET } from './helpers/test-app';

// Spawns two production builds; building (on a fresh checkout) and booting take a while on a busy machine.
jest.setTimeout(180_000);

const PORT_A = 4210;
const PORT_B = 4211;

const unavailable = postgresUnavailable() ?? redisUnavailable();
if (unavailable)
  process.stdout.write(`multi-instance e2e skipped: ${unavailable}\n`);
const describeWithServices = unavailable ? describe.skip : describe;

describeWithServices(
  'two instances on one PostgreSQL database and Redis (e2e)',
  () => {
    const dbName = `gatehouse_multi_${randomBytes(6).toString('hex')}`;
    let dataDir: string;
    let databaseUrl: string;
    let a: SpawnedApp | undefined;
    let b: SpawnedApp | undefined;

    async function admin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
      const client = new Client({ connectionString: TEST_PG_URL });
      await client.connect();
      try {
        return await fn(client);
      } finally {
        await client.end();
      }
    }

    beforeAll(async () => {
      ensureBuilt();
      await admin((c) => c.query(`create database ${dbName}`));
      const url = new URL(TEST_PG_URL);
      url.pathname = `/${dbName}`;
      databaseUrl = url.toString();
      dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-multi-'));
      const env = {
        DATABASE_URL: databaseUrl,
        REDIS_URL: redisUrlWithDb(1),
        JWT_SECRET: TEST_SECRET,
        DATA_DIR: dataDir,
        RATE_LIMIT_MAX: '100000',
        NODE_ENV: 'production',
        // Mail is not what these tests are about; production would otherwise need SMTP_URL and APP_URL.
        EMAIL_FEATURES: 'off',
        PASSKEYS: 'off',
        LOG_LEVEL: 'warn',
      };
      // Both start at once against an empty database: the migration lock has to hold.
      [a, b] = await Promise.all([
        spawnApp(PORT_A, env, { timeoutMs: 90_000 }),
        spawnApp(PORT_B, env, { timeoutMs: 90_000 }),
      ]);
    });

    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      await admin((c) =>
        c.query(`drop database if exists ${dbName} with (force)`),
      );
      rmSync(dataDir, { recursive: true, force: true });
    });

    const on = (instance: SpawnedApp | undefined) =>
      request((instance as SpawnedApp).url);

    async function loginOn(
      instance: SpawnedApp | undefined,
      user: ReturnType<typeof newUser>,
    ): Promise<{ access: string; refresh: string }> {
      const res = await on(instance)
        .post('/auth/login')
        .send({ username: user.username, password: user.password })
        .expect(200);
      return { access: res.body.access_token, refresh: res.body.refresh_token };
    }

    it('rejects on B, within one second, an access token logged out on A', async () => {
      const user = newUser('multi');
      await on(a).post('/auth/register').send(user).expect(201);
      const pair = await loginOn(a, user);
      const other = await loginOn(b, user);
      await on(b)
        .get('/auth/me')
        .set('authorization', `Bearer ${pair.access}`)
        .expect(200);

      await on(a)
        .post('/auth/logout')
        .set('authorization', `Bearer ${pair.access}`)
        .expect(204);
      let status = 200;
      const elapsed = await until(
        () => `B to refuse the logged-out token (last answer ${status})`,
        async () => {
          status = (
            await on(b)
              .get('/auth/me')
              .set('authorization', `Bearer ${pair.access}`)
          ).status;
          return status === 401;
        },
        { timeoutMs: 2_000 },
      );
      process.stdout.write(`logout on A seen by B after ${elapsed} ms\n`);
      expect(status).toBe(401);
      expect(elapsed).toBeLessThan(1_000);

      // The refresh token is dead on both; the user's other session lives on.
      await on(b)
        .post('/auth/refresh')
        .send({ refresh_token: pair.refresh })
        .expect(401);
      await on(a)
        .get('/auth/me')
        .set('authorization', `Bearer ${other.access}`)
        .expect(200);
    });

    it('answers a refresh race split across A and B inside the grace window with one pair', async () => {
      const user = newUser('multi');
      await on(b).post('/auth/register').send(user).expect(201);
      const pair = await loginOn(b, user);
      const replies = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          on(i % 2 === 0 ? a : b)
            .post('/auth/refresh')
            .send({ refresh_token: pair.refresh }),
        ),
      );
      expect(replies.map((r) => r.status)).toEqual(Array(10).fill(200));
      const refreshTokens = new Set(replies.map((r) => r.body.refresh_token));
      const accessTokens = new Set(replies.map((r) => r.body.access_token));
      expect(refreshTokens.size).toBe(1);
      expect(accessTokens.size).toBe(1);
      const [successor] = [...refreshTokens] as string[];

      const client = new Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const live = await client.query<{ token_hash: string }>(
          'select token_hash from refresh_tokens where session_id = $1 and consumed_at is null',
          [sidOf(pair.access)],
        );
        expect(live.rows).toEqual([
          { token_hash: createHash('sha256').update(successor).digest('hex') },
        ]);
      } finally {
        await client.end();
      }
      // Either instance continues the family.
      await on(a)
        .post('/auth/refresh')
        .send({ refresh_token: successor })
        .expect(200);
    });
  },
);
