import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import {
  type AccessTokenRefusedEvent,
  type AuditEventsDroppedEvent,
  DomainEvent,
  type LoginFailedEvent,
  type MailEvent,
  type MailFailedEvent,
  type RefreshRotatedEvent,
} from 'src/events/domain-events';
import { MetricsService } from './metrics.service';

/** Counts what the other features announce; nothing else calls the counters. */
@Injectable()
export class MetricsListener {
  constructor(private readonly metrics: MetricsService) {}

  @OnEvent(DomainEvent.LoginSucceeded)
  loginSucceeded(): void {
    this.metrics.loginOutcome('succeeded');
  }

  @OnEvent(DomainEvent.LoginFailed)
  loginFailed(event: LoginFailedEvent): void {
    this.metrics.loginOutcome(event.reason);
  }

  @OnEvent(DomainEvent.Lockout)
  lockout(): void {
    this.metrics.lockout();
  }

  @OnEvent(DomainEvent.RefreshRotated)
  refreshRotated(event: RefreshRotatedEvent): void {
    this.metrics.refreshOutcome(event.outcome);
  }

  @OnEvent(DomainEvent.RefreshReuseDetected)
  refreshReused(): void {
    this.metrics.refreshOutcome('reuse');
  }

  @OnEvent(DomainEvent.AccessTokenRefused)
  accessTokenRefused(event: AccessTokenRefusedEvent): void {
    this.metrics.tokenVerificationFailed(event.reason);
  }

  @OnEvent(DomainEvent.HashQueueRejected)
  hashQueueRejected(): void {
    this.metrics.hashQueueRejected();
  }

  @OnEvent(DomainEvent.RateLimitStoreFull)
  rateLimitStoreFull(): void {
    this.metrics.rateLimitStoreFull();
  }

  @OnEvent(DomainEvent.AuditEventsDropped)
  auditEventsDropped(event: AuditEventsDroppedEvent): void {
    this.metrics.auditEventsDropped(event.count);
  }

  @OnEvent(DomainEvent.AuditWriteFailed)
  auditWriteFailed(): void {
    this.metrics.auditWriteFailed();
  }

  @OnEvent(DomainEvent.MailQueued)
  mailQueued(event: MailEvent): void {
    this.metrics.mail.queued(event.kind);
  }

  @OnEvent(DomainEvent.MailSent)
  mailSent(event: MailEvent): void {
    this.metrics.mail.sent(event.kind);
  }

  @OnEvent(DomainEvent.MailDeferred)
  mailDeferred(event: MailEvent): void {
    this.metrics.mail.deferred(event.kind);
  }

  @OnEvent(DomainEvent.MailSuppressed)
  mailSuppressed(): void {
    this.metrics.mail.suppressed();
  }

  @OnEvent(DomainEvent.MailFailed)
  mailFailed(event: MailFailedEvent): void {
    this.metrics.mail.failed(event);
  }
}
