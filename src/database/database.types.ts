import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type * as schema from './schema';

/**
 * One type for both drivers. PGlite's drizzle database has the same query-builder surface as node-postgres';
 * code that needs driver specifics goes through DatabaseService instead.
 */
export type Database = NodePgDatabase<typeof schema>;

export const DRIZZLE = Symbol('DRIZZLE');

/** The database or a transaction on it: what a repository method that can run inside a caller's transaction takes. */
export type DbExecutor = Pick<
  Database,
  'select' | 'insert' | 'update' | 'delete' | 'execute'
>;
