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
  type SQL,
} from 'drizzle-orm';
import { DRIZZLE, type Database } from 'src/database/database.types';
import {
  refreshTokens,
  sessions,
  users,
  type SessionRow,
} from 'src/database/schema';
import type { Session, SessionAuth } from './session';
import { type SessionOwnerRow, toOwner } from './session-rows';

/** A text[] parameter: drizzle would spread a bare array into a list of parameters. */
function textArray(values: string[]): SQL {
  return sql`array[${sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  )}]::text[]`;
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
    amr: row.amr,
    authTime: row.authTime,
  };
}

@Injectable()
export class SessionsRepository {
  constructor(@Inject(DRIZZLE) private readonly db: Database) {}

  /**
   * Creates the session and its first refresh token in one statement, only while the owner still stands as the
   * caller verified them: the row exists, is not disabled and (for a password login) still has the password hash
   * that was checked. The owner's row is share-locked, so a concurrent disable, delete or password change either
   * waits for this session (and then ends it) or is seen here (and no session is made). A sign-in without a second
   * factor (`amr` without `mfa`) is stored only while the owner has none, so a password login racing a TOTP
   * enrolment cannot leave a password-only session behind. Returns the owner's current username, roles and token
   * version, which the tokens are signed with; undefined when nothing was made.
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
    const factorsSatisfied = session.amr.includes('mfa')
      ? sql`true`
      : sql`totp_enabled_at is null`;
    const result = await this.db.execute(sql`
      with owner as (
        select id, username, roles, token_version, email_verified_at is not null as email_verified from ${users}
        where id = ${session.userId} and not disabled and ${passwordUnchanged} and ${factorsSatisfied}
        for share
      ), created as (
        insert into ${sessions} (id, user_id, created_at, last_used_at, idle_expires_at, expires_at, user_agent, ip, amr, auth_time)
        select ${session.id}, owner.id, ${session.createdAt.toISOString()}, ${session.lastUsedAt.toISOString()},
               ${session.idleExpiresAt.toISOString()}, ${session.expiresAt.toISOString()}, ${session.userAgent}, ${session.ip},
               ${textArray(session.amr)}, ${session.authTime.toISOString()}
        from owner
        returning id
      ), token as (
        insert into ${refreshTokens} (session_id, token_hash, created_at)
        select id, ${tokenHash}, ${session.createdAt.toISOString()} from created
      )
      select username, roles, token_version, email_verified from owner`);
    const row = result.rows[0];
    return row && toOwner(session.userId, row);
  }

  /**
   * Replaces a live session's `amr` and `auth_time` in one statement, only while the session is the user's, not
   * ended, not expired (absolute or idle) and its owner enabled; the owner's row is share-locked as at creation, so
   * a concurrent disable or role change either waits for this or is seen here. Returns the owner's current
   * standing, which the new access token is signed with, and the session's absolute end; undefined otherwise.
   */
  async updateAuth(
    userId: string,
    sessionId: string,
    auth: SessionAuth,
    now: Date,
  ): Promise<
    { owner: SessionOwnerRow; sessionId: string; expiresAt: Date } | undefined
  > {
    const at = now.toISOString();
    const result = await this.db.execute(sql`
      with owner as (
        select id, username, roles, token_version, email_verified_at is not null as email_verified from ${users}
        where id = ${userId} and not disabled
        for share
      ), updated as (
        update ${sessions} set amr = ${textArray(auth.amr)}, auth_time = ${auth.authTime.toISOString()}
        where id = ${sessionId} and user_id in (select id from owner) and revoked_at is null
          and expires_at > ${at} and idle_expires_at > ${at}
        returning id, expires_at
      )
      select owner.username, owner.roles, owner.token_version, owner.email_verified,
             updated.id as session_id, updated.expires_at
      from owner, updated`);
    const row = result.rows[0];
    if (!row) return undefined;
    return {
      owner: toOwner(userId, row),
      sessionId: row.session_id as string,
      expiresAt: new Date(row.expires_at as string),
    };
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
   * purge never holds long locks. Their refresh tokens go with them (ON DELETE CASCADE). The batch is read in the
   * order of sessions_ended_at_idx (same expression), so each batch costs the same at any table size: without
   * the ORDER BY, PostgreSQL preferred a Seq Scan that walked the live sessions to find the ended ones.
   */
  async purgeEnded(cutoff: Date, batchSize: number): Promise<number> {
    const c = cutoff.toISOString();
    const result = await this.db.execute(sql`
      delete from sessions where id = any(array(
        select id from sessions
        where least(expires_at, idle_expires_at, revoked_at) < ${c}
        order by least(expires_at, idle_expires_at, revoked_at)
        limit ${batchSize}))
      returning id`);
    return result.rows.length;
  }
}
