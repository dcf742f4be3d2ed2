import { Inject, Injectable } from '@nestjs/common';
import {
  and,
  count,
  eq,
  gt,
  isNotNull,
  isNull,
  lt,
  or,
  sql,
} from 'drizzle-orm';
import { DRIZZLE, type Database } from 'src/database/database.types';
import { mfaChallenges, recoveryCodes, users } from 'src/database/schema';

export interface LiveChallenge {
  id: string;
  userId: string;
  ip: string | null;
  userAgent: string | null;
  /** How the login proved its first factor: pwd (a password) or fed (an external provider). */
  firstFactor: 'pwd' | 'fed';
}

/**
 * The second factor's state: the TOTP columns of the user row, the recovery codes and the login challenges. Every
 * spend (a time step, a recovery code, a challenge) is one conditional UPDATE, so two requests racing with the
 * same code or challenge get one success between them.
 */
@Injectable()
export class MfaRepository {
  constructor(@Inject(DRIZZLE) private readonly db: Database) {}

  async setPending(
    userId: string,
    sealed: string,
    now: Date,
  ): Promise<boolean> {
    const rows = await this.db
      .update(users)
      .set({ totpPendingSecret: sealed, updatedAt: now })
      .where(and(eq(users.id, userId), isNull(users.totpEnabledAt)))
      .returning({ id: users.id });
    return rows.length === 1;
  }

  async findTotp(
    userId: string,
  ): Promise<
    | { secret: string | null; pending: string | null; enabled: boolean }
    | undefined
  > {
    const [row] = await this.db
      .select({
        secret: users.totpSecret,
        pending: users.totpPendingSecret,
        enabledAt: users.totpEnabledAt,
      })
      .from(users)
      .where(eq(users.id, userId))
      .limit(1);
    return (
      row && {
        secret: row.secret,
        pending: row.pending,
        enabled: row.enabledAt !== null,
      }
    );
  }

