import { Inject, Injectable } from '@nestjs/common';
import { gt, lt, sql } from 'drizzle-orm';
import { DRIZZLE, type Database } from 'src/database/database.types';
import { revocations } from 'src/database/schema';

export type RevocationKind = 'session' | 'user';

export interface RevocationEntry {
  kind: RevocationKind;
  subjectId: string;
  /** When the revocation was made. */
  notBefore: Date;
  /** For `user`: tokens signed with a lower token version are void. */
  minTokenVersion?: number | null;
  keepUntil: Date;
}

@Injectable()
export class RevocationsRepository {
  constructor(@Inject(DRIZZLE) private readonly db: Database) {}

  async upsert(entries: RevocationEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.db
      .insert(revocations)
      .values(entries)
      .onConflictDoUpdate({
        target: [revocations.kind, revocations.subjectId],
        set: {
          notBefore: sql`greatest(${revocations.notBefore}, excluded.not_before)`,
          minTokenVersion: sql`greatest(${revocations.minTokenVersion}, excluded.min_token_version)`,
          keepUntil: sql`greatest(${revocations.keepUntil}, excluded.keep_until)`,
        },
      });
  }

  async findLive(now: Date): Promise<RevocationEntry[]> {
    return this.db
      .select()
      .from(revocations)
      .where(gt(revocations.keepUntil, now));
  }

  /**
   * Deletes up to `batchSize` expired entries, found in keep_until order through its index and deleted by row
   * address (ctid): with `(kind, subject_id) in (…)` PostgreSQL hash-joined against a Seq Scan of the whole table
   * for every batch. A row changed meanwhile (its keep_until pushed out) has a new address and is left alone.
   */
  async purgeExpired(now: Date, batchSize: number): Promise<number> {
    const rows = await this.db
      .delete(revocations)
      .where(
        sql`ctid = any(array(select ctid from ${revocations} where ${lt(revocations.keepUntil, now)} order by ${revocations.keepUntil} limit ${batchSize}))`,
      )
      .returning({ id: revocations.subjectId });
    return rows.length;
  }
}
