import { DomainError } from 'src/common/domain-error';

export class IntrospectionClientError extends DomainError {
  readonly code = 'OAUTH.INVALID_CLIENT';
  readonly status = 401;
  readonly title = 'Unauthorized';
  constructor() {
    super(
      'Introspection needs Basic credentials with INTROSPECTION_SECRET or a bearer token of an admin.',
    );
    this.headers = {
      'www-authenticate':
        'Basic realm="gatehouse introspection", Bearer realm="gatehouse"',
    };
  }
}

export class IntrospectionForbiddenError extends DomainError {
  readonly code = 'AUTH.INSUFFICIENT_ROLE';
  readonly status = 403;
  readonly title = 'Forbidden';
  constructor() {
    super(
      'Only admins (or callers with INTROSPECTION_SECRET) may introspect tokens.',
    );
    this.headers = {
      'www-authenticate':
        'Bearer realm="gatehouse", error="insufficient_scope", error_description="role admin required"',
    };
  }
}
