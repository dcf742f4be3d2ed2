import { randomUUID } from 'node:crypto';
import { openDatabase } from 'src/database/database.factory';
import type { DatabaseHandle } from 'src/database/database.service';
import type { Database } from 'src/database/database.types';
import { users } from 'src/database/schema';

/**
 * A repository spec's database: one in-memory PGlite with the project's migrations for the whole file (PGlite takes
 * seconds to start), opened in a beforeAll registered here and closed after the file. Call the answer in a later
 * beforeAll or in a test.
 */
export function useMemoryDatabase(): () => Database {
  let handle: DatabaseHandle | undefined;
  beforeAll(async () => {
    handle = await openDatabase({
      url: 'pglite://memory',
      dataDir: '',
      poolMax: 1,
    });
  }, 60_000);
  afterAll(() => handle?.close());
  return () => {
    if (!handle) throw new Error('the memory database opens in beforeAll');
    return handle.db;
  };
}

/** A user of the test's own, with any further columns given (TOTP state and the like); answers its id. */
export async function insertUser(
  db: Database,
  values: Partial<typeof users.$inferInsert> = {},
): Promise<string> {
  const [row] = await db
    .insert(users)
    .values({ username: `user-${randomUUID()}`, ...values })
    .returning({ id: users.id });
  return row.id;
}
