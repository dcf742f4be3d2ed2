import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { Client } from 'pg';
import { InvalidEnvironmentError, parseEnv } from 'src/config/env.schema';
import { DatabaseService } from 'src/database/database.service';
import { FirstAdminService } from 'src/users/first-admin.service';
import { createTestApp, newUser, type TestApp } from './helpers/test-app';
import { createTestDatabase, type TestDatabase } from './helpers/test-database';

// Each test starts the app or the built CLI more than once; jest.config's per-project testTimeout is not applied.
jest.setTimeout(120_000);

const FIRST = {
  username: 'first_admin',
  email: 'first-admin@example.com',
  password: 'first admin password, long',
};
const OTHER = {
  username: 'other_admin',
  email: 'other-admin@example.com',
  password: 'other admin password, long',
};
const envFor = (admin: typeof FIRST): Record<string, string> => ({
  ADMIN_USERNAME: admin.username,
  ADMIN_EMAIL: admin.email,
  ADMIN_PASSWORD: admin.password,
});

async function admins(t: TestApp): Promise<string[]> {
  const result = await t
    .get(DatabaseService)
    .db.execute(
      sql`select username from users where 'admin' = any(roles) order by username`,
    );
  return result.rows.map((row) => row.username as string);
}

async function loginStatus(
  t: TestApp,
  user: { username: string; password: string },
): Promise<number> {
  const res = await t
    .http()
    .post('/auth/login')
    .send({ username: user.username, password: user.password });
  return res.status;
}

