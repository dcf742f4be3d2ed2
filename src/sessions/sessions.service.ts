import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { Clock } from 'src/common/clock';
import { sessionConfig } from 'src/config/session.config';
import {
  DomainEvent,
  type LoggedOutAllEvent,
  type LoggedOutEvent,
  type SessionRevokedEvent,
} from 'src/events/domain-events';
import { RevocationService } from 'src/revocation/revocation.service';
import {
  generateRefreshToken,
  hashRefreshToken,
  isWellFormedRefreshToken,
} from './refresh-token';
import type {
  AccessTokenOnly,
  ClientContext,
  Session,
  SessionAuth,
  TokenPair,
} from './session';
import { sessionNotFoundError } from './sessions.errors';
import { RefreshTokensRepository } from './refresh-tokens.repository';
import { SessionsRepository } from './sessions.repository';
import { TokenPairIssuer } from './token-pair.issuer';

/** Who a login proved: the account, and the password hash that was checked when it was a password login. */
export interface VerifiedOwner {
  id: string;
  passwordHash?: string;
}

/** A session just stored, and its first token pair. */
export interface StartedSession {
  sessionId: string;
  pair: TokenPair;
}

export interface RefreshTokenInfo {
  sessionId: string;
  userId: string;
  username: string;
  roles: string[];
  issuedAt: Date;
  expiresAt: Date;
  /** The session's sign-in methods and time, as its access tokens carry them. */
  amr: string[];
  authTime: Date;
  /** Not rotated yet, session live, owner enabled, not expired. */
  active: boolean;
}

/** Sessions (refresh-token families): started at login, listed, ended one, all or by logout. */
@Injectable()
export class SessionsService {
  private readonly logger = new Logger(SessionsService.name);

  constructor(
    private readonly repository: SessionsRepository,
    private readonly tokens: RefreshTokensRepository,
    private readonly revocations: RevocationService,
    private readonly issuer: TokenPairIssuer,
    private readonly clock: Clock,
    private readonly events: EventEmitter2,
    @Inject(sessionConfig.KEY)
    private readonly config: ConfigType<typeof sessionConfig>,
  ) {}

  /**
   * Starts a session (a refresh-token family) at login and returns its first token pair, signed with the owner's
   * roles and token version as the database holds them when the session is stored. Undefined when the owner was
   * disabled, deleted or changed their password since the caller checked the credentials, or (for a sign-in
   * whose `amr` lacks `mfa`) enrolled a second factor meanwhile: no session is made. `auth` defaults to a
   * password sign-in now.
   */
  async createSession(
    owner: VerifiedOwner,
    context: ClientContext,
    auth?: SessionAuth,
  ): Promise<StartedSession | undefined> {
    const now = this.clock.now();
    const session: Session = {
      id: randomUUID(),
      userId: owner.id,
      createdAt: now,
      lastUsedAt: now,
      idleExpiresAt: new Date(
        now.getTime() + this.config.idleTtlSeconds * 1000,
      ),
      expiresAt: new Date(now.getTime() + this.config.maxTtlSeconds * 1000),
      revokedAt: null,
      userAgent: context.userAgent?.slice(0, 512) ?? null,
      ip: context.ip ?? null,
      amr: auth?.amr ?? ['pwd'],
      authTime: auth?.authTime ?? now,
    };
    const refreshToken = generateRefreshToken();
    const current = await this.repository.createWithToken(
      session,
      hashRefreshToken(refreshToken),
      owner.passwordHash,
    );
    if (!current) return undefined;
    return {
      sessionId: session.id,
      pair: this.issuer.issue(
        current,
        session,
        session.idleExpiresAt,
        refreshToken,
        now,
      ),
    };
  }

  /**
   * Records a new proof of identity on a live session (re-authentication, a second factor) and signs an access
   * token for the same session carrying it; its refresh token stays as it is, and later refreshes keep the new
   * `amr` and `auth_time`. Undefined when the session is not the user's, has ended or expired, or the owner is
   * disabled or gone.
   */
  async reissueAccessToken(
    userId: string,
    sessionId: string,
    auth: SessionAuth,
  ): Promise<AccessTokenOnly | undefined> {
    const found = await this.repository.updateAuth(
      userId,
      sessionId,
      auth,
      this.clock.now(),
    );
    if (!found) return undefined;
    return this.issuer.issueAccessToken(found.owner, {
      id: found.sessionId,
      expiresAt: found.expiresAt,
      ...auth,
    });
  }

