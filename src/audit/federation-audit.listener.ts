import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { DomainEvent, type FederationEvent } from 'src/events/domain-events';
import type { AuditEventType } from './audit-event';
import { AuditService } from './audit.service';

/** Sign-in through external providers: each checked sign-in, each one that failed, identities linked and unlinked. */
@Injectable()
export class FederationAuditListener {
  constructor(private readonly audit: AuditService) {}

  @OnEvent(DomainEvent.FederatedSignIn)
  signedIn(event: FederationEvent): void {
    this.record('federation_signed_in', event);
  }

  @OnEvent(DomainEvent.FederatedSignInFailed)
  failed(event: FederationEvent): void {
    this.record('federation_failed', event);
  }

  @OnEvent(DomainEvent.IdentityLinked)
  linked(event: FederationEvent): void {
    this.record('identity_linked', event);
  }

  @OnEvent(DomainEvent.IdentityUnlinked)
  unlinked(event: FederationEvent): void {
    this.record('identity_unlinked', event);
  }

  private record(type: AuditEventType, event: FederationEvent): void {
    this.audit.record({
      type,
      userId: event.userId ?? null,
      client: event.client,
      details: {
        provider: event.provider,
        ...(event.identityId && { identity_id: event.identityId }),
        ...(event.created !== undefined && { created: event.created }),
        ...(event.error && { error: event.error }),
      },
    });
  }
}