/** A database that outlives one app: PostgreSQL when the suite runs on it, else PGlite on disk. */
async function persistentEnv(): Promise<{
  env: Record<string, string>;
  cleanup: () => Promise<void>;
}> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-first-admin-'));
  const database: TestDatabase | undefined = process.env.TEST_DATABASE_URL
    ? await createTestDatabase()
    : undefined;
  return {
    env: { DATA_DIR: dataDir, DATABASE_URL: database?.url ?? '' },
    cleanup: async () => {
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

describe('first admin (e2e)', () => {
  describe('environment', () => {
    const base = { NODE_ENV: 'test' } as NodeJS.ProcessEnv;

    it.each([
      [{ ADMIN_USERNAME: 'a_admin' }, ['ADMIN_EMAIL', 'ADMIN_PASSWORD']],
      [
        { ADMIN_USERNAME: 'a_admin', ADMIN_EMAIL: 'a@example.com' },
        ['ADMIN_PASSWORD'],
      ],
      [
        { ADMIN_PASSWORD: 'a password that is long' },
        ['ADMIN_USERNAME', 'ADMIN_EMAIL'],
      ],
    ])(
      'refuses a partial ADMIN_* set, naming each missing key (%o)',
      (partial, missing) => {
        let message = '';
        try {
          parseEnv({ ...base, ...partial });
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidEnvironmentError);
          message = (error as Error).message;
        }
        for (const key of missing) expect(message).toContain(`${key}:`);
        expect(message).not.toContain('a password that is long');
      },
    );

    it('treats empty ADMIN_* values as unset', () => {
      expect(() =>
        parseEnv({
          ...base,
          ADMIN_USERNAME: '',
          ADMIN_EMAIL: ' ',
          ADMIN_PASSWORD: '',
        }),
      ).not.toThrow();
    });

    it('refuses a bad username, email or short password without echoing the password', () => {
      const secret = 'short-pw';
      let message = '';
      try {
        parseEnv({
          ...base,
          ADMIN_USERNAME: 'no spaces allowed',
          ADMIN_EMAIL: 'not-an-email',
          ADMIN_PASSWORD: secret,
        });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/ADMIN_USERNAME:/);
      expect(message).toMatch(/ADMIN_EMAIL:/);
      expect(message).toMatch(/ADMIN_PASSWORD: must be between 12 and 128/);
      expect(message).not.toContain(secret);
    });

    it('holds ADMIN_PASSWORD to PASSWORD_MIN_LENGTH', () => {
      expect(() =>
        parseEnv({
          ...base,
          ...envFor(FIRST),
          PASSWORD_MIN_LENGTH: '40',
        }),
      ).toThrow(/ADMIN_PASSWORD: must be between 40 and 128/);
    });

    it('refuses to start the app on a partial set', async () => {
      await expect(
        createTestApp({ ADMIN_USERNAME: 'lonely_admin' }),
      ).rejects.toThrow(/ADMIN_EMAIL:.*ADMIN_PASSWORD:/);
    });
  });

  it('creates the admin at start; they can log in and administer users', async () => {
    const t = await createTestApp(envFor(FIRST));
    try {
      expect(await admins(t)).toEqual([FIRST.username]);
      const login = await t
        .http()
        .post('/auth/login')
        .send({ username: FIRST.email, password: FIRST.password })
        .expect(200);
      const me = await t
        .http()
        .get('/auth/me')
        .set('authorization', `Bearer ${login.body.access_token}`)
        .expect(200);
      expect(me.body).toMatchObject({
        username: FIRST.username,
        email: FIRST.email,
        roles: ['user', 'admin'],
        disabled: false,
      });
      await t
        .http()
        .get('/users')
        .set('authorization', `Bearer ${login.body.access_token}`)
        .expect(200);
    } finally {
      await t.close();
    }
  });

  it('creates no admin when ADMIN_* are unset', async () => {
    const t = await createTestApp();
    try {
      expect(await admins(t)).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('starting twice creates one admin, and different ADMIN_* on a later start change nothing', async () => {
    const { env, cleanup } = await persistentEnv();
    try {
      const first = await createTestApp({ ...env, ...envFor(FIRST) });
      await first.close();

      const again = await createTestApp({ ...env, ...envFor(FIRST) });
      try {
        expect(await admins(again)).toEqual([FIRST.username]);
      } finally {
        await again.close();
      }

      // Same username and email with another password, then entirely different values.
      const samePasswordChanged = {
        ...FIRST,
        password: 'a different password entirely',
      };
      for (const values of [samePasswordChanged, OTHER]) {
        const later = await createTestApp({ ...env, ...envFor(values) });
        try {
          expect(await admins(later)).toEqual([FIRST.username]);
          expect(await loginStatus(later, FIRST)).toBe(200);
          expect(await loginStatus(later, samePasswordChanged)).toBe(401);
          expect(await loginStatus(later, OTHER)).toBe(401);
        } finally {
          await later.close();
        }
      }
    } finally {
      await cleanup();
    }
  });

  it('never promotes an existing non-admin account that holds ADMIN_USERNAME', async () => {
    const { env, cleanup } = await persistentEnv();
    try {
      const squatter = { ...newUser(), username: FIRST.username };
      const plain = await createTestApp(env);
      try {
        await plain.http().post('/auth/register').send(squatter).expect(201);
      } finally {
        await plain.close();
      }
      const withAdmin = await createTestApp({ ...env, ...envFor(FIRST) });
      try {
        expect(await admins(withAdmin)).toEqual([]);
        const login = await withAdmin
          .http()
          .post('/auth/login')
          .send({ username: squatter.username, password: squatter.password })
          .expect(200);
        const me = await withAdmin
          .http()
          .get('/auth/me')
          .set('authorization', `Bearer ${login.body.access_token}`)
          .expect(200);
        expect(me.body.roles).toEqual(['user']);
        expect(await loginStatus(withAdmin, FIRST)).toBe(401);
      } finally {
        await withAdmin.close();
      }
    } finally {
      await cleanup();
    }
  });

  it('creates one admin when bootstraps race, even with different ADMIN_* values', async () => {
    const t = await createTestApp();
    try {
      const service = t.get(FirstAdminService);
      const results = await Promise.all(
        [FIRST, OTHER, FIRST, OTHER, FIRST].map((values) =>
          service.ensureFirstAdmin(values),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await admins(t)).toHaveLength(1);
    } finally {
      await t.close();
    }
  });

  describe('two instances on one PostgreSQL database', () => {
    const adminUrl =
      process.env.TEST_DATABASE_URL ||
      process.env.TEST_PG_URL ||
      'postgres://postgres@127.0.0.1:5432/test';
    let reachable = false;
    beforeAll(async () => {
      const client = new Client({
        connectionString: adminUrl,
        connectionTimeoutMillis: 2_000,
      });
      try {
        await client.connect();
        reachable = true;
      } catch (error) {
        process.stdout.write(
          `skipping the two-instance first-admin race: PostgreSQL at ${adminUrl} is unreachable (${(error as Error).message})\n`,
        );
      } finally {
        await client.end().catch(() => undefined);
      }
    });

    it('creates exactly one admin when both bootstrap at the same moment', async () => {
      if (!reachable) return;
      const saved = process.env.TEST_DATABASE_URL;
      process.env.TEST_DATABASE_URL = adminUrl;
      let database: TestDatabase | undefined;
      try {
        database = await createTestDatabase();
        // Both instances boot without ADMIN_* (createTestApp swaps process.env, so they cannot boot in parallel);
        // then both run the bootstrap step at once, each with its own pool.
        const a = await createTestApp({ DATABASE_URL: database.url });
        const b = await createTestApp({ DATABASE_URL: database.url });
        try {
          const results = await Promise.all([
            a.get(FirstAdminService).ensureFirstAdmin(FIRST),
            b.get(FirstAdminService).ensureFirstAdmin(OTHER),
            a.get(FirstAdminService).ensureFirstAdmin(OTHER),
            b.get(FirstAdminService).ensureFirstAdmin(FIRST),
          ]);
          expect(results.filter(Boolean)).toHaveLength(1);
          expect(await admins(a)).toHaveLength(1);
        } finally {
          await a.close();
          await b.close();
        }
      } finally {
        await database?.drop();
        if (saved === undefined) delete process.env.TEST_DATABASE_URL;
        else process.env.TEST_DATABASE_URL = saved;
      }
    });
  });
});
