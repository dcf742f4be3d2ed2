import { Inject, Injectable } from '@nestjs/common';
import { and, count, gt, isNull } from 'drizzle-orm';
import { DRIZZLE, type Database } from 'src/database/database.types';
import { sessions } from 'src/database/schema';

/**
 * One read-only aggregate over the sessions table for the active-sessions gauge. It lives here rather than in
 * the sessions feature so that metrics need nothing from it; it never writes.
 */
@Injectable()
export class ActiveSessionsRepository {
  constructor(@Inject(DRIZZLE) private readonly db: Database) {}

  async countLive(now: Date): Promise<number> {
    const [row] = await this.db
      .select({ n: count() })
      .from(sessions)
      .where(
        and(
          isNull(sessions.revokedAt),
          gt(sessions.expiresAt, now),
          gt(sessions.idleExpiresAt, now),
        ),
      );
    return row?.n ?? 0;
  }
}
