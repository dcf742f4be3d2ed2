import { DomainError } from 'src/common/domain-error';

export type TokenFailure = 'missing' | 'expired' | 'invalid' | 'revoked';

const DESCRIPTIONS: Record<TokenFailure, string> = {
  missing: 'No bearer token was sent.',
  expired: 'The access token has expired.',
  invalid: 'The access token is invalid.',
  revoked: 'The access token has been revoked.',
};

export class InvalidAccessTokenError extends DomainError {
  readonly code: string;
  readonly status = 401;
  readonly title = 'Unauthorized';
  constructor(readonly reason: TokenFailure) {
    super(DESCRIPTIONS[reason]);
    this.code =
      reason === 'missing'
        ? 'AUTH.TOKEN_MISSING'
        : `AUTH.TOKEN_${reason.toUpperCase()}`;
    // RFC 6750 §3.1: a request without credentials gets no error code, only the challenge.
    this.headers = {
      'www-authenticate':
        reason === 'missing'
          ? 'Bearer realm="gatehouse"'
          : `Bearer realm="gatehouse", error="invalid_token", error_description="${DESCRIPTIONS[reason]}"`,
    };
  }
}

export class InsufficientRoleError extends DomainError {
  readonly code = 'AUTH.INSUFFICIENT_ROLE';
  readonly status = 403;
  readonly title = 'Forbidden';
  constructor() {
    super('Your account does not have the role this operation requires.');
    this.headers = {
      'www-authenticate':
        'Bearer realm="gatehouse", error="insufficient_scope", error_description="role required"',
    };
  }
}
