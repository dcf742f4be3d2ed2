import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const timestamptz = (name: string) =>
  timestamp(name, { withTimezone: true, mode: 'date' });

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    username: text('username').notNull(),
    /** Null for an account made by an external provider that did not vouch for an address. */
    email: text('email'),
    /** Null for an account that signs in only through an external provider or a passkey. */
    passwordHash: text('password_hash'),
    roles: text('roles')
      .array()
      .notNull()
      .default(sql`'{user}'::text[]`),
    disabled: boolean('disabled').notNull().default(false),
    /**
     * Raised by every change that voids the user's outstanding access tokens (role change, disable). Tokens carry
     * the version they were signed with; the revocation set refuses those below the user's cut-off version, which
     * keeps "tokens issued before the change are void" exact with whole-second `iat`.
     */
    tokenVersion: integer('token_version').notNull().default(0),
    /** When the user proved they read mail at `email` (a verification link, a reset link or an email change); null: never. */
    emailVerifiedAt: timestamptz('email_verified_at'),
    /** The TOTP secret (AES-256-GCM under KEYS_ENCRYPTION_KEY, the user id as associated data) once confirmed. */
    totpSecret: text('totp_secret'),
    /** A secret from POST /auth/mfa/totp/setup waiting for its first code; replaced by the next setup. */
    totpPendingSecret: text('totp_pending_secret'),
    totpEnabledAt: timestamptz('totp_enabled_at'),
    /** The last 30-second time step a code was accepted for: a code (step) is never accepted twice. */
    totpLastStep: integer('totp_last_step'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('users_username_lower_key').on(sql`lower(${t.username})`),
    uniqueIndex('users_email_lower_key').on(sql`lower(${t.email})`),
  ],
);

/** A session is one refresh-token family: created at login, ended by logout, reuse, expiry or an admin. */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamptz('created_at').notNull(),
    lastUsedAt: timestamptz('last_used_at').notNull(),
    idleExpiresAt: timestamptz('idle_expires_at').notNull(),
    expiresAt: timestamptz('expires_at').notNull(),
    revokedAt: timestamptz('revoked_at'),
    revokedReason: text('revoked_reason'),
    userAgent: text('user_agent'),
    ip: text('ip'),
    /** RFC 8176 methods the session's sign-in used (pwd, otp, mfa…); refresh keeps them, re-authentication replaces them. */
    amr: text('amr')
      .array()
      .notNull()
      .default(sql`'{pwd}'::text[]`),
    /** When the user last proved who they are in this session (login or re-authentication). */
    authTime: timestamptz('auth_time').notNull(),
  },
  (t) => [
    index('sessions_user_id_idx').on(t.userId),
    /**
     * When the session ended: the earliest of its absolute end, idle end and revocation (least() skips a null
     * revoked_at). The purge finds ended sessions through it in index order, whatever the table's size; it
     * replaced one index on expires_at and one on revoked_at, which could not serve the idle end.
     */
    index('sessions_ended_at_idx').on(
      sql`least(${t.expiresAt}, ${t.idleExpiresAt}, ${t.revokedAt})`,
    ),
  ],
);

export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    /** SHA-256 of the token, hex. The token itself is never stored. */
    tokenHash: text('token_hash').notNull(),
    createdAt: timestamptz('created_at').notNull(),
    consumedAt: timestamptz('consumed_at'),
    /**
     * The pair issued when this token was rotated, encrypted with a key derived from this token, so that
     * concurrent refreshes inside the grace window (on any instance) can answer with the same pair.
     * Cleared by the purge once the grace window is over.
     */
    successor: text('successor'),
  },
  (t) => [
    uniqueIndex('refresh_tokens_token_hash_key').on(t.tokenHash),
    index('refresh_tokens_session_id_idx').on(t.sessionId),
    /** Only tokens still holding a successor (rotated within the last purge interval): what the purge clears. */
    index('refresh_tokens_successor_consumed_at_idx')
      .on(t.consumedAt)
      .where(sql`${t.successor} is not null`),
  ],
);

/**
 * Durable copy of the in-memory revocation set: ended sessions (`kind = 'session'`) and users whose access
 * tokens signed with a `token_version` below `min_token_version` are void (`kind = 'user'`). `not_before` is when
 * the revocation was made. A row is needed only while an access token it voids could still be unexpired, so
 * `keep_until` is the revocation time plus the access-token lifetime.
 */
export const revocations = pgTable(
  'revocations',
  {
    kind: text('kind', { enum: ['session', 'user'] }).notNull(),
    subjectId: uuid('subject_id').notNull(),
    notBefore: timestamptz('not_before').notNull(),
    minTokenVersion: integer('min_token_version'),
    keepUntil: timestamptz('keep_until').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.kind, t.subjectId] }),
    index('revocations_keep_until_idx').on(t.keepUntil),
  ],
);

export type UserRow = typeof users.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;

