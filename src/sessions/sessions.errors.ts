import { DomainError } from 'src/common/domain-error';

/** Kept as a class: its challenge repeats the detail, which varies. */
export class InvalidRefreshTokenError extends DomainError {
  constructor(detail = 'The refresh token is invalid, expired or revoked.') {
    super('AUTH.INVALID_REFRESH_TOKEN', detail, {
      headers: {
        'www-authenticate': `Bearer realm="gatehouse", error="invalid_token", error_description="${detail}"`,
      },
    });
  }
}

export const sessionNotFoundError = (): DomainError =>
  new DomainError('SESSIONS.NOT_FOUND', 'No such session.');
