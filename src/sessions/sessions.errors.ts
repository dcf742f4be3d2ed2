import { DomainError } from 'src/common/domain-error';

export class InvalidRefreshTokenError extends DomainError {
  readonly code = 'AUTH.INVALID_REFRESH_TOKEN';
  readonly status = 401;
  readonly title = 'Unauthorized';
  constructor(detail = 'The refresh token is invalid, expired or revoked.') {
    super(detail);
    this.headers = {
      'www-authenticate': `Bearer realm="gatehouse", error="invalid_token", error_description="${detail}"`,
    };
  }
}

export class SessionNotFoundError extends DomainError {
  readonly code = 'SESSIONS.NOT_FOUND';
  readonly status = 404;
  readonly title = 'Not Found';
  constructor() {
    super('No such session.');
  }
}
