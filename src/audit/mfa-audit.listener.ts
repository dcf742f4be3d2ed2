import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import {
  DomainEvent,
  type MfaDisabledEvent,
  type MfaEvent,
  type MfaFailedEvent,
  type MfaVerifiedEvent,
  type PasskeyEvent,
} from 'src/events/domain-events';
import { AuditService } from './audit.service';

/**
 * The second factor's and the passkeys' part of the audit trail: enrolment, every code accepted or refused,
 * turning it off; passkeys registered, renamed, deleted, used, and suspected copies.
 */
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

  @OnEvent(DomainEvent.PasskeyRegistered)
  passkeyRegistered(event: PasskeyEvent): void {
    this.passkey('passkey_registered', event);
  }

  @OnEvent(DomainEvent.PasskeyRenamed)
  passkeyRenamed(event: PasskeyEvent): void {
    this.passkey('passkey_renamed', event);
  }

  @OnEvent(DomainEvent.PasskeyDeleted)
  passkeyDeleted(event: PasskeyEvent): void {
    this.passkey('passkey_deleted', event);
  }

  @OnEvent(DomainEvent.PasskeyUsed)
  passkeyUsed(event: PasskeyEvent): void {
    this.passkey('passkey_used', event);
  }

  @OnEvent(DomainEvent.PasskeyCloneSuspected)
  passkeyCloneSuspected(event: PasskeyEvent): void {
    this.passkey('passkey_clone_suspected', event);
  }

  private passkey(
    type:
      | 'passkey_registered'
      | 'passkey_renamed'
      | 'passkey_deleted'
      | 'passkey_used'
      | 'passkey_clone_suspected',
    event: PasskeyEvent,
  ): void {
    this.audit.record({
      type,
      userId: event.userId,
      actorId: event.actorId,
      client: event.client,
      details: {
        passkey_id: event.passkeyId,
        ...(event.purpose && { purpose: event.purpose }),
      },
    });
  }
}
