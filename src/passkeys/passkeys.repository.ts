import { Inject, Injectable } from '@nestjs/common';
import { and, asc, eq, lt } from 'drizzle-orm';
import { isUniqueViolation } from 'src/common/pg-errors';
import { DRIZZLE, type Database } from 'src/database/database.types';
import { passkeys, webauthnCeremonies } from 'src/database/schema';

export type CeremonyKind = 'registration' | 'authentication' | 'second_factor';

export interface StoredPasskey {
  id: string;
  userId: string;
  credentialId: string;
  publicKey: string;
  counter: number;
  transports: string[];
  backedUp: boolean;
  deviceType: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export type NewPasskey = Omit<StoredPasskey, 'id' | 'lastUsedAt'>;

/** Passkeys and the WebAuthn ceremonies in progress. */
@Injectable()
export class PasskeysRepository {
  constructor(@Inject(DRIZZLE) private readonly db: Database) {}

  async createCeremony(ceremony: {
    kind: CeremonyKind;
    userId: string | null;
    challenge: string;
    createdAt: Date;
    expiresAt: Date;
  }): Promise<string> {
    const [row] = await this.db
      .insert(webauthnCeremonies)
      .values(ceremony)
      .returning({ id: webauthnCeremonies.id });
    return row.id;
  }

  /**
   * Deletes the ceremony and returns it if it was of this kind and unexpired: the first verify attempt spends it,
   * whatever its outcome, so a replayed response finds nothing.
   */
  async takeCeremony(
    id: string,
    kind: CeremonyKind,
    now: Date,
  ): Promise<{ userId: string | null; challenge: string } | undefined> {
    const [row] = await this.db
      .delete(webauthnCeremonies)
      .where(eq(webauthnCeremonies.id, id))
      .returning({
        kind: webauthnCeremonies.kind,
        userId: webauthnCeremonies.userId,
        challenge: webauthnCeremonies.challenge,
        expiresAt: webauthnCeremonies.expiresAt,
      });
    if (!row || row.kind !== kind || row.expiresAt <= now) return undefined;
    return { userId: row.userId, challenge: row.challenge };
  }

  async purgeCeremonies(before: Date): Promise<number> {
    const rows = await this.db
      .delete(webauthnCeremonies)
      .where(lt(webauthnCeremonies.expiresAt, before))
      .returning({ id: webauthnCeremonies.id });
    return rows.length;
  }

  /** Undefined when the credential is registered already (to anyone). */
  async insert(passkey: NewPasskey): Promise<StoredPasskey | undefined> {
    try {
      const [row] = await this.db.insert(passkeys).values(passkey).returning();
      return row;
    } catch (error) {
      if (isUniqueViolation(error)) return undefined;
      throw error;
    }
  }

  async findByCredentialId(
    credentialId: string,
  ): Promise<StoredPasskey | undefined> {
    const [row] = await this.db
      .select()
      .from(passkeys)
      .where(eq(passkeys.credentialId, credentialId))
      .limit(1);
    return row;
  }

  listOf(userId: string): Promise<StoredPasskey[]> {
    return this.db
      .select()
      .from(passkeys)
      .where(eq(passkeys.userId, userId))
      .orderBy(asc(passkeys.createdAt), asc(passkeys.id));
  }

  async rename(
    userId: string,
    id: string,
    name: string,
  ): Promise<StoredPasskey | undefined> {
    const [row] = await this.db
      .update(passkeys)
      .set({ name })
      .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)))
      .returning();
    return row;
  }

  async delete(userId: string, id: string): Promise<boolean> {
    const rows = await this.db
      .delete(passkeys)
      .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)))
      .returning({ id: passkeys.id });
    return rows.length === 1;
  }

  /**
   * Records a use: the new counter only if the stored one is still the one the assertion was checked against, so two
   * requests racing with one credential cannot both pass the counter rule.
   */
  async recordUse(
    id: string,
    storedCounter: number,
    newCounter: number,
    now: Date,
  ): Promise<boolean> {
    const rows = await this.db
      .update(passkeys)
      .set({ counter: newCounter, lastUsedAt: now })
      .where(and(eq(passkeys.id, id), eq(passkeys.counter, storedCounter)))
      .returning({ id: passkeys.id });
    return rows.length === 1;
  }
}
