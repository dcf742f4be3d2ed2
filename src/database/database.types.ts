import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type * as schema from './schema';

/**
 * One type for both drivers. PGlite's drizzle database has the same query-builder surface as node-postgres';
 * code that needs driver specifics goes through DatabaseService instead.
 */
export type Database = NodePgDatabase<typeof schema>;

export const DRIZZLE = Symbol('DRIZZLE');
