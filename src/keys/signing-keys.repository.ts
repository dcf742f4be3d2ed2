import { Inject, Injectable } from '@nestjs/common';
import { and, eq, gt, inArray } from 'drizzle-orm';
import { DRIZZLE, type Database } from 'src/database/database.types';
import { signingKeys, type SigningKeyRow } from 'src/database/schema';

export type NewSigningKeyRow = typeof signingKeys.$inferInsert;
export type { SigningKeyRow };

@Injectable()
export class SigningKeysRepository {
  constructor(@Inject(DRIZZLE) private readonly db: Database) {}

  listAll(): Promise<SigningKeyRow[]> {
    return this.db.select().from(signingKeys);
  }

  /**
   * Inserts a key unless another one already succeeds the same key (or, for the first key, unless one exists).
   * The unique index decides: of several instances rotating at once, exactly one insert returns true.
   */
  async insertSuccessor(row: NewSigningKeyRow): Promise<boolean> {
    const inserted = await this.db
      .insert(signingKeys)
      .values(row)
      .onConflictDoNothing()
      .returning({ kid: signingKeys.kid });
    return inserted.length === 1;
  }

  /** Makes a published key sign from `now`; false when it already activated. */
  async activateNow(kid: string, now: Date): Promise<boolean> {
    const rows = await this.db
      .update(signingKeys)
      .set({ activatesAt: now })
      .where(and(eq(signingKeys.kid, kid), gt(signingKeys.activatesAt, now)))
      .returning({ kid: signingKeys.kid });
    return rows.length === 1;
  }

  async deleteKeys(kids: string[]): Promise<void> {
    if (kids.length === 0) return;
    await this.db.delete(signingKeys).where(inArray(signingKeys.kid, kids));
  }
}
