import { Inject, Injectable } from '@nestjs/common';
import {
  and,
  count,
  desc,
  eq,
  gt,
  inArray,
  isNull,
  ne,
  sql,
} from 'drizzle-orm';
import { DRIZZLE, type Database } from 'src/database/database.types';
import {
  refreshTokens,
  sessions,
  users,
  type SessionRow,
} from 'src/database/schema';
import type { Session } from './session';

/** What a refresh needs in one read: the token, its session and the owner's current standing. */
export interface RefreshTokenLookup {
  tokenId: string;
  consumedAt: Date | null;
  successor: string | null;
  session: Session;
  user: SessionOwnerRow & { disabled: boolean };
}

/** The owner's standing that access tokens are signed with. */
export interface SessionOwnerRow {
  id: string;
  username: string;
  roles: string[];
  tokenVersion: number;
}

function toOwner(id: string, row: Record<string, unknown>): SessionOwnerRow {
  return {
    id,
    username: row.username as string,
    roles: parseTextArray(row.roles),
    tokenVersion: Number(row.token_version),
  };
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

  /**
   * Creates the session and its first refresh token in one statement, only while the owner still stands as the
   * caller verified them: the row exists, is not disabled and (for a password login) still has the password hash
   * that was checked. The owner's row is share-locked, so a concurrent disable, delete or password change either
   * waits for this session (and then ends it) or is seen here (and no session is made). Returns the owner's
   * current username, roles and token version, which the tokens are signed with; undefined when nothing was made.
   */
  async createWithToken(
    session: Session,
    tokenHash: string,
    verifiedPasswordHash?: string,
  ): Promise<SessionOwnerRow | undefined> {
    const passwordUnchanged =
      verifiedPasswordHash === undefined
        ? sql`true`
        : sql`password_hash = ${verifiedPasswordHash}`;
    const result = await this.db.execute(sql`
      with owner as (
        select id, username, roles, token_version from ${users}
        where id = ${session.userId} and not disabled and ${passwordUnchanged}
        for share
      ), created as (
        insert into ${sessions} (id, user_id, created_at, last_used_at, idle_expires_at, expires_at, user_agent, ip)
        select ${session.id}, owner.id, ${session.createdAt.toISOString()}, ${session.lastUsedAt.toISOString()},
               ${session.idleExpiresAt.toISOString()}, ${session.expiresAt.toISOString()}, ${session.userAgent}, ${session.ip}
        from owner
        returning id
      ), token as (
        insert into ${refreshTokens} (session_id, token_hash, created_at)
        select id, ${tokenHash}, ${session.createdAt.toISOString()} from created
      )
      select username, roles, token_version from owner`);
    const row = result.rows[0];
    return row && toOwner(session.userId, row);
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
             u.username, u.roles, u.disabled, u.token_version
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

  /** Sessions of any user that are neither ended nor expired. */
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

  /** The id, as stored, of a session of this user that has not been ended; undefined for anyone else's. */
  async findOpenId(
    userId: string,
    sessionId: string,
  ): Promise<string | undefined> {
    const [row] = await this.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(
        and(
          eq(sessions.id, sessionId),
          eq(sessions.userId, userId),
          isNull(sessions.revokedAt),
        ),
      );
    return row?.id;
  }

  /** The ids of every session of a user that has not been ended, except `keepSessionId`. */
  async findOpenIdsOf(
    userId: string,
    keepSessionId?: string,
  ): Promise<string[]> {
    const rows = await this.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(
        and(
          eq(sessions.userId, userId),
          isNull(sessions.revokedAt),
          keepSessionId ? ne(sessions.id, keepSessionId) : undefined,
        ),
      );
    return rows.map((r) => r.id);
  }

  /** Ends these sessions (those not ended already); refresh tokens of an ended session are refused. */
  async end(sessionIds: string[], reason: string, now: Date): Promise<void> {
    if (sessionIds.length === 0) return;
    await this.db
      .update(sessions)
      .set({ revokedAt: now, revokedReason: reason })
      .where(and(inArray(sessions.id, sessionIds), isNull(sessions.revokedAt)));
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
