import { Inject, Injectable } from '@nestjs/common';
import { eq, sql } from 'drizzle-orm';
import { DRIZZLE, type Database } from 'src/database/database.types';
import { refreshTokens, sessions } from 'src/database/schema';
import type { Session } from './session';
import { parseTextArray, type SessionOwnerRow, toOwner } from './session-rows';

/** What a refresh needs in one read: the token, its session and the owner's current standing. */
export interface RefreshTokenLookup {
  tokenId: string;
  consumedAt: Date | null;
  successor: string | null;
  session: Session;
  user: SessionOwnerRow & { disabled: boolean };
}

const date = (value: unknown): Date | null =>
  value === null || value === undefined ? null : new Date(value as string);

/** The refresh tokens of sessions: looked up by hash, rotated exactly once, their successors cleared. */
@Injectable()
export class RefreshTokensRepository {
  constructor(@Inject(DRIZZLE) private readonly db: Database) {}

  /**
   * Reads the token with its session and user. The owner is read here rather than through UsersService because
   * the refresh must see role and status in the same read (one query per refresh).
   */
  async findRefreshToken(
    tokenHash: string,
  ): Promise<RefreshTokenLookup | undefined> {
    const result = await this.db.execute(sql`
      select rt.id as token_id, rt.consumed_at, rt.successor,
             s.id, s.user_id, s.created_at, s.last_used_at, s.idle_expires_at, s.expires_at, s.revoked_at, s.user_agent, s.ip,
             s.amr, s.auth_time,
             u.username, u.roles, u.disabled, u.token_version,
             u.email_verified_at is not null as email_verified
      from refresh_tokens rt
      join sessions s on s.id = rt.session_id
      join users u on u.id = s.user_id
      where rt.token_hash = ${tokenHash}`);
    const row = result.rows[0];
    if (!row) return undefined;
    return {
      tokenId: row.token_id as string,
      consumedAt: date(row.consumed_at),
      successor: (row.successor as string | null) ?? null,
      session: {
        id: row.id as string,
        userId: row.user_id as string,
        createdAt: date(row.created_at) as Date,
        lastUsedAt: date(row.last_used_at) as Date,
        idleExpiresAt: date(row.idle_expires_at) as Date,
        expiresAt: date(row.expires_at) as Date,
        revokedAt: date(row.revoked_at),
        userAgent: (row.user_agent as string | null) ?? null,
        ip: (row.ip as string | null) ?? null,
        amr: parseTextArray(row.amr),
        authTime: date(row.auth_time) as Date,
      },
      user: {
        ...toOwner(row.user_id as string, row),
        disabled: row.disabled === true || row.disabled === 't',
      },
    };
  }

  /**
   * Consumes the token and inserts its successor atomically: the conditional UPDATE lets exactly one of any
   * number of concurrent rotations win; the losers get no row back. It rotates only while the owner is enabled
   * and still at the token version the new pair was signed with (share-locked, as at session creation), so a
   * refresh in flight cannot outlive a disable or hand out roles a change has just replaced. Returns false when
   * this call lost the race, the session ended or the owner changed meanwhile.
   */
  async rotate(input: {
    tokenId: string;
    userId: string;
    tokenVersion: number;
    sealedSuccessor: string;
    newTokenHash: string;
    now: Date;
    idleExpiresAt: Date;
  }): Promise<boolean> {
    const now = input.now.toISOString();
    const result = await this.db.execute(sql`
      with owner as (
        select id from users
        where id = ${input.userId} and not disabled and token_version = ${input.tokenVersion}
        for share
      ), consumed as (
        update refresh_tokens set consumed_at = ${now}, successor = ${input.sealedSuccessor}
        where id = ${input.tokenId} and consumed_at is null and exists (select 1 from owner)
        returning session_id
      ), touched as (
        update sessions set last_used_at = ${now}, idle_expires_at = ${input.idleExpiresAt.toISOString()}
        where id in (select session_id from consumed) and revoked_at is null
        returning id
      )
      insert into refresh_tokens (session_id, token_hash, created_at)
      select id, ${input.newTokenHash}, ${now} from touched
      returning id`);
    return result.rows.length === 1;
  }

  /** A token's state re-read after a lost rotation, with whether its session ended meanwhile. */
  async findTokenState(tokenId: string): Promise<
    | {
        consumedAt: Date | null;
        successor: string | null;
        sessionRevokedAt: Date | null;
      }
    | undefined
  > {
    const [row] = await this.db
      .select({
        consumedAt: refreshTokens.consumedAt,
        successor: refreshTokens.successor,
        sessionRevokedAt: sessions.revokedAt,
      })
      .from(refreshTokens)
      .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
      .where(eq(refreshTokens.id, tokenId));
    return row;
  }

  /**
   * Drops rotation successors once the grace window is over: after that they are never read again. Batches are
   * read through the partial index refresh_tokens_successor_consumed_at_idx, which holds only tokens that still
   * have a successor, so a batch never walks the table.
   */
  async clearOldSuccessors(
    consumedBefore: Date,
    batchSize: number,
  ): Promise<number> {
    const result = await this.db.execute(sql`
      update refresh_tokens set successor = null where id = any(array(
        select id from refresh_tokens
        where successor is not null and consumed_at < ${consumedBefore.toISOString()}
        order by consumed_at
        limit ${batchSize}))
      returning id`);
    return result.rows.length;
  }
}
