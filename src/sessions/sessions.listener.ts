import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { DomainEvent, type UserDisabledEvent } from 'src/events/domain-events';
import { SessionsService } from './sessions.service';

/** What sessions does about changes announced by the features above it. */
@Injectable()
export class SessionsListener {
  constructor(private readonly sessions: SessionsService) {}

  /**
   * A disabled user's sessions end (revocations stored before the rows end). The admin's request awaits this
   * through emitAsync, and errors are not suppressed, so a failure here fails that request.
   */
  @OnEvent(DomainEvent.UserDisabled, { suppressErrors: false })
  async userDisabled(event: UserDisabledEvent): Promise<void> {
    await this.sessions.revokeAllSessions(event.userId, 'user_disabled');
  }

  /** Answers the active-sessions gauge, so metrics never reads this feature's table. */
  @OnEvent(DomainEvent.LiveSessionsCountRequested, { suppressErrors: false })
  liveSessionsCount(): Promise<number> {
    return this.sessions.countLiveSessions();
  }
}
