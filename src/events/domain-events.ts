/**
 * What happened, as services announce it (EventEmitter2 through @nestjs/event-emitter). Emitters sit above the
 * listeners (audit, metrics, sessions for user changes), so names and payloads live here, at the bottom, and
 * import nothing. Each event is recorded in exactly one place per listener: audit writes a row, metrics counts.
 */
export const DomainEvent = {
  UserCreated: 'user.created',
  /** Emitted with emitAsync and awaited: sessions ends the user's sessions before the request completes. */
  UserDisabled: 'user.disabled',
  UserDeleted: 'user.deleted',
  UserRoleChanged: 'user.role_changed',
  LoginSucceeded: 'login.succeeded',
  LoginFailed: 'login.failed',
  Lockout: 'login.lockout',
  PasswordChanged: 'password.changed',
  PasswordChangeFailed: 'password.change_failed',
  RefreshRotated: 'refresh.rotated',
  RefreshReuseDetected: 'refresh.reuse_detected',
  SessionRevoked: 'session.revoked',
  LoggedOut: 'session.logged_out',
  LoggedOutAll: 'session.logged_out_all',
  /** A question rather than news: answered (through emitAsync) by sessions with the number of live sessions. */
  LiveSessionsCountRequested: 'sessions.count_requested',
  PasswordResetRequested: 'password.reset_requested',
  PasswordReset: 'password.reset',
  EmailVerified: 'email.verified',
  EmailChangeRequested: 'email.change_requested',
  EmailChanged: 'email.changed',
  /** A mail a flow wanted to send was not written: the address had its MAIL_PER_ADDRESS_MAX for the window (no payload). */
  MailSuppressed: 'mail.suppressed',
  MailQueued: 'mail.queued',
  MailSent: 'mail.sent',
  /** A try failed and the mail will be tried again later. */
  MailDeferred: 'mail.deferred',
  /** The outbox gave up on a mail (refused for good, or too old); the row records why. */
  MailFailed: 'mail.failed',
  /** A question: answered (through emitAsync) by mail with the number of mails waiting in the outbox. */
  MailPendingCountRequested: 'mail.pending_count_requested',
  MfaEnrolmentStarted: 'mfa.enrolment_started',
  MfaEnabled: 'mfa.enabled',
  /** A second factor was accepted (at login or re-authentication). */
  MfaVerified: 'mfa.verified',
  MfaFailed: 'mfa.failed',
  RecoveryCodesRegenerated: 'mfa.recovery_codes_regenerated',
  /** Turned off by the user, or reset by an admin (actorId). */
  MfaDisabled: 'mfa.disabled',
  PasskeyRegistered: 'passkey.registered',
  PasskeyRenamed: 'passkey.renamed',
  /** By the user, or by an admin (actorId). */
  PasskeyDeleted: 'passkey.deleted',
  /** A passkey signed the user in, or served as the second factor of a login. */
  PasskeyUsed: 'passkey.used',
  /** A counting credential reported a counter that did not rise: refused, possibly a copy. */
  PasskeyCloneSuspected: 'passkey.clone_suspected',
  /** A sign-in through an external provider reached Gatehouse and was checked (before the code exchange). */
  FederatedSignIn: 'federation.signed_in',
  /** A sign-in through an external provider ended in an error at the client's redirect_uri. */
  FederatedSignInFailed: 'federation.failed',
  IdentityLinked: 'federation.identity_linked',
  IdentityUnlinked: 'federation.identity_unlinked',
  KeyRotated: 'key.rotated',
  /** A question: answered (through emitAsync) by keys with its verified-token cache's counters. */
  VerifiedTokenCacheStatsRequested: 'keys.verified_token_cache_stats_requested',
  AccessTokenRefused: 'access_token.refused',
  HashQueueRejected: 'passwords.hash_queue_rejected',
  RateLimitStoreFull: 'throttling.store_full',
  AuditEventsDropped: 'audit.events_dropped',
  AuditWriteFailed: 'audit.write_failed',
} as const;

/** The verified-token cache's lookups since start, and how full it is (answer to VerifiedTokenCacheStatsRequested). */
export interface VerifiedTokenCacheStats {
  hits: number;
  misses: number;
  entries: number;
  maxEntries: number;
}

/** The caller's address and user agent, as `@ClientContext()` provides them. */
export interface EventClient {
  ip?: string;
  userAgent?: string;
}

/** Why a login failed (never the password, never the submitted login). */
export type LoginFailureReason =
  | 'unknown_user'
  | 'wrong_password'
  | 'disabled'
  | 'locked_out'
  /** The password was right, but the account was disabled, deleted or its password changed before the session was stored. */
  | 'account_changed'
  /** The password was right, but AUTH_EMAIL_VERIFICATION=required and the address is not verified yet. */
  | 'email_unverified';