/**
 * Asymmetric signing keys (JWT_ALGORITHM RS256/ES256 without JWT_PRIVATE_KEY). A key is published from
 * `created_at`, signs from `activates_at` until the next key activates, then only verifies until its last token
 * expired, and is deleted. The private key is AES-256-GCM encrypted under KEYS_ENCRYPTION_KEY.
 */
export const signingKeys = pgTable(
  'signing_keys',
  {
    kid: text('kid').primaryKey(),
    alg: text('alg', { enum: ['RS256', 'ES256'] }).notNull(),
    /** The public JWK (kty and n/e or crv/x/y); never private parameters. */
    publicJwk: jsonb('public_jwk').$type<Record<string, string>>().notNull(),
    privateKeyEncrypted: text('private_key_encrypted').notNull(),
    /** The kid this key replaces. Unique, so when instances race to rotate, exactly one insert wins. */
    succeeds: text('succeeds'),
    createdAt: timestamptz('created_at').notNull(),
    activatesAt: timestamptz('activates_at').notNull(),
  },
  (t) => [
    uniqueIndex('signing_keys_succeeds_key').on(
      sql`coalesce(${t.succeeds}, '')`,
    ),
  ],
);

export type SigningKeyRow = typeof signingKeys.$inferSelect;

/**
 * The audit trail, append-only (a trigger refuses updates; only the retention purge deletes). No foreign keys:
 * events must outlive the user, session or key they mention.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    occurredAt: timestamptz('occurred_at').notNull(),
    type: text('type').notNull(),
    userId: uuid('user_id'),
    actorId: uuid('actor_id'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    sessionId: uuid('session_id'),
    details: jsonb('details')
      .$type<Record<string, unknown>>()
      .notNull()
      .default(sql`'{}'::jsonb`),
  },
  (t) => [
    index('audit_events_occurred_at_idx').on(t.occurredAt, t.id),
    index('audit_events_user_id_idx').on(t.userId, t.occurredAt, t.id),
    index('audit_events_type_idx').on(t.type, t.occurredAt, t.id),
  ],
);

export type AuditEventRow = typeof auditEvents.$inferSelect;

/**
 * Single-use tokens sent by mail: a password reset, an email verification or an email change. Only the SHA-256 of
 * the token is stored. `email` is the address the token was sent to (for a change: the new address, applied when
 * the token is used). A token is spent by setting `used_at` in one conditional statement.
 */
export const emailTokens = pgTable(
  'email_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: text('purpose', {
      enum: ['password_reset', 'email_verify', 'email_change'],
    }).notNull(),
    tokenHash: text('token_hash').notNull(),
    email: text('email').notNull(),
    createdAt: timestamptz('created_at').notNull(),
    expiresAt: timestamptz('expires_at').notNull(),
    usedAt: timestamptz('used_at'),
  },
  (t) => [
    uniqueIndex('email_tokens_token_hash_key').on(t.tokenHash),
    index('email_tokens_user_id_idx').on(t.userId),
    index('email_tokens_expires_at_idx').on(t.expiresAt),
  ],
);

export type EmailTokenRow = typeof emailTokens.$inferSelect;

/**
 * Mail waiting to be sent, written in the same transaction as whatever it announces (a token, a changed
 * password). Senders on any instance claim due rows with FOR UPDATE SKIP LOCKED by pushing `next_attempt_at`
 * past the send timeout (a lease), so one mail is never sent twice. The bodies are cleared once the mail is sent
 * or given up, so links do not outlive their delivery; the row itself is purged after MAIL_RETENTION.
 */
export const mailOutbox = pgTable(
  'mail_outbox',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Which template: password_reset, email_verify, … (for logs and metrics; never the content). */
    kind: text('kind').notNull(),
    recipient: text('recipient').notNull(),
    subject: text('subject').notNull(),
    textBody: text('text_body'),
    htmlBody: text('html_body'),
    createdAt: timestamptz('created_at').notNull(),
    nextAttemptAt: timestamptz('next_attempt_at').notNull(),
    attempts: integer('attempts').notNull().default(0),
    sentAt: timestamptz('sent_at'),
    failedAt: timestamptz('failed_at'),
    lastError: text('last_error'),
  },
  (t) => [
    index('mail_outbox_due_idx')
      .on(t.nextAttemptAt)
      .where(sql`${t.sentAt} is null and ${t.failedAt} is null`),
    index('mail_outbox_created_at_idx').on(t.createdAt),
  ],
);

export type MailOutboxRow = typeof mailOutbox.$inferSelect;

/** One-time recovery codes for a user with a second factor; only their SHA-256 is stored, `used_at` spends one. */
export const recoveryCodes = pgTable(
  'recovery_codes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull(),
    createdAt: timestamptz('created_at').notNull(),
    usedAt: timestamptz('used_at'),
  },
  (t) => [uniqueIndex('recovery_codes_user_code_key').on(t.userId, t.codeHash)],
);

