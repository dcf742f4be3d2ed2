import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import * as schema from './schema';
import type { Database } from './database.types';
import type { DatabaseHandle } from './database.service';

const MIGRATIONS_FOLDER = join(__dirname, 'migrations');
/** Any constant works; it only has to be the same for every Gatehouse instance sharing one database. */
const MIGRATION_LOCK_ID = 7_402_118_551;

export interface DatabaseOptions {
  url?: string;
  dataDir: string;
  poolMax: number;
}

/** Opens PGlite (no URL, or pglite://memory) or PostgreSQL (postgres://…) and applies the migrations. */
export async function openDatabase(
  options: DatabaseOptions,
): Promise<DatabaseHandle> {
  if (!options.url || options.url.startsWith('pglite://')) {
    const { PGlite } = await import('@electric-sql/pglite');
    const { drizzle } = await import('drizzle-orm/pglite');
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    let client: InstanceType<typeof PGlite>;
    if (options.url === 'pglite://memory') {
      client = new PGlite();
    } else {
      const dir = resolve(options.dataDir, 'pglite');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      client = new PGlite(dir);
    }
    await client.waitReady;
    const db = drizzle(client, { schema });
    await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
    return {
      db: db as unknown as Database,
      kind: 'pglite',
      close: () => client.close(),
    };
  }

  const { Pool } = await import('pg');
  const { drizzle } = await import('drizzle-orm/node-postgres');
  const { migrate } = await import('drizzle-orm/node-postgres/migrator');
  const pool = new Pool({
    connectionString: options.url,
    max: options.poolMax,
    connectionTimeoutMillis: 5_000,
  });
  // An idle client that loses its server must not crash the process; the next query reports the outage.
  pool.on('error', (error) =>
    new Logger('Database').warn(
      `idle PostgreSQL client error: ${error.message}`,
    ),
  );
  const db = drizzle(pool, { schema }) as Database;
  const lockClient = await pool.connect();
  try {
    // Several instances may start at once against one database; only one migrates at a time.
    await lockClient.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await lockClient
      .query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID])
      .catch(() => undefined);
    lockClient.release();
  }
  return {
    db,
    kind: 'postgres',
    close: () => pool.end(),
  };
}
