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