/**
 * Why a password change was refused: the current password was wrong, the account was locked, the new password broke
 * the policy, the hash queue was full (`busy`), or anything else (`error`).
 */
export type PasswordChangeFailureReason =
  'wrong_password' | 'locked_out' | 'invalid_new_password' | 'busy' | 'error';

/** `rotated`: a new pair; `grace`: a concurrent duplicate answered with the same pair. Reuse is its own event. */
export type RefreshOutcome = 'rotated' | 'grace';

/** Why an access token was refused on a protected route (the reasons of InvalidAccessTokenError). */
export type AccessTokenFailureReason =
  'missing' | 'expired' | 'invalid' | 'revoked';

export interface UserCreatedEvent {
  userId: string;
}

export interface UserDisabledEvent {
  userId: string;
  actorId: string;
}

export interface UserDeletedEvent {
  userId: string;
  actorId: string;
}

export interface UserRoleChangedEvent {
  userId: string;
  actorId: string;
  from: string[];
  to: string[];
}

export interface LoginSucceededEvent {
  userId: string;
  sessionId: string;
  client: EventClient;
}

export interface LoginFailedEvent {
  reason: LoginFailureReason;
  /** Undefined for an unknown login name. */
  userId?: string;
  client: EventClient;
}

export interface LockoutEvent {
  /** Null when the locked subject is a login name that matches no account. */
  userId: string | null;
  until: Date;
}

export interface PasswordChangedEvent {
  userId: string;
  sessionId: string;
  client: EventClient;
}

export interface PasswordChangeFailedEvent extends PasswordChangedEvent {
  reason: PasswordChangeFailureReason;
}

export interface RefreshRotatedEvent {
  outcome: RefreshOutcome;
  sessionId: string;
  userId: string;
}

export interface SessionEndedEvent {
  userId: string;
  sessionId: string;
  client: EventClient;
}

export type RefreshReuseDetectedEvent = SessionEndedEvent;
export type SessionRevokedEvent = SessionEndedEvent;
export type LoggedOutEvent = SessionEndedEvent;

export interface LoggedOutAllEvent {
  userId: string;
  keptSessionId?: string;
  ended: number;
}

export interface KeyRotatedEvent {
  kid: string;
  immediate: boolean;
  actorId?: string;
}

export interface AccessTokenRefusedEvent {
  reason: AccessTokenFailureReason;
}

export interface AuditEventsDroppedEvent {
  count: number;
}

/** Who asked for a mail-bearing action: the user themself, an admin (actorId), or an anonymous caller. */
export interface PasswordResetRequestedEvent {
  userId: string;
  actorId?: string;
  client: EventClient;
}

export interface PasswordResetEvent {
  userId: string;
  client: EventClient;
  /** Sessions ended by the reset. */
  ended: number;
}

export interface EmailVerifiedEvent {
  userId: string;
  /** `link`: the user used a verification link; `admin`: set by an admin (actorId); `reset`: a reset link proved it. */
  via: 'link' | 'admin' | 'reset';
  actorId?: string;
  client: EventClient;
}

export interface EmailChangeRequestedEvent {
  userId: string;
  client: EventClient;
}

export interface EmailChangedEvent {
  userId: string;
  client: EventClient;
}

export interface MailEvent {
  /** The template (password_reset, email_verify, …); never an address or a body. */
  kind: string;
}

export interface MailFailedEvent extends MailEvent {
  reason: 'rejected' | 'expired';
}

export type SecondFactorMethod = 'totp' | 'recovery_code' | 'passkey';

export interface MfaEvent {
  userId: string;
  client: EventClient;
}

export interface MfaVerifiedEvent extends MfaEvent {
  method: SecondFactorMethod;
  /** Where it was accepted: a login challenge or a re-authentication. */
  purpose: 'login' | 'reauthentication';
  /** Recovery codes left after this one (recovery codes only). */
  remaining?: number;
}

export interface MfaFailedEvent extends MfaEvent {
  method: SecondFactorMethod;
  purpose: 'login' | 'reauthentication';
}

export interface MfaDisabledEvent extends MfaEvent {
  /** The admin who reset it; absent when the user turned it off. */
  actorId?: string;
}

export interface PasskeyEvent {
  userId: string;
  passkeyId: string;
  client: EventClient;
  actorId?: string;
  /** PasskeyUsed: a passwordless sign-in, or the second factor of a login. */
  purpose?: 'login' | 'second_factor';
}

export interface FederationEvent {
  /** Absent when the sign-in failed before it knew the user. */
  userId?: string;
  provider: string;
  client: EventClient;
  identityId?: string;
  /** FederatedSignIn: the sign-in created the account. */
  created?: boolean;
  /** FederatedSignInFailed: the error the client's redirect_uri got. */
  error?: string;
}
