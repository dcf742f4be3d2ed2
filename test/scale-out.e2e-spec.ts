import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { until } from './helpers/eventually';
import {
  commandExists,
  ensureBuilt,
  isReachableSync,
  type RedisServer,
  type SpawnedApp,
  spawnApp,
  startRedisServer,
  startTcpProxy,
  type TcpProxy,
} from './helpers/spawn-app';

/**
 * Two `node dist/main.js` processes, configured by environment only, on one PostgreSQL database and one Redis,
 * the way the README tells operators to run N instances. Ports 4401-4499 belong to this file.
 */
jest.setTimeout(120_000);

const ADMIN_URL =
  process.env.TEST_PG_URL ||
  process.env.TEST_DATABASE_URL ||
  'postgres://postgres@127.0.0.1:5432/test';
const admin = new URL(ADMIN_URL);
const pgPort = Number(admin.port || 5432);
const missing = [
  !isReachableSync(admin.hostname, pgPort) &&
    `PostgreSQL at ${admin.hostname}:${pgPort}`,
  !commandExists('redis-server') && 'the redis-server binary',
].filter(Boolean);
if (missing.length)
  console.warn(`scale-out: skipped, unreachable: ${missing.join(', ')}`);

const PORT_A = 4401;
const PORT_B = 4402;
const PORT_C = 4403;
const REDIS_PORT = 4450;
const PG_PROXY_PORT = 4460;
const DEAD_PORT = 4499;
const RATE_LIMIT = 6;

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

