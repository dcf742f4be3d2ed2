import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * The e2e suite runs on in-memory PGlite by default. With TEST_DATABASE_URL set it runs against PostgreSQL,
 * each test file in a database of its own that is dropped afterwards.
 */
export interface TestDatabase {
  url: string;
  kind: 'pglite' | 'postgres';
  drop: () => Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl)
    return {
      url: 'pglite://memory',
      kind: 'pglite',
      drop: () => Promise.resolve(),
    };
  const name = `gatehouse_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    kind: 'postgres',
    drop: async () => {
      const client = new Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}
