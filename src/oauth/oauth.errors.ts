import { DomainError } from 'src/common/domain-error';

export const introspectionClientError = (): DomainError =>
  new DomainError(
    'OAUTH.INVALID_CLIENT',
    'Introspection needs Basic credentials with INTROSPECTION_SECRET or a bearer token of an admin.',
  );

export const introspectionForbiddenError = (): DomainError =>
  new DomainError(
    'AUTH.INSUFFICIENT_ROLE',
    'Only admins (or callers with INTROSPECTION_SECRET) may introspect tokens.',
    {
      headers: {
        'www-authenticate':
          'Bearer realm="gatehouse", error="insufficient_scope", error_description="role admin required"',
      },
    },
  );
