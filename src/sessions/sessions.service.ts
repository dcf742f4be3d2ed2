import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AuditService } from 'src/audit/audit.service';
import { Clock } from 'src/common/clock';
import { sessionConfig } from 'src/config/session.config';
import { AccessTokenService } from 'src/keys/access-token.service';
import { MetricsService } from 'src/metrics/metrics.service';
import {
  generateRefreshToken,
  hashRefreshToken,
  isWellFormedRefreshToken,
  openSuccessor,
  sealSuccessor,
} from './refresh-token';
import { RevocationService } from 'src/revocation/revocation.service';
import type { ClientContext, Session, TokenPair } from './session';
import {
  InvalidRefreshTokenError,
  SessionNotFoundError,
} from './sessions.errors';
import {
  SessionsRepository,
  type SessionOwnerRow,
} from './sessions.repository';

const PURGE_BATCH = 1_000;

/** Who a login proved: the account, and the password hash that was checked when it was a password login. */
export interface VerifiedOwner {
  id: string;
  passwordHash?: string;
}

export type RefreshOutcome = 'rotated' | 'grace';

export interface RefreshTokenInfo {
  sessionId: string;
  userId: string;
  username: string;
  roles: string[];
  issuedAt: Date;
  expiresAt: Date;
  /** Not rotated yet, session live, owner enabled, not expired. */
  active: boolean;
}

