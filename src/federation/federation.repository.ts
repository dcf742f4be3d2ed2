import { Inject, Injectable } from '@nestjs/common';
import { and, asc, eq, gt, isNull, lt, ne, sql } from 'drizzle-orm';
import { isUniqueViolation } from 'src/common/pg-errors';
import { DRIZZLE, type Database } from 'src/database/database.types';
import {
  federatedIdentities,
  oidcExchangeCodes,
  oidcFlows,
  users,
} from 'src/database/schema';

export interface FederatedIdentity {
  id: string;
  userId: string;
  provider: string;
  issuer: string;
  subject: string;
  email: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface OidcFlow {
  id: string;
  provider: string;
  bindingHash: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
  clientState: string | null;
  linkUserId: string | null;
  createdAt: Date;
  expiresAt: Date;
}

export interface ExchangeCode {
  codeHash: string;
  userId: string;
  provider: string;
  mfaTrusted: boolean;
  createdAt: Date;
  expiresAt: Date;
}

/** Sign-ins in progress, the one-time codes they end in, and the identities linked to accounts. */
@Injectable()
export class FederationRepository {
  constructor(@Inject(DRIZZLE) private readonly db: Database) {}

  async createFlow(flow: Omit<OidcFlow, 'id'>): Promise<string> {
    const [row] = await this.db
      .insert(oidcFlows)
      .values(flow)
      .returning({ id: oidcFlows.id });
    return row.id;
  }

  /** Deletes the flow and returns it if unexpired: the first callback spends it, whatever its outcome. */
  async takeFlow(id: string, now: Date): Promise<OidcFlow | undefined> {
    const [row] = await this.db
      .delete(oidcFlows)
      .where(eq(oidcFlows.id, id))
      .returning();
    return row && row.expiresAt > now ? row : undefined;
  }

  async createCode(code: ExchangeCode): Promise<void> {
    await this.db.insert(oidcExchangeCodes).values(code);
  }

  /** Marks the code used and returns it, once: a second exchange (or a racing one) finds nothing. */
  async spendCode(
    codeHash: string,
    now: Date,
  ): Promise<ExchangeCode | undefined> {
    const [row] = await this.db
      .update(oidcExchangeCodes)
      .set({ usedAt: now })
      .where(
        and(
          eq(oidcExchangeCodes.codeHash, codeHash),
          isNull(oidcExchangeCodes.usedAt),
          gt(oidcExchangeCodes.expiresAt, now),
        ),
      )
      .returning();
    return row;
  }

  async findIdentity(
    issuer: string,
    subject: string,
  ): Promise<FederatedIdentity | undefined> {
    const [row] = await this.db
      .select()
      .from(federatedIdentities)
      .where(
        and(
          eq(federatedIdentities.issuer, issuer),
          eq(federatedIdentities.subject, subject),
        ),
      )
      .limit(1);
    return row;
  }

  /** Undefined when (issuer, subject) is linked already (to anyone): one identity, one account. */
  async insertIdentity(
    identity: Omit<FederatedIdentity, 'id' | 'lastUsedAt'>,
  ): Promise<FederatedIdentity | undefined> {
    try {
      const [row] = await this.db
        .insert(federatedIdentities)
        .values(identity)
        .returning();
      return row;
    } catch (error) {
      if (isUniqueViolation(error)) return undefined;
      throw error;
    }
  }

  async recordUse(id: string, email: string | null, now: Date): Promise<void> {
    await this.db
      .update(federatedIdentities)
      .set({ lastUsedAt: now, email })
      .where(eq(federatedIdentities.id, id));
  }

  listOf(userId: string): Promise<FederatedIdentity[]> {
    return this.db
      .select()
      .from(federatedIdentities)
      .where(eq(federatedIdentities.userId, userId))
      .orderBy(asc(federatedIdentities.createdAt), asc(federatedIdentities.id));
  }

  /**
   * Unlinks the identity unless it is the account's last way to sign in (`keepsAnother` says whether a password
   * or a passkey remains). The owner's row is locked first, so two unlinks of an account's last two identities
   * run one after the other and the second sees it would leave none.
   */
  async deleteIdentity(
    userId: string,
    id: string,
    keepsAnother: boolean,
  ): Promise<'deleted' | 'not_found' | 'last'> {
    return this.db.transaction(async (tx) => {
      await tx
        .select({ id: users.id })
        .from(users)
        .where(eq(users.id, userId))
        .for('update');
      const [target] = await tx
        .select({ id: federatedIdentities.id })
        .from(federatedIdentities)
        .where(
          and(
            eq(federatedIdentities.id, id),
            eq(federatedIdentities.userId, userId),
          ),
        );
      if (!target) return 'not_found';
      if (!keepsAnother) {
        const [others] = await tx
          .select({ n: sql<number>`count(*)::int` })
          .from(federatedIdentities)
          .where(
            and(
              eq(federatedIdentities.userId, userId),
              ne(federatedIdentities.id, id),
            ),
          );
        if (others.n === 0) return 'last';
      }
      await tx
        .delete(federatedIdentities)
        .where(eq(federatedIdentities.id, id));
      return 'deleted';
    });
  }

  /** Flows and codes that stopped working before `before`. */
  async purge(before: Date): Promise<number> {
    const flows = await this.db
      .delete(oidcFlows)
      .where(lt(oidcFlows.expiresAt, before))
      .returning({ id: oidcFlows.id });
    const codes = await this.db
      .delete(oidcExchangeCodes)
      .where(lt(oidcExchangeCodes.expiresAt, before))
      .returning({ hash: oidcExchangeCodes.codeHash });
    return flows.length + codes.length;
  }
}
