import { DomainError } from 'src/common/domain-error';

export type TokenFailure = 'missing' | 'expired' | 'invalid' | 'revoked';

const DESCRIPTIONS: Record<TokenFailure, string> = {
  missing: 'No bearer token was sent.',
  expired: 'The access token has expired.',
  invalid: 'The access token is invalid.',
  revoked: 'The access token has been revoked.',
};

const CODES = {
  missing: 'AUTH.TOKEN_MISSING',
  expired: 'AUTH.TOKEN_EXPIRED',
  invalid: 'AUTH.TOKEN_INVALID',
  revoked: 'AUTH.TOKEN_REVOKED',
} as const satisfies Record<TokenFailure, string>;

export class InvalidAccessTokenError extends DomainError {
  constructor(readonly reason: TokenFailure) {
    super(CODES[reason], DESCRIPTIONS[reason], {
      // RFC 6750 §3.1: a request without credentials gets no error code, only the challenge.
      headers: {
        'www-authenticate':
          reason === 'missing'
            ? 'Bearer realm="gatehouse"'
            : `Bearer realm="gatehouse", error="invalid_token", error_description="${DESCRIPTIONS[reason]}"`,
      },
    });
  }
}

/** Kept as a class: its challenge names the role scope, unlike introspection's refusal with the same code. */
export class InsufficientRoleError extends DomainError {
  constructor() {
    super(
      'AUTH.INSUFFICIENT_ROLE',
      'Your account does not have the role this operation requires.',
      {
        headers: {
          'www-authenticate':
            'Bearer realm="gatehouse", error="insufficient_scope", error_description="role required"',
        },
      },
    );
  }
}

const STEP_UP_DESCRIPTION = 'A more recent sign-in is required';

/**
 * RFC 9470: the token is valid, but the sign-in behind it is older than a sensitive route accepts. The challenge
 * says how recent it must be (`max_age`, seconds), so the client can re-authenticate and retry.
 */
export class StepUpRequiredError extends DomainError {
  constructor(maxAgeSeconds: number) {
    super('AUTH.STEP_UP_REQUIRED', `${STEP_UP_DESCRIPTION}.`, {
      headers: {
        'www-authenticate': `Bearer error="insufficient_user_authentication", error_description="${STEP_UP_DESCRIPTION}", max_age=${maxAgeSeconds}`,
      },
    });
  }
}
