import type { Logger as DrizzleLogger } from 'drizzle-orm';
import type { DatabaseService } from 'src/database/database.service';
import type { PasswordService } from 'src/passwords/password.service';

/** Counts the password checks an app runs from now on, the dummy check for unknown names included. */
export function countVerifications(passwords: PasswordService): {
  readonly verifications: number;
} {
  const verify = jest.spyOn(passwords, 'verify');
  return {
    get verifications() {
      return verify.mock.calls.length;
    },
  };
}

interface DrizzleSession {
  logger: DrizzleLogger;
  options: { logger?: DrizzleLogger };
}

/**
 * Counts the queries an app sends from now on, as drizzle reports them to its logger: the session's logger is
 * watched, and transactions (which open sessions of their own from the same options) are given the same one.
 */
export function countQueries(database: DatabaseService): {
  readonly queryCount: number;
} {
  const { session } = database.db as unknown as { session: DrizzleSession };
  session.options.logger = session.logger;
  const logQuery = jest.spyOn(session.logger, 'logQuery');
  return {
    get queryCount() {
      return logQuery.mock.calls.length;
    },
  };
}
