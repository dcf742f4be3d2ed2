import type {
  AccessTokenFailureReason,
  LoginFailureReason,
  RefreshOutcome as RefreshEventOutcome,
} from 'src/events/domain-events';

/** Why a login ended as it did; `succeeded` is the only success. */
export type LoginOutcome = 'succeeded' | LoginFailureReason;

export const LOGIN_OUTCOMES: readonly LoginOutcome[] = [
  'succeeded',
  'unknown_user',
  'wrong_password',
  'disabled',
  'locked_out',
  'account_changed',
  'email_unverified',
];

/** `rotated`: a new pair; `grace`: a concurrent duplicate answered with the same pair; `reuse`: session ended. */
export type RefreshOutcome = RefreshEventOutcome | 'reuse';

export const REFRESH_OUTCOMES: readonly RefreshOutcome[] = [
  'rotated',
  'grace',
  'reuse',
];

export type TokenFailureReason = AccessTokenFailureReason;

export const TOKEN_FAILURE_REASONS: readonly TokenFailureReason[] = [
  'missing',
  'expired',
  'invalid',
  'revoked',
];
