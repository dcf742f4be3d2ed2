import type { EventClient } from 'src/events/domain-events';

/** Every kind of event the audit trail records. Stable strings: they are stored and filtered on. */
export const AUDIT_EVENT_TYPES = [
  'login_succeeded',
  'login_failed',
  'lockout',
  'refresh_reuse_detected',
  'logout',
  'logout_all',
  'session_revoked',
  'password_changed',
  'password_change_failed',
  'password_reset_requested',
  'password_reset',
  'email_verified',
  'email_change_requested',
  'email_changed',
  'mfa_enrolment_started',
  'mfa_enabled',
  'mfa_verified',
  'mfa_failed',
  'mfa_recovery_codes_regenerated',
  'mfa_disabled',
  'passkey_registered',
  'passkey_renamed',
  'passkey_deleted',
  'passkey_used',
  'passkey_clone_suspected',
  'federation_signed_in',
  'federation_failed',
  'identity_linked',
  'identity_unlinked',
  'user_created',
  'user_disabled',
  'user_deleted',
  'user_role_changed',
  'key_rotated',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/** What a feature hands to AuditService.record(); the time is taken when it is recorded. */
export interface AuditEventInput {
  type: AuditEventType;
  /** The user the event is about (the one whose own event list shows it). */
  userId?: string | null;
  /** Who caused it when that is someone else, e.g. the admin who disabled the user. */
  actorId?: string | null;
  sessionId?: string | null;
  client?: EventClient;
  /** Small, non-secret facts: `{ reason: 'wrong_password' }`, `{ roles: ['admin'] }`, `{ kid }`. */
  details?: Record<string, unknown>;
}

export interface AuditEvent {
  id: string;
  occurredAt: Date;
  type: AuditEventType;
  userId: string | null;
  actorId: string | null;
  ip: string | null;
  userAgent: string | null;
  sessionId: string | null;
  details: Record<string, unknown>;
}

export type NewAuditEvent = Omit<AuditEvent, 'id'>;

export interface AuditEventPage {
  items: AuditEvent[];
  nextCursor: string | null;
}
