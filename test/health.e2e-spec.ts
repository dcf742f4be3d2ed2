import { sql } from 'drizzle-orm';
import Redis from 'ioredis';
import { DatabaseService } from 'src/database/database.service';
import { createTestApp, type TestApp } from './helpers/test-app';

describe('GET /health (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 200 without a token while the database answers', async () => {
    const res = await t.http().get('/health').expect(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up', driver: t.database.kind } },
    });
  });

  it('answers 503 as a problem once the database is gone, and logins fail with 503 too', async () => {
    // Closing the connection the app holds is what a database outage looks like from inside.
    await t.get(DatabaseService).onApplicationShutdown();

    const res = await t.http().get('/health').expect(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({
      status: 503,
      code: 'SERVICE_UNAVAILABLE',
      detail: expect.stringMatching(/database/i),
    });
    expect(res.text).not.toMatch(/\bat \S+ \(|node_modules|closed/i);

    const login = await t
      .http()
      .post('/auth/login')
      .send({ username: 'anyone', password: 'whatever password' });
    expect(login.status).toBe(503);
    expect(login.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });
});

describe('GET /health/live and /health/ready (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers liveness without checking anything', async () => {
    const res = await t.http().get('/health/live').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', info: {} });
  });

  it('answers readiness with the database and the applied migrations, and /health is the same check', async () => {
    const ready = await t.http().get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      info: {
        database: { status: 'up', driver: t.database.kind },
        migrations: {
          status: 'up',
          applied: expect.any(Number),
          expected: expect.any(Number),
        },
      },
    });
    expect(ready.body.info.migrations.applied).toBe(
      ready.body.info.migrations.expected,
    );
    // No REDIS_URL: Redis is not part of readiness.
    expect(ready.body.info.redis).toBeUndefined();
    const alias = await t.http().get('/health').expect(200);
    expect(Object.keys(alias.body.info)).toEqual(Object.keys(ready.body.info));
  });

  it('is not ready while a migration is missing, but stays live', async () => {
    const db = t.get(DatabaseService).db;
    await db.execute(
      sql`delete from drizzle.__drizzle_migrations where id = (select max(id) from drizzle.__drizzle_migrations)`,
    );
    const res = await t.http().get('/health/ready').expect(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      detail: expect.stringMatching(/migrations/),
    });
    expect(res.body.detail).not.toMatch(/database/);
    await t.http().get('/health').expect(503);
    await t.http().get('/health/live').expect(200);
  });
});

describe('readiness with Redis configured (e2e)', () => {
  it('is not ready while the configured Redis is unreachable, but stays live', async () => {
    // Nothing listens on this port (the range reserved for this suite).
    const t = await createTestApp({ REDIS_URL: 'redis://127.0.0.1:4899' });
    try {
      const res = await t.http().get('/health/ready').expect(503);
      expect(res.body).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        detail: expect.stringMatching(/redis/),
      });
      await t.http().get('/health/live').expect(200);
    } finally {
      await t.close();
    }
  });

  it('reports Redis up when it answers', async () => {
    const url = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
    const probe = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    try {
      await probe.connect();
      await probe.ping();
    } catch (error) {
      console.warn(
        `skipping: Redis at ${url} is unreachable (${(error as Error).message})`,
      );
      probe.disconnect();
      return;
    }
    probe.disconnect();
    const t = await createTestApp({ REDIS_URL: url });
    try {
      const res = await t.http().get('/health/ready').expect(200);
      expect(res.body.info.redis).toEqual({ status: 'up' });
    } finally {
      await t.close();
    }
  });
});
