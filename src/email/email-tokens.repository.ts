import { Inject, Injectable } from '@nestjs/common';
import { and, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import { isUniqueViolation } from 'src/common/pg-errors';
import {
  DRIZZLE,
  type Database,
  type DbExecutor,
} from 'src/database/database.types';
import { emailTokens, users } from 'src/database/schema';
import type { EmailTokenPurpose } from './email-token';

export interface UsableEmailToken {
  id: string;
  userId: string;
  /** The address the token was sent to. */
  email: string;
}

/** The account a spent token acted on, as the change left it. */
export interface TokenAccount {
  username: string;
  email: string;
  /** Whether the address was already verified before this change. */
  wasVerified: boolean;
}

/**
 * Mail tokens, and the changes to the user row they authorise. A token is spent and its change applied in one
 * transaction (the caller's), so a change that fails leaves the token usable, and two requests racing with one
 * token get one change between them: the claim is a conditional UPDATE, and only one of them finds the row unused.
 * The user-row writes live here rather than in users/ because they must share that transaction.
 */
@Injectable()
export class EmailTokensRepository {
  constructor(@Inject(DRIZZLE) private readonly db: Database) {}

  transaction<T>(work: (tx: DbExecutor) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  async insert(
    tx: DbExecutor,
    token: {
      userId: string;
      purpose: EmailTokenPurpose;
      tokenHash: string;
      email: string;
      createdAt: Date;
      expiresAt: Date;
    },
  ): Promise<void> {
    await tx.insert(emailTokens).values(token);
  }

  /** One indexed lookup of the hash: a guess costs what a check costs. */
  async findUsable(
    tokenHash: string,
    purpose: EmailTokenPurpose,
    now: Date,
  ): Promise<UsableEmailToken | undefined> {
    const [row] = await this.db
      .select({
        id: emailTokens.id,
        userId: emailTokens.userId,
        email: emailTokens.email,
      })
      .from(emailTokens)
      .where(
        and(
          eq(emailTokens.tokenHash, tokenHash),
          eq(emailTokens.purpose, purpose),
          isNull(emailTokens.usedAt),
          gt(emailTokens.expiresAt, now),
        ),
      )
      .limit(1);
    return row;
  }

  /** Spends the token if it is still unused and unexpired; false when another request spent it first. */
  async claim(tx: DbExecutor, id: string, now: Date): Promise<boolean> {
    const rows = await tx
      .update(emailTokens)
      .set({ usedAt: now })
      .where(
        and(
          eq(emailTokens.id, id),
          isNull(emailTokens.usedAt),
          gt(emailTokens.expiresAt, now),
        ),
      )
      .returning({ id: emailTokens.id });
    return rows.length === 1;
  }

  /** Deletes tokens that expired or were spent before `before`; returns how many. */
  async purgeBefore(before: Date): Promise<number> {
    const rows = await this.db
      .delete(emailTokens)
      .where(
        or(lt(emailTokens.expiresAt, before), lt(emailTokens.usedAt, before)),
      )
      .returning({ id: emailTokens.id });
    return rows.length;
  }

  /** Voids the user's unused tokens (all purposes, or the ones named). */
  async voidPending(
    tx: DbExecutor,
    userId: string,
    now: Date,
    purpose?: EmailTokenPurpose,
  ): Promise<void> {
    await tx
      .update(emailTokens)
      .set({ usedAt: now })
      .where(
        and(
          eq(emailTokens.userId, userId),
          isNull(emailTokens.usedAt),
          purpose ? eq(emailTokens.purpose, purpose) : undefined,
        ),
      );
  }

  /**
   * Sets the new password of an enabled account; the address counts as verified when it is still the one the
   * link was sent to. Undefined when the account is gone or disabled (the caller then rolls back).
   */
  async resetPassword(
    tx: DbExecutor,
    userId: string,
    passwordHash: string,
    sentTo: string,
    now: Date,
  ): Promise<TokenAccount | undefined> {
    const rows = await tx.execute(sql`
      update ${users} as u set
        password_hash = ${passwordHash},
        email_verified_at = case
          when lower(u.email) = ${sentTo.toLowerCase()} then coalesce(u.email_verified_at, ${now})
          else u.email_verified_at end,
        updated_at = ${now}
      from (select email_verified_at from ${users} where id = ${userId} for update) as before
      where u.id = ${userId} and not u.disabled
      returning u.username, u.email, before.email_verified_at is not null as was_verified`);
    return toAccount(rows.rows[0]);
  }

  /** Marks the address verified if it is still the account's address; undefined otherwise (or disabled, or gone). */
  async markVerified(
    tx: DbExecutor,
    userId: string,
    sentTo: string,
    now: Date,
  ): Promise<TokenAccount | undefined> {
    const rows = await tx.execute(sql`
      update ${users} as u set
        email_verified_at = coalesce(u.email_verified_at, ${now}),
        updated_at = ${now}
      from (select email_verified_at from ${users} where id = ${userId} for update) as before
      where u.id = ${userId} and not u.disabled and lower(u.email) = ${sentTo.toLowerCase()}
      returning u.username, u.email, before.email_verified_at is not null as was_verified`);
    return toAccount(rows.rows[0]);
  }

  /**
   * Moves the account to the confirmed address, verified. 'taken' when another account holds it now (the unique
   * index decides, so a registration racing this confirmation cannot end with two owners); the caller then
   * throws, which rolls the transaction back and leaves the token unspent.
   */
  async changeEmail(
    tx: DbExecutor,
    userId: string,
    newEmail: string,
    now: Date,
  ): Promise<TokenAccount | 'taken' | undefined> {
    try {
      const rows = await tx.execute(sql`
        update ${users} set email = ${newEmail}, email_verified_at = ${now}, updated_at = ${now}
        where id = ${userId} and not disabled
        returning username, email, false as was_verified`);
      return toAccount(rows.rows[0]);
    } catch (error) {
      if (isUniqueViolation(error)) return 'taken';
      throw error;
    }
  }
}

function toAccount(
  row: Record<string, unknown> | undefined,
): TokenAccount | undefined {
  return (
    row && {
      username: row.username as string,
      email: row.email as string,
      wasVerified: row.was_verified === true || row.was_verified === 't',
    }
  );
}
