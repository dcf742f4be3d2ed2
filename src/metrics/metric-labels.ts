/** Why a login ended as it did; `succeeded` is the only success. */
export type LoginOutcome =
  | 'succeeded'
  | 'unknown_user'
  | 'wrong_password'
  | 'disabled'
  | 'locked_out'
  | 'account_changed';

export const LOGIN_OUTCOMES: readonly LoginOutcome[] = [
  'succeeded',
  'unknown_user',
  'wrong_password',
  'disabled',
  'locked_out',
  'account_changed',
];

/** `rotated`: a new pair; `grace`: a concurrent duplicate answered with the same pair; `reuse`: session ended. */
export type RefreshOutcome = 'rotated' | 'grace' | 'reuse';

export const REFRESH_OUTCOMES: readonly RefreshOutcome[] = [
  'rotated',
  'grace',
  'reuse',
];

/** Mirrors the reasons of InvalidAccessTokenError without importing the auth feature. */
export type TokenFailureReason = 'missing' | 'expired' | 'invalid' | 'revoked';

export const TOKEN_FAILURE_REASONS: readonly TokenFailureReason[] = [
  'missing',
  'expired',
  'invalid',
  'revoked',
];
