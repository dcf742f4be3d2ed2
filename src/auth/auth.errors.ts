import { DomainError } from 'src/common/domain-error';

/** One body for unknown user, wrong password and disabled account. */
export const invalidCredentialsError = (): DomainError =>
  new DomainError('AUTH.INVALID_CREDENTIALS', 'Invalid username or password.');

export const registrationClosedError = (): DomainError =>
  new DomainError(
    'AUTH.REGISTRATION_CLOSED',
    'Registration is closed on this server.',
  );

export const userGoneError = (): DomainError =>
  new DomainError('NOT_FOUND', 'The user no longer exists.');

/** Kept as a class: a refused password change is audited with its reason, found with instanceof. */
export class WrongCurrentPasswordError extends DomainError {
  constructor() {
    super('AUTH.WRONG_CURRENT_PASSWORD', 'The current password is incorrect.');
  }
}

/** Only after the right password, so it tells nothing to someone who does not know it. */
export const emailNotVerifiedError = (): DomainError =>
  new DomainError(
    'AUTH.EMAIL_NOT_VERIFIED',
    'Confirm your email address first: use the link we sent, or ask for a new one (POST /auth/email/verify/send).',
  );