let ipCounter = randomBytes(2).readUInt16BE();
function nextIp(): string {
  ipCounter += 1;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

async function call(
  app: SpawnedApp,
  method: string,
  path: string,
  options: { body?: unknown; ip?: string; token?: string } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {
    'x-forwarded-for': options.ip ?? nextIp(),
  };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

function newAccount() {
  const id = `so_${randomBytes(5).toString('hex')}`;
  return {
    username: id,
    email: `${id}@example.com`,
    password: `pw-${id}-long enough`,
  };
}

(missing.length ? describe.skip : describe)(
  'two instances on one PostgreSQL and one Redis (e2e)',
  () => {
    let redis: RedisServer;
    let proxy: TcpProxy;
    let a: SpawnedApp;
    let b: SpawnedApp;
    let env: Record<string, string>;
    const databaseName = `gatehouse_scaleout_${randomBytes(6).toString('hex')}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-scaleout-'));

    const withAdmin = async (sql: string) => {
      const client = new Client({ connectionString: ADMIN_URL });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    };

    async function registerAndLogin(app: SpawnedApp) {
      const account = newAccount();
      expect(
        (await call(app, 'POST', '/auth/register', { body: account })).status,
      ).toBe(201);
      const login = await call(app, 'POST', '/auth/login', {
        body: { username: account.username, password: account.password },
      });
      expect(login.status).toBe(200);
      return { account, access: login.body.access_token as string };
    }

    beforeAll(async () => {
      ensureBuilt();
      redis = await startRedisServer(REDIS_PORT);
      await withAdmin(`create database ${databaseName}`);
      // PostgreSQL is reached through a proxy the test can cut, to play an outage without touching the server.
      proxy = await startTcpProxy(PG_PROXY_PORT, {
        host: admin.hostname,
        port: pgPort,
      });
      const databaseUrl = new URL(ADMIN_URL);
      databaseUrl.host = `127.0.0.1:${PG_PROXY_PORT}`;
      databaseUrl.pathname = `/${databaseName}`;
      env = {
        NODE_ENV: 'production',
        // Mail is not what these tests are about; production would otherwise need SMTP_URL and APP_URL.
        EMAIL_FEATURES: 'off',
        PASSKEYS: 'off',
        JWT_SECRET: randomBytes(48).toString('base64'),
        DATA_DIR: dataDir,
        DATABASE_URL: databaseUrl.toString(),
        DATABASE_POOL_MAX: '4',
        REDIS_URL: redis.url(2),
        // Production refuses `true`; the test client is the one hop in front and sends one address.
        TRUST_PROXY: '1',
        RATE_LIMIT_MAX: String(RATE_LIMIT),
        LOGIN_LOCKOUT_BASE: '1s',
      };
      // Started together: the migration lock lets only one of them migrate.
      [a, b] = await Promise.all([
        spawnApp(PORT_A, env),
        spawnApp(PORT_B, env),
      ]);
    }, 300_000);

    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      await redis?.stop();
      await proxy?.close();
      await withAdmin(
        `drop database if exists ${databaseName} with (force)`,
      ).catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('holds a lockout earned on one instance on the other', async () => {
      const { account } = await registerAndLogin(a);
      for (let i = 0; i < 5; i += 1) {
        const wrong = await call(a, 'POST', '/auth/login', {
          body: { username: account.username, password: 'wrong password' },
        });
        expect(wrong.status).toBe(401);
      }
      const onB = await call(b, 'POST', '/auth/login', {
        body: { username: account.email, password: account.password },
      });
      expect(onB.status).toBe(429);
      expect(onB.body.code).toBe('AUTH.TOO_MANY_ATTEMPTS');
      expect(onB.headers.get('retry-after')).toBe('1');
      // Refused attempts do not extend a lockout, so B is asked until it lifts; every answer is kept.
      const seen: number[] = [];
      await until(
        () => `the lockout to lift on B (answers: ${seen.join(', ')})`,
        async () => {
          const after = await call(b, 'POST', '/auth/login', {
            body: { username: account.username, password: account.password },
          });
          seen.push(after.status);
          return after.status !== 429;
        },
        { timeoutMs: 5_000, intervalMs: 100 },
      );
      expect(seen.at(-1)).toBe(200);
    });

    it('shares the per-IP rate limit between the instances', async () => {
      const ip = nextIp();
      const refresh = (app: SpawnedApp) =>
        call(app, 'POST', '/auth/refresh', {
          ip,
          body: { refresh_token: 'not-a-real-refresh-token' },
        });
      for (let i = 0; i < RATE_LIMIT; i += 1)
        expect((await refresh(i % 2 ? b : a)).status).toBe(401);
      const limitedA = await refresh(a);
      const limitedB = await refresh(b);
      expect([limitedA.status, limitedB.status]).toEqual([429, 429]);
      expect(limitedB.body.code).toBe('RATE_LIMITED');
      expect(Number(limitedB.headers.get('retry-after'))).toBeGreaterThan(0);
    });

    it('honours a logout on one instance on the other within one second', async () => {
      const { access } = await registerAndLogin(a);
      expect((await call(b, 'GET', '/auth/me', { token: access })).status).toBe(
        200,
      );
      expect(
        (await call(a, 'POST', '/auth/logout', { token: access })).status,
      ).toBe(204);
      // Polled for one second; every answer is kept so a failure shows what B said meanwhile.
      const seen: number[] = [];
      await until(
        () => `B to refuse the logged-out token (answers: ${seen.join(', ')})`,
        async () => {
          seen.push(
            (await call(b, 'GET', '/auth/me', { token: access })).status,
          );
          return seen.at(-1) === 401;
        },
        { timeoutMs: 1_000 },
      );
      expect(seen).toContain(401);
    });

    it('keeps serving with in-process limits while Redis is down, and shares them again when it returns', async () => {
      const account = newAccount();
      expect(
        (await call(a, 'POST', '/auth/register', { body: account })).status,
      ).toBe(201);
      await redis.stop();

      const login = await call(a, 'POST', '/auth/login', {
        body: { username: account.username, password: account.password },
      });
      expect(login.status).toBe(200);
      expect(a.output()).toMatch(/Redis is unavailable/);

      // Each instance now counts on its own: A refuses the address, B has not seen it.
      const ip = nextIp();
      const refresh = (app: SpawnedApp, from = ip) =>
        call(app, 'POST', '/auth/refresh', {
          ip: from,
          body: { refresh_token: 'not-a-real-refresh-token' },
        });
      for (let i = 0; i < RATE_LIMIT; i += 1)
        expect((await refresh(a)).status).toBe(401);
      expect((await refresh(a)).status).toBe(429);
      expect((await refresh(b)).status).toBe(401);

      await redis.start();
      await until(
        'both instances use Redis again',
        async () => {
          await Promise.all([refresh(a, nextIp()), refresh(b, nextIp())]);
          return [a, b].every((app) =>
            /rate limits are shared by all instances again/.test(app.output()),
          );
        },
        { timeoutMs: 15_000 },
      );
      const shared = nextIp();
      for (let i = 0; i < RATE_LIMIT; i += 1)
        expect((await refresh(i % 2 ? b : a, shared)).status).toBe(401);
      expect((await refresh(b, shared)).status).toBe(429);
      expect((await refresh(a, shared)).status).toBe(429);
    });

    it('answers 503 problems while PostgreSQL is unreachable and recovers without a restart', async () => {
      const account = newAccount();
      expect(
        (await call(a, 'POST', '/auth/register', { body: account })).status,
      ).toBe(201);
      await proxy.cut();
      try {
        const login = await call(a, 'POST', '/auth/login', {
          body: { username: account.username, password: account.password },
        });
        expect(login.status).toBe(503);
        expect(login.headers.get('content-type')).toMatch(
          /^application\/problem\+json/,
        );
        expect(login.body).toMatchObject({
          status: 503,
          code: 'SERVICE_UNAVAILABLE',
        });
        const health = await call(a, 'GET', '/health');
        expect(health.status).toBe(503);
        expect(health.headers.get('content-type')).toMatch(
          /^application\/problem\+json/,
        );
      } finally {
        await proxy.restore();
      }
      const login = await call(a, 'POST', '/auth/login', {
        body: { username: account.username, password: account.password },
      });
      expect(login.status).toBe(200);
      expect((await call(a, 'GET', '/health')).status).toBe(200);
    });

    it('refuses to start against a dead PostgreSQL port, saying why, instead of hanging', async () => {
      const dead = await spawnApp(
        PORT_C,
        {
          ...env,
          DATABASE_URL: `postgres://postgres@127.0.0.1:${DEAD_PORT}/x`,
        },
        { waitReady: false },
      );
      try {
        let code: number | null | undefined;
        void dead.exited.then((exitCode) => (code = exitCode));
        await until('the process to exit', () => code !== undefined, {
          timeoutMs: 30_000,
          intervalMs: 100,
        });
        expect(code).toBe(1);
        expect(dead.output()).toMatch(/ECONNREFUSED/);
      } finally {
        await dead.stop();
      }
    });
  },
);
