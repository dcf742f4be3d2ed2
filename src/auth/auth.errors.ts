import { DomainError } from 'src/common/domain-error';

export class InvalidCredentialsError extends DomainError {
  readonly code = 'AUTH.INVALID_CREDENTIALS';
  readonly status = 401;
  readonly title = 'Unauthorized';
  constructor() {
    // One body for unknown user, wrong password and disabled account.
    super('Invalid username or password.');
    this.headers = { 'www-authenticate': 'Bearer realm="gatehouse"' };
  }
}

export class RegistrationClosedError extends DomainError {
  readonly code = 'AUTH.REGISTRATION_CLOSED';
  readonly status = 403;
  readonly title = 'Forbidden';
  constructor() {
    super('Registration is closed on this server.');
  }
}

export class WrongCurrentPasswordError extends DomainError {
  readonly code = 'AUTH.WRONG_CURRENT_PASSWORD';
  readonly status = 403;
  readonly title = 'Forbidden';
  constructor() {
    super('The current password is incorrect.');
  }
}