/**
 * A login that passed the password and waits for its second factor. Only the token's SHA-256 is stored; it
 * carries the login's client context into the session it ends in. `attempts` is raised before each code is
 * checked, so at most MFA_MAX_CODE_ATTEMPTS codes are ever checked against one challenge.
 */
export const mfaChallenges = pgTable(
  'mfa_challenges',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    ip: text('ip'),
    userAgent: text('user_agent'),
    createdAt: timestamptz('created_at').notNull(),
    expiresAt: timestamptz('expires_at').notNull(),
    attempts: integer('attempts').notNull().default(0),
    usedAt: timestamptz('used_at'),
    /** How the first factor was proved (RFC 8176): pwd for a password, fed for an external provider. */
    firstFactor: text('first_factor', { enum: ['pwd', 'fed'] })
      .notNull()
      .default('pwd'),
  },
  (t) => [
    uniqueIndex('mfa_challenges_token_hash_key').on(t.tokenHash),
    index('mfa_challenges_expires_at_idx').on(t.expiresAt),
  ],
);

/** WebAuthn credentials (passkeys). `credential_id` and `public_key` are base64url; the counter only ever rises. */
export const passkeys = pgTable(
  'passkeys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    credentialId: text('credential_id').notNull(),
    publicKey: text('public_key').notNull(),
    counter: bigint('counter', { mode: 'number' }).notNull(),
    transports: text('transports')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    backedUp: boolean('backed_up').notNull(),
    deviceType: text('device_type').notNull(),
    name: text('name').notNull(),
    createdAt: timestamptz('created_at').notNull(),
    lastUsedAt: timestamptz('last_used_at'),
  },
  (t) => [
    uniqueIndex('passkeys_credential_id_key').on(t.credentialId),
    index('passkeys_user_id_idx').on(t.userId),
  ],
);

/**
 * A WebAuthn ceremony in progress: the challenge the server issued, for whom (null: a usernameless sign-in) and what
 * for. A verify deletes the row before it checks anything, so a replayed response finds no challenge.
 */
export const webauthnCeremonies = pgTable(
  'webauthn_ceremonies',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: text('kind', {
      enum: ['registration', 'authentication', 'second_factor'],
    }).notNull(),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    challenge: text('challenge').notNull(),
    createdAt: timestamptz('created_at').notNull(),
    expiresAt: timestamptz('expires_at').notNull(),
  },
  (t) => [index('webauthn_ceremonies_expires_at_idx').on(t.expiresAt)],
);

/** An account at an external OpenID provider that signs in as this user: (issuer, subject) is the identity. */
export const federatedIdentities = pgTable(
  'federated_identities',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The configured name it signed in through (OIDC_PROVIDERS); the issuer is what identifies it. */
    provider: text('provider').notNull(),
    issuer: text('issuer').notNull(),
    subject: text('subject').notNull(),
    /** The address the provider gave at the last sign-in, for display; null when it gave none. */
    email: text('email'),
    createdAt: timestamptz('created_at').notNull(),
    lastUsedAt: timestamptz('last_used_at'),
  },
  (t) => [
    uniqueIndex('federated_identities_issuer_subject_key').on(
      t.issuer,
      t.subject,
    ),
    index('federated_identities_user_id_idx').on(t.userId),
  ],
);

/**
 * A sign-in at an external provider in progress: what the callback must find again (state, nonce, PKCE verifier,
 * the client's redirect) and the SHA-256 of the secret in the browser's cookie it is bound to. The callback deletes
 * the row before it checks anything, so a flow is used once.
 */
export const oidcFlows = pgTable(
  'oidc_flows',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    provider: text('provider').notNull(),
    bindingHash: text('binding_hash').notNull(),
    state: text('state').notNull(),
    nonce: text('nonce').notNull(),
    codeVerifier: text('code_verifier').notNull(),
    redirectUri: text('redirect_uri').notNull(),
    /** The client's own `state`, echoed back to its redirect_uri. */
    clientState: text('client_state'),
    /** Set when a signed-in user links a provider account instead of signing in. */
    linkUserId: uuid('link_user_id').references(() => users.id, {
      onDelete: 'cascade',
    }),
    createdAt: timestamptz('created_at').notNull(),
    expiresAt: timestamptz('expires_at').notNull(),
  },
  (t) => [index('oidc_flows_expires_at_idx').on(t.expiresAt)],
);

/** The one-time code a finished provider sign-in hands the client for POST /auth/oidc/exchange; SHA-256 at rest. */
export const oidcExchangeCodes = pgTable(
  'oidc_exchange_codes',
  {
    codeHash: text('code_hash').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    /** The provider's word on a second factor is taken (OIDC_<NAME>_TRUST_MFA) for this sign-in. */
    mfaTrusted: boolean('mfa_trusted').notNull(),
    createdAt: timestamptz('created_at').notNull(),
    expiresAt: timestamptz('expires_at').notNull(),
    usedAt: timestamptz('used_at'),
  },
  (t) => [index('oidc_exchange_codes_expires_at_idx').on(t.expiresAt)],
);
