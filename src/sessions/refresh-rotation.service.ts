import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { Clock } from 'src/common/clock';
import { sessionConfig } from 'src/config/session.config';
import {
  DomainEvent,
  type RefreshOutcome,
  type RefreshReuseDetectedEvent,
  type RefreshRotatedEvent,
} from 'src/events/domain-events';
import {
  generateRefreshToken,
  hashRefreshToken,
  isWellFormedRefreshToken,
  openSuccessor,
  sealSuccessor,
} from './refresh-token';
import type { ClientContext, Session, TokenPair } from './session';
import { InvalidRefreshTokenError } from './sessions.errors';
import { RefreshTokensRepository } from './refresh-tokens.repository';
import { SessionsService } from './sessions.service';
import { TokenPairIssuer } from './token-pair.issuer';

type Rotation = { pair: TokenPair; outcome: RefreshOutcome; session: Session };

/**
 * Rotates refresh tokens. Exactly one concurrent caller consumes a token; the others, inside the grace window, get
 * the pair the winner issued (sealed in the consumed row). A consumed token presented after the window is reuse:
 * the whole session ends.
 */
@Injectable()
export class RefreshRotationService {
  private readonly logger = new Logger(RefreshRotationService.name);

  constructor(
    private readonly tokens: RefreshTokensRepository,
    private readonly sessions: SessionsService,
    private readonly issuer: TokenPairIssuer,
    private readonly clock: Clock,
    private readonly events: EventEmitter2,
    @Inject(sessionConfig.KEY)
    private readonly config: ConfigType<typeof sessionConfig>,
  ) {}

  async refresh(presented: string, client: ClientContext): Promise<TokenPair> {
    if (!isWellFormedRefreshToken(presented))
      throw new InvalidRefreshTokenError();
    let rotation = await this.tryRefresh(presented, client);
    // The owner's roles or status changed between the read and the rotation: read them again, once.
    if (rotation === 'owner_changed')
      rotation = await this.tryRefresh(presented, client);
    if (rotation === 'owner_changed') throw new InvalidRefreshTokenError();
    const { pair, outcome, session } = rotation;
    this.events.emit(DomainEvent.RefreshRotated, {
      outcome,
      sessionId: session.id,
      userId: session.userId,
    } satisfies RefreshRotatedEvent);
    return pair;
  }

  private async tryRefresh(
    presented: string,
    client: ClientContext,
  ): Promise<Rotation | 'owner_changed'> {
    const found = await this.tokens.findRefreshToken(
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
        session,
      };
    }

    const idleExpiresAt = new Date(
      Math.min(
        now.getTime() + this.config.idleTtlSeconds * 1000,
        session.expiresAt.getTime(),
      ),
    );
    const nextToken = generateRefreshToken();
    const pair = this.issuer.issue(
      user,
      session,
      idleExpiresAt,
      nextToken,
      now,
    );
    const won = await this.tokens.rotate({
      tokenId: found.tokenId,
      userId: user.id,
      tokenVersion: user.tokenVersion,
      sealedSuccessor: sealSuccessor(presented, pair),
      newTokenHash: hashRefreshToken(nextToken),
      now,
      idleExpiresAt,
    });
    if (won) return { pair, outcome: 'rotated', session };

    // Lost the race, the session ended, or the owner changed between the read and the rotation (then nothing
    // was consumed and no successor was stored).
    const state = await this.tokens.findTokenState(found.tokenId);
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
      session,
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
    await this.sessions.endSessions([session.id], 'refresh_token_reuse');
    this.events.emit(DomainEvent.RefreshReuseDetected, {
      userId: session.userId,
      sessionId: session.id,
      client,
    } satisfies RefreshReuseDetectedEvent);
    this.logger.warn({
      event: 'refresh_token_reuse',
      sessionId: session.id,
      userId: session.userId,
      msg: 'refresh token reuse detected: session revoked',
    });
    throw new InvalidRefreshTokenError();
  }
}
