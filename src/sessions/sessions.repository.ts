import { Inject, Injectable } from '@nestjs/common';
import { and, desc, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import { DRIZZLE, type Database } from 'src/database/database.types';
import { refreshTokens, sessions, type SessionRow } from 'src/database/schema';
import type { Session } from './session';

/** What a refresh needs in one read: the token, its session and the owner's current standing. */
export interface RefreshTokenLookup {
  tokenId: string;
  consumedAt: Date | null;
  successor: string | null;
  session: Session;
  user: { id: string; username: string; roles: string[]; disabled: boolean };
}

function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    userId: row.userId,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    idleExpiresAt: row.idleExpiresAt,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
    userAgent: row.userAgent,
    ip: row.ip,
  };
}

const date = (value: unknown): Date | null =>
  value === null || value === undefined ? null : new Date(value as string);

@Injectable()
export class SessionsRepository {
  constructor(@Inject(DRIZZLE) private readonly db: Database) {}

  /** Creates the session and its first refresh token in one statement. */
  async createWithToken(session: Session, tokenHash: string): Promise<void> {
    await this.db.execute(sql`
      with created as (
        insert into ${sessions} (id, user_id, created_at, last_used_at, idle_expires_at, expires_at, user_agent, ip)
        values (${session.id}, ${session.userId}, ${session.createdAt.toISOString()}, ${session.lastUsedAt.toISOString()},
                ${session.idleExpiresAt.toISOString()}, ${session.expiresAt.toISOString()}, ${session.userAgent}, ${session.ip})
        returning id
      )
      insert into ${refreshTokens} (session_id, token_hash, created_at)
      select id, ${tokenHash}, ${session.createdAt.toISOString()} from created`);
  }

  /**
   * Reads the token with its session and user. Users are read here rather than through UsersService because
   * the refresh must see role and status in the same read (one query per refresh), and UsersModule depends on
   * this module to end sessions.
   */
  async findRefreshToken(
    tokenHash: string,
  ): Promise<RefreshTokenLookup | undefined> {
    const result = await this.db.execute(sql`
      select rt.id as token_id, rt.consumed_at, rt.successor,
             s.id, s.user_id, s.created_at, s.last_used_at, s.idle_expires_at, s.expires_at, s.revoked_at, s.user_agent, s.ip,
             u.username, u.roles, u.disabled
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
      },
      user: {
        id: row.user_id as string,
        username: row.username as string,
        roles: parseTextArray(row.roles),
        disabled: row.disabled === true || row.disabled === 't',
      },
    };
  }

  /**
   * Consumes the token and inserts its successor atomically: the conditional UPDATE lets exactly one of any
   * number of concurrent rotations win; the losers get no row back. Returns false when this call lost the race or
   * the session ended meanwhile.
   */
  async rotate(input: {
    tokenId: string;
    sealedSuccessor: string;
    newTokenHash: string;
    now: Date;
    idleExpiresAt: Date;
  }): Promise<boolean> {
    const now = input.now.toISOString();
    const result = await this.db.execute(sql`
      with consumed as (
        update refresh_tokens set consumed_at = ${now}, successor = ${input.sealedSuccessor}
        where id = ${input.tokenId} and consumed_at is null
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

  async listLive(userId: string, now: Date): Promise<Session[]> {
    const rows = await this.db
      .select()
      .from(sessions)
      .where(
        and(
          eq(sessions.userId, userId),
          isNull(sessions.revokedAt),
          gt(sessions.expiresAt, now),
          gt(sessions.idleExpiresAt, now),
        ),
      )
      .orderBy(desc(sessions.createdAt), desc(sessions.id));
    return rows.map(toSession);
  }

  /** Ends one session of a user; returns false when there is no such live session of that user. */
  async revokeOne(
    userId: string,
    sessionId: string,
    reason: string,
    now: Date,
  ): Promise<boolean> {
    const rows = await this.db
      .update(sessions)
      .set({ revokedAt: now, revokedReason: reason })
      .where(
        and(
          eq(sessions.id, sessionId),
          eq(sessions.userId, userId),
          isNull(sessions.revokedAt),
        ),
      )
      .returning({ id: sessions.id });
    return rows.length > 0;
  }

  async revokeById(
    sessionId: string,
    reason: string,
    now: Date,
  ): Promise<boolean> {
    const rows = await this.db
      .update(sessions)
      .set({ revokedAt: now, revokedReason: reason })
      .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
      .returning({ id: sessions.id });
    return rows.length > 0;
  }

  /** Ends every session of a user except `keepSessionId`; returns the ids ended. */
  async revokeAllOf(
    userId: string,
    reason: string,
    now: Date,
    keepSessionId?: string,
  ): Promise<string[]> {
    const rows = await this.db
      .update(sessions)
      .set({ revokedAt: now, revokedReason: reason })
      .where(
        and(
          eq(sessions.userId, userId),
          isNull(sessions.revokedAt),
          keepSessionId ? ne(sessions.id, keepSessionId) : undefined,
        ),
      )
      .returning({ id: sessions.id });
    return rows.map((r) => r.id);
  }

  /**
   * Deletes sessions that ended before `cutoff` (expired, idle or revoked), at most `batchSize` rows, so the
   * purge never holds long locks. Their refresh tokens go with them (ON DELETE CASCADE).
   */
  async purgeEnded(cutoff: Date, batchSize: number): Promise<number> {
    const c = cutoff.toISOString();
    const result = await this.db.execute(sql`
      delete from sessions where id in (
        select id from sessions
        where expires_at < ${c} or idle_expires_at < ${c} or revoked_at < ${c}
        limit ${batchSize})
      returning id`);
    return result.rows.length;
  }

  /** Drops rotation successors once the grace window is over: after that they are never read again. */
  async clearOldSuccessors(
    consumedBefore: Date,
    batchSize: number,
  ): Promise<number> {
    const result = await this.db.execute(sql`
      update refresh_tokens set successor = null where id in (
        select id from refresh_tokens
        where successor is not null and consumed_at < ${consumedBefore.toISOString()}
        limit ${batchSize})
      returning id`);
    return result.rows.length;
  }
}

/** node-postgres parses text[] into arrays; raw rows from PGlite may carry the '{a,b}' literal. */
function parseTextArray(value: unknown): string[] {
  if (Array.isArray(value)) return value as string[];
  if (typeof value === 'string')
    return value
      .replace(/^\{|\}$/g, '')
      .split(',')
      .filter(Boolean);
  return [];
}
