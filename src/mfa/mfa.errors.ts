import { DomainError } from 'src/common/domain-error';

export const mfaAlreadyEnabledError = (): DomainError =>
  new DomainError(
    'MFA.ALREADY_ENABLED',
    'A second factor is already on; turn it off first to enrol another.',
  );

export const mfaNotEnabledError = (): DomainError =>
  new DomainError(
    'MFA.NOT_ENABLED',
    'No second factor is on for this account.',
  );

export const noPendingSetupError = (): DomainError =>
  new DomainError(
    'MFA.NO_PENDING_SETUP',
    'Start with POST /auth/mfa/totp/setup, then confirm with a code from the app.',
  );

/** Enrolment: the code does not match the secret being set up (nothing is counted; the caller is signed in). */
export const codeMismatchError = (): DomainError =>
  new DomainError(
    'MFA.CODE_MISMATCH',
    'The code does not match; check the time on the device and try the next code.',
  );

/** Sign-in: a wrong, reused or expired code or recovery code. Counts toward the account's lockout. */
export const invalidSecondFactorError = (): DomainError =>
  new DomainError(
    'MFA.INVALID_CODE',
    'The code is wrong or was used already.',
    {
      headers: { 'www-authenticate': 'Bearer realm="gatehouse"' },
    },
  );

/** Unknown, expired, spent, or destroyed after too many wrong codes: one answer, sign in again. */
export const invalidChallengeError = (): DomainError =>
  new DomainError(
    'MFA.CHALLENGE_INVALID',
    'The sign-in challenge is invalid or has expired; sign in again.',
    { headers: { 'www-authenticate': 'Bearer realm="gatehouse"' } },
  );

export const mfaUnavailableError = (): DomainError =>
  new DomainError(
    'MFA.UNAVAILABLE',
    'Second factors need KEYS_ENCRYPTION_KEY on this server (it encrypts the secrets).',
  );