@Injectable()
export class SessionsService
  implements OnApplicationBootstrap, OnModuleDestroy
{
  private readonly logger = new Logger(SessionsService.name);
  private purgeTimer?: NodeJS.Timeout;

  constructor(
    private readonly repository: SessionsRepository,
    private readonly revocations: RevocationService,
    private readonly accessTokens: AccessTokenService,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
    @Inject(sessionConfig.KEY)
    private readonly config: ConfigType<typeof sessionConfig>,
  ) {}

  onApplicationBootstrap(): void {
    this.purgeTimer = setInterval(() => {
      this.purge().catch((error: Error) =>
        this.logger.error(`session purge failed: ${error.message}`),
      );
    }, this.config.purgeIntervalSeconds * 1000);
    this.purgeTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.purgeTimer);
  }

  /**
   * Starts a session (a refresh-token family) at login and returns its first token pair, signed with the owner's
   * roles and token version as the database holds them when the session is stored. Undefined when the owner was
   * disabled, deleted or changed their password since the caller checked the credentials: no session is made.
   */
  async createSession(
    owner: VerifiedOwner,
    context: ClientContext,
  ): Promise<TokenPair | undefined> {
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
    };
    const refreshToken = generateRefreshToken();
    const current = await this.repository.createWithToken(
      session,
      hashRefreshToken(refreshToken),
      owner.passwordHash,
    );
    if (!current) return undefined;
    this.audit.record({
      type: 'login_succeeded',
      userId: owner.id,
      sessionId: session.id,
      client: context,
    });
    return this.pair(
      current,
      session,
      session.idleExpiresAt,
      refreshToken,
      now,
    );
  }

  /**
   * Rotates a refresh token. Exactly one concurrent caller consumes it; the others, inside the grace window, get
   * the pair the winner issued (sealed in the consumed row). A consumed token presented after the window is
   * reuse: the whole session ends.
   */
  async refresh(
    presented: string,
    client: ClientContext,
  ): Promise<{ pair: TokenPair; outcome: RefreshOutcome }> {
    if (!isWellFormedRefreshToken(presented))
      throw new InvalidRefreshTokenError();
    const first = await this.tryRefresh(presented, client);
    if (first !== 'owner_changed') return first;
    // The owner's roles or status changed between the read and the rotation: read them again, once.
    const second = await this.tryRefresh(presented, client);
    if (second === 'owner_changed') throw new InvalidRefreshTokenError();
    return second;
  }

  private async tryRefresh(
    presented: string,
    client: ClientContext,
  ): Promise<{ pair: TokenPair; outcome: RefreshOutcome } | 'owner_changed'> {
    const found = await this.repository.findRefreshToken(
      hashRefreshToken(presented),
    );
    if (!found) throw new InvalidRefreshTokenError();
    const now = this.clock.now();
    const { session, user } = found;
    if (session.revokedAt) throw new InvalidRefreshTokenError();
    if (now >= session.expiresAt || now >= session.idleExpiresAt) {
      throw new InvalidRefreshTokenError(
        'The session has expired; log in again.',
      );
    }
    if (user.disabled) throw new InvalidRefreshTokenError();

    if (found.consumedAt) {
      return {
        pair: await this.answerConsumed(
          presented,
          found.consumedAt,
          found.successor,
          session,
          now,
          client,
        ),
        outcome: 'grace',
      };
    }

    const idleExpiresAt = new Date(
      Math.min(
        now.getTime() + this.config.idleTtlSeconds * 1000,
        session.expiresAt.getTime(),
      ),
    );
    const nextToken = generateRefreshToken();
    const pair = this.pair(user, session, idleExpiresAt, nextToken, now);
    const won = await this.repository.rotate({
      tokenId: found.tokenId,
      userId: user.id,
      tokenVersion: user.tokenVersion,
      sealedSuccessor: sealSuccessor(presented, pair),
      newTokenHash: hashRefreshToken(nextToken),
      now,
      idleExpiresAt,
    });
    if (won) return { pair, outcome: 'rotated' };

    // Lost the race, the session ended, or the owner changed between the read and the rotation (then nothing
    // was consumed and no successor was stored).
    const state = await this.repository.findTokenState(found.tokenId);
    if (!state || state.sessionRevokedAt) throw new InvalidRefreshTokenError();
    if (!state.consumedAt) return 'owner_changed';
    return {
      pair: await this.answerConsumed(
        presented,
        state.consumedAt,
        state.successor,
        session,
        now,
        client,
      ),
      outcome: 'grace',
    };
  }

  private async answerConsumed(
    presented: string,
    consumedAt: Date,
    successor: string | null,
    session: Session,
    now: Date,
    client: ClientContext,
  ): Promise<TokenPair> {
    const age = now.getTime() - consumedAt.getTime();
    if (
      this.config.reuseGraceSeconds > 0 &&
      age <= this.config.reuseGraceSeconds * 1000 &&
      successor
    ) {
      const pair = openSuccessor<TokenPair>(presented, successor);
      if (pair) return pair;
    }
    await this.endSessions([session.id], 'refresh_token_reuse');
    this.metrics.refreshOutcome('reuse');
    this.audit.record({
      type: 'refresh_reuse_detected',
      userId: session.userId,
      sessionId: session.id,
      client,
    });
    this.logger.warn({
      event: 'refresh_token_reuse',
      sessionId: session.id,
      userId: session.userId,
      msg: 'refresh token reuse detected: session revoked',
    });
    throw new InvalidRefreshTokenError();
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
    if (!id) throw new SessionNotFoundError();
    await this.endSessions([id], 'revoked_by_user');
    this.logger.log({ event: 'session_revoked', sessionId: id, userId });
    this.audit.record({
      type: 'session_revoked',
      userId,
      sessionId: id,
      client,
    });
  }

  async logout(
    userId: string,
    sessionId: string,
    client: ClientContext,
  ): Promise<void> {
    // Even if the row was already ended, make sure this instance (and others) refuse its access tokens.
    await this.endSessions([sessionId], 'logout');
    this.logger.log({ event: 'logout', sessionId, userId });
    this.audit.record({ type: 'logout', userId, sessionId, client });
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
    if (reason === 'logout_all')
      this.audit.record({
        type: 'logout_all',
        userId,
        sessionId: keepSessionId,
        details: { ended: ids.length },
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

  /**
   * What a refresh token stands for (token revocation and introspection): its session, owner and whether it
   * would still refresh. Undefined for a token Gatehouse never issued (or whose session was purged).
   */
  async describeRefreshToken(
    presented: string,
  ): Promise<RefreshTokenInfo | undefined> {
    if (!isWellFormedRefreshToken(presented)) return undefined;
    const found = await this.repository.findRefreshToken(
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
      active:
        !found.consumedAt &&
        !session.revokedAt &&
        !user.disabled &&
        this.clock.now() < expiresAt,
    };
  }

  /**
   * Deletes ended sessions in bounded batches once none of their access tokens can still be valid, clears
   * rotation successors older than the grace window and drops revocations that can no longer void a token.
   */
  async purge(): Promise<{
    sessions: number;
    successors: number;
    revocations: number;
  }> {
    const now = this.clock.now();
    const cutoff = new Date(
      now.getTime() - (this.accessTokens.ttlSeconds + 60) * 1000,
    );
    let sessions = 0;
    for (let n = PURGE_BATCH; n === PURGE_BATCH; sessions += n)
      n = await this.repository.purgeEnded(cutoff, PURGE_BATCH);
    let successors = 0;
    const graceCutoff = new Date(
      now.getTime() - (this.config.reuseGraceSeconds + 1) * 1000,
    );
    for (let n = PURGE_BATCH; n === PURGE_BATCH; successors += n)
      n = await this.repository.clearOldSuccessors(graceCutoff, PURGE_BATCH);
    const revocations = await this.revocations.purgeExpired(PURGE_BATCH);
    return { sessions, successors, revocations };
  }

  private pair(
    user: SessionOwnerRow,
    session: Session,
    idleExpiresAt: Date,
    refreshToken: string,
    now: Date,
  ): TokenPair {
    const access = this.accessTokens.sign({
      userId: user.id,
      username: user.username,
      roles: user.roles,
      tokenVersion: user.tokenVersion,
      sessionId: session.id,
      sessionExpiresAt: session.expiresAt,
    });
    const refreshEnds = Math.min(
      idleExpiresAt.getTime(),
      session.expiresAt.getTime(),
    );
    return {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
      refresh_token: refreshToken,
      refresh_expires_in: Math.max(
        0,
        Math.floor((refreshEnds - now.getTime()) / 1000),
      ),
    };
  }
}