  /**
   * Turns the pending secret on (only if it is still the one the code was checked against and nothing is on yet),
   * records the code's step as used, stores the recovery codes and raises the token version, in one transaction.
   * Returns the new token version, or undefined when another request changed the enrolment first.
   */
  async enable(input: {
    userId: string;
    sealed: string;
    step: number;
    codeHashes: string[];
    now: Date;
  }): Promise<number | undefined> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .update(users)
        .set({
          totpSecret: input.sealed,
          totpPendingSecret: null,
          totpEnabledAt: input.now,
          totpLastStep: input.step,
          tokenVersion: sql`${users.tokenVersion} + 1`,
          updatedAt: input.now,
        })
        .where(
          and(
            eq(users.id, input.userId),
            isNull(users.totpEnabledAt),
            eq(users.totpPendingSecret, input.sealed),
          ),
        )
        .returning({ tokenVersion: users.tokenVersion });
      if (!row) return undefined;
      await tx
        .delete(recoveryCodes)
        .where(eq(recoveryCodes.userId, input.userId));
      await tx.insert(recoveryCodes).values(
        input.codeHashes.map((codeHash) => ({
          userId: input.userId,
          codeHash,
          createdAt: input.now,
        })),
      );
      return row.tokenVersion;
    });
  }

  /** Replaces every recovery code of a user with a second factor; false when none is on. */
  async replaceRecoveryCodes(
    userId: string,
    codeHashes: string[],
    now: Date,
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const [owner] = await tx
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.id, userId), isNotNull(users.totpEnabledAt)))
        .for('update');
      if (!owner) return false;
      await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
      await tx
        .insert(recoveryCodes)
        .values(
          codeHashes.map((codeHash) => ({ userId, codeHash, createdAt: now })),
        );
      return true;
    });
  }

  /**
   * Turns the second factor off: secret, pending secret, recovery codes and open challenges go. Returns whether it
   * was on (undefined for an unknown user).
   */
  async disable(userId: string, now: Date): Promise<boolean | undefined> {
    return this.db.transaction(async (tx) => {
      const [before] = await tx
        .select({ enabledAt: users.totpEnabledAt })
        .from(users)
        .where(eq(users.id, userId))
        .for('update');
      if (!before) return undefined;
      await tx
        .update(users)
        .set({
          totpSecret: null,
          totpPendingSecret: null,
          totpEnabledAt: null,
          totpLastStep: null,
          updatedAt: now,
        })
        .where(eq(users.id, userId));
      await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
      await tx.delete(mfaChallenges).where(eq(mfaChallenges.userId, userId));
      return before.enabledAt !== null;
    });
  }

  /**
   * Records `step` as used if it is later than every step used before: a code, once accepted, is refused for that
   * user however often it is replayed, and so is any code of an earlier step.
   */
  async useStep(userId: string, step: number): Promise<boolean> {
    const rows = await this.db
      .update(users)
      .set({ totpLastStep: step })
      .where(
        and(
          eq(users.id, userId),
          isNotNull(users.totpEnabledAt),
          or(isNull(users.totpLastStep), lt(users.totpLastStep, step)),
        ),
      )
      .returning({ id: users.id });
    return rows.length === 1;
  }

  /** Spends a recovery code; returns how many unused ones remain, or undefined when it was unknown or spent. */
  async useRecoveryCode(
    userId: string,
    codeHash: string,
    now: Date,
  ): Promise<number | undefined> {
    const used = await this.db
      .update(recoveryCodes)
      .set({ usedAt: now })
      .where(
        and(
          eq(recoveryCodes.userId, userId),
          eq(recoveryCodes.codeHash, codeHash),
          isNull(recoveryCodes.usedAt),
        ),
      )
      .returning({ id: recoveryCodes.id });
    if (used.length === 0) return undefined;
    const [{ remaining }] = await this.db
      .select({ remaining: count() })
      .from(recoveryCodes)
      .where(
        and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)),
      );
    return Number(remaining);
  }

  async createChallenge(challenge: {
    userId: string;
    tokenHash: string;
    ip: string | null;
    userAgent: string | null;
    createdAt: Date;
    expiresAt: Date;
    firstFactor: 'pwd' | 'fed';
  }): Promise<void> {
    await this.db.insert(mfaChallenges).values(challenge);
  }

  async findLiveChallenge(
    tokenHash: string,
    now: Date,
    maxAttempts: number,
  ): Promise<LiveChallenge | undefined> {
    const [row] = await this.db
      .select({
        id: mfaChallenges.id,
        userId: mfaChallenges.userId,
        ip: mfaChallenges.ip,
        userAgent: mfaChallenges.userAgent,
        firstFactor: mfaChallenges.firstFactor,
      })
      .from(mfaChallenges)
      .where(
        and(
          eq(mfaChallenges.tokenHash, tokenHash),
          isNull(mfaChallenges.usedAt),
          gt(mfaChallenges.expiresAt, now),
          lt(mfaChallenges.attempts, maxAttempts),
        ),
      )
      .limit(1);
    return row;
  }

  /**
   * Takes one of the challenge's attempts before its code is checked, so a burst of guesses checks at most
   * `maxAttempts` codes. Returns the attempts used so far, or undefined when none was left.
   */
  async reserveAttempt(
    id: string,
    now: Date,
    maxAttempts: number,
  ): Promise<number | undefined> {
    const [row] = await this.db
      .update(mfaChallenges)
      .set({ attempts: sql`${mfaChallenges.attempts} + 1` })
      .where(
        and(
          eq(mfaChallenges.id, id),
          isNull(mfaChallenges.usedAt),
          gt(mfaChallenges.expiresAt, now),
          lt(mfaChallenges.attempts, maxAttempts),
        ),
      )
      .returning({ attempts: mfaChallenges.attempts });
    return row?.attempts;
  }

  /** Spends the challenge; false when another request spent it first. */
  async completeChallenge(id: string, now: Date): Promise<boolean> {
    const rows = await this.db
      .update(mfaChallenges)
      .set({ usedAt: now })
      .where(and(eq(mfaChallenges.id, id), isNull(mfaChallenges.usedAt)))
      .returning({ id: mfaChallenges.id });
    return rows.length === 1;
  }

  async deleteChallenge(id: string): Promise<void> {
    await this.db.delete(mfaChallenges).where(eq(mfaChallenges.id, id));
  }

  /** Open challenges of a user die with a password change or reset: they were opened with the old password. */
  async deleteChallengesOf(userId: string): Promise<void> {
    await this.db.delete(mfaChallenges).where(eq(mfaChallenges.userId, userId));
  }

  /** Challenges past their end, in bounded batches (the session purge's rhythm). */
  async purgeChallenges(before: Date): Promise<number> {
    const rows = await this.db
      .delete(mfaChallenges)
      .where(lt(mfaChallenges.expiresAt, before))
      .returning({ id: mfaChallenges.id });
    return rows.length;
  }
}
