import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import {
  DomainEvent,
  type EmailChangedEvent,
  type EmailChangeRequestedEvent,
  type EmailVerifiedEvent,
  type PasswordResetEvent,
  type PasswordResetRequestedEvent,
  type KeyRotatedEvent,
  type LockoutEvent,
  type LoggedOutAllEvent,
  type LoggedOutEvent,
  type LoginFailedEvent,
  type LoginSucceededEvent,
  type PasswordChangedEvent,
  type PasswordChangeFailedEvent,
  type RefreshReuseDetectedEvent,
  type SessionRevokedEvent,
  type UserCreatedEvent,
  type UserDeletedEvent,
  type UserDisabledEvent,
  type UserRoleChangedEvent,
} from 'src/events/domain-events';
import { AuditService } from './audit.service';

/** Writes the audit trail from what the features announce. record() never throws and never waits. */
@Injectable()
export class AuditListener {
  constructor(private readonly audit: AuditService) {}

  @OnEvent(DomainEvent.UserCreated)
  userCreated(event: UserCreatedEvent): void {
    this.audit.record({ type: 'user_created', userId: event.userId });
  }

  @OnEvent(DomainEvent.UserDisabled)
  userDisabled(event: UserDisabledEvent): void {
    this.audit.record({
      type: 'user_disabled',
      userId: event.userId,
      actorId: event.actorId,
    });
  }

  @OnEvent(DomainEvent.UserDeleted)
  userDeleted(event: UserDeletedEvent): void {
    this.audit.record({
      type: 'user_deleted',
      userId: event.userId,
      actorId: event.actorId,
    });
  }

  @OnEvent(DomainEvent.UserRoleChanged)
  userRoleChanged(event: UserRoleChangedEvent): void {
    this.audit.record({
      type: 'user_role_changed',
      userId: event.userId,
      actorId: event.actorId,
      details: { from: event.from, to: event.to },
    });
  }

  @OnEvent(DomainEvent.LoginSucceeded)
  loginSucceeded(event: LoginSucceededEvent): void {
    this.audit.record({
      type: 'login_succeeded',
      userId: event.userId,
      sessionId: event.sessionId,
      client: event.client,
    });
  }

  /** The reason only: the submitted login and password are never recorded. */
  @OnEvent(DomainEvent.LoginFailed)
  loginFailed(event: LoginFailedEvent): void {
    this.audit.record({
      type: 'login_failed',
      userId: event.userId,
      client: event.client,
      details: { reason: event.reason },
    });
  }

  @OnEvent(DomainEvent.Lockout)
  lockout(event: LockoutEvent): void {
    this.audit.record({
      type: 'lockout',
      userId: event.userId,
      details: { until: event.until.toISOString() },
    });
  }

  @OnEvent(DomainEvent.PasswordChanged)
  passwordChanged(event: PasswordChangedEvent): void {
    this.audit.record({
      type: 'password_changed',
      userId: event.userId,
      sessionId: event.sessionId,
      client: event.client,
    });
  }

  @OnEvent(DomainEvent.PasswordChangeFailed)
  passwordChangeFailed(event: PasswordChangeFailedEvent): void {
    this.audit.record({
      type: 'password_change_failed',
      userId: event.userId,
      sessionId: event.sessionId,
      client: event.client,
      details: { reason: event.reason },
    });
  }

  @OnEvent(DomainEvent.RefreshReuseDetected)
  refreshReuseDetected(event: RefreshReuseDetectedEvent): void {
    this.audit.record({ type: 'refresh_reuse_detected', ...event });
  }

  @OnEvent(DomainEvent.SessionRevoked)
  sessionRevoked(event: SessionRevokedEvent): void {
    this.audit.record({ type: 'session_revoked', ...event });
  }

  @OnEvent(DomainEvent.LoggedOut)
  loggedOut(event: LoggedOutEvent): void {
    this.audit.record({ type: 'logout', ...event });
  }

  @OnEvent(DomainEvent.LoggedOutAll)
  loggedOutAll(event: LoggedOutAllEvent): void {
    this.audit.record({
      type: 'logout_all',
      userId: event.userId,
      sessionId: event.keptSessionId,
      details: { ended: event.ended },
    });
  }

  @OnEvent(DomainEvent.KeyRotated)
  keyRotated(event: KeyRotatedEvent): void {
    this.audit.record({
      type: 'key_rotated',
      actorId: event.actorId,
      details: { kid: event.kid, immediate: event.immediate },
    });
  }

  /** Asked by the user (no actor) or sent by an admin (actorId); only recorded when a mail was written. */
  @OnEvent(DomainEvent.PasswordResetRequested)
  passwordResetRequested(event: PasswordResetRequestedEvent): void {
    this.audit.record({
      type: 'password_reset_requested',
      userId: event.userId,
      actorId: event.actorId,
      client: event.client,
    });
  }

  @OnEvent(DomainEvent.PasswordReset)
  passwordReset(event: PasswordResetEvent): void {
    this.audit.record({
      type: 'password_reset',
      userId: event.userId,
      client: event.client,
      details: { sessions_ended: event.ended },
    });
  }

  @OnEvent(DomainEvent.EmailVerified)
  emailVerified(event: EmailVerifiedEvent): void {
    this.audit.record({
      type: 'email_verified',
      userId: event.userId,
      actorId: event.actorId,
      client: event.client,
      details: { via: event.via },
    });
  }

  @OnEvent(DomainEvent.EmailChangeRequested)
  emailChangeRequested(event: EmailChangeRequestedEvent): void {
    this.audit.record({
      type: 'email_change_requested',
      userId: event.userId,
      client: event.client,
    });
  }

  @OnEvent(DomainEvent.EmailChanged)
  emailChanged(event: EmailChangedEvent): void {
    this.audit.record({
      type: 'email_changed',
      userId: event.userId,
      client: event.client,
    });
  }
}
