import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import {
  DomainEvent,
  type MfaDisabledEvent,
  type MfaEvent,
  type MfaFailedEvent,
  type MfaVerifiedEvent,
} from 'src/events/domain-events';
import { AuditService } from './audit.service';

/** The second factor's part of the audit trail: enrolment, every code accepted or refused, turning it off. */
@Injectable()
export class MfaAuditListener {
  constructor(private readonly audit: AuditService) {}

  @OnEvent(DomainEvent.MfaEnrolmentStarted)
  enrolmentStarted(event: MfaEvent): void {
    this.audit.record({
      type: 'mfa_enrolment_started',
      userId: event.userId,
      client: event.client,
    });
  }

  @OnEvent(DomainEvent.MfaEnabled)
  enabled(event: MfaEvent): void {
    this.audit.record({
      type: 'mfa_enabled',
      userId: event.userId,
      client: event.client,
    });
  }

  /** A recovery code's use is this event with method recovery_code and the number left. */
  @OnEvent(DomainEvent.MfaVerified)
  verified(event: MfaVerifiedEvent): void {
    this.audit.record({
      type: 'mfa_verified',
      userId: event.userId,
      client: event.client,
      details: {
        method: event.method,
        purpose: event.purpose,
        ...(event.remaining !== undefined && { remaining: event.remaining }),
      },
    });
  }

  @OnEvent(DomainEvent.MfaFailed)
  failed(event: MfaFailedEvent): void {
    this.audit.record({
      type: 'mfa_failed',
      userId: event.userId,
      client: event.client,
      details: { method: event.method, purpose: event.purpose },
    });
  }

  @OnEvent(DomainEvent.RecoveryCodesRegenerated)
  recoveryCodesRegenerated(event: MfaEvent): void {
    this.audit.record({
      type: 'mfa_recovery_codes_regenerated',
      userId: event.userId,
      client: event.client,
    });
  }

  @OnEvent(DomainEvent.MfaDisabled)
  disabled(event: MfaDisabledEvent): void {
    this.audit.record({
      type: 'mfa_disabled',
      userId: event.userId,
      actorId: event.actorId,
      client: event.client,
      details: { by: event.actorId ? 'admin' : 'user' },
    });
  }
}