  async listSessions(userId: string): Promise<Session[]> {
    return this.repository.listLive(userId, this.clock.now());
  }

  /** Ends one of the user's own sessions; anyone else's (or an unknown id) is a 404, never a 403. */
  async revokeSession(
    userId: string,
    sessionId: string,
    client: ClientContext,
  ): Promise<void> {
    // The id as the database returns it: the revocation set is keyed by canonical ids.
    const id = await this.repository.findOpenId(userId, sessionId);
    if (!id) throw sessionNotFoundError();
    await this.endSessions([id], 'revoked_by_user');
    this.logger.log({ event: 'session_revoked', sessionId: id, userId });
    this.events.emit(DomainEvent.SessionRevoked, {
      userId,
      sessionId: id,
      client,
    } satisfies SessionRevokedEvent);
  }

  async logout(
    userId: string,
    sessionId: string,
    client: ClientContext,
  ): Promise<void> {
    // Even if the row was already ended, make sure this instance (and others) refuse its access tokens.
    await this.endSessions([sessionId], 'logout');
    this.logger.log({ event: 'logout', sessionId, userId });
    this.events.emit(DomainEvent.LoggedOut, {
      userId,
      sessionId,
      client,
    } satisfies LoggedOutEvent);
  }

  /** The user ends every other session of theirs; returns how many ended. */
  async logoutAll(userId: string, keepSessionId: string): Promise<number> {
    const ended = await this.revokeAllSessions(
      userId,
      'logout_all',
      keepSessionId,
    );
    this.events.emit(DomainEvent.LoggedOutAll, {
      userId,
      keptSessionId: keepSessionId,
      ended,
    } satisfies LoggedOutAllEvent);
    return ended;
  }

  /** Ends every session of the user but `keepSessionId`; returns how many ended. */
  async revokeAllSessions(
    userId: string,
    reason: string,
    keepSessionId?: string,
  ): Promise<number> {
    const ids = await this.repository.findOpenIdsOf(userId, keepSessionId);
    await this.endSessions(ids, reason);
    this.logger.log({
      event: reason,
      userId,
      keptSessionId: keepSessionId,
      ended: ids.length,
    });
    return ids.length;
  }

  /**
   * The revocation set first, then the rows: if storing the revocation fails, the request fails with nothing
   * changed, and a retry finds the sessions still open and ends them (never "row ended, tokens still valid").
   * Whoever owns them: also the token revocation endpoint and reuse detection.
   */
  async endSessions(sessionIds: string[], reason: string): Promise<void> {
    await this.revocations.revokeSessions(sessionIds);
    await this.repository.end(sessionIds, reason, this.clock.now());
  }

  /** Sessions that are neither ended nor expired, across all users. */
  countLiveSessions(): Promise<number> {
    return this.repository.countLive(this.clock.now());
  }

  /**
   * What a refresh token stands for (token revocation and introspection): its session, owner and whether it
   * would still refresh. Undefined for a token Gatehouse never issued (or whose session was purged).
   */
  async describeRefreshToken(
    presented: string,
  ): Promise<RefreshTokenInfo | undefined> {
    if (!isWellFormedRefreshToken(presented)) return undefined;
    const found = await this.tokens.findRefreshToken(
      hashRefreshToken(presented),
    );
    if (!found) return undefined;
    const { session, user } = found;
    const expiresAt = new Date(
      Math.min(session.idleExpiresAt.getTime(), session.expiresAt.getTime()),
    );
    return {
      sessionId: session.id,
      userId: user.id,
      username: user.username,
      roles: user.roles,
      // Each rotation stamps last_used_at with the new token's creation time.
      issuedAt: session.lastUsedAt,
      expiresAt,
      amr: session.amr,
      authTime: session.authTime,
      active:
        !found.consumedAt &&
        !session.revokedAt &&
        !user.disabled &&
        this.clock.now() < expiresAt,
    };
  }
}
