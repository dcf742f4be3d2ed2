import { DomainError } from 'src/common/domain-error';

export const unknownProviderError = (): DomainError =>
  new DomainError(
    'FEDERATION.UNKNOWN_PROVIDER',
    'No sign-in provider of this name is configured (OIDC_PROVIDERS).',
  );

export const providerUnavailableError = (name: string): DomainError =>
  new DomainError(
    'FEDERATION.PROVIDER_UNAVAILABLE',
    `The provider ${name} could not be reached; try again later.`,
    { headers: { 'retry-after': '30' } },
  );

export const redirectNotAllowedError = (): DomainError =>
  new DomainError(
    'FEDERATION.REDIRECT_NOT_ALLOWED',
    'redirect_uri is not one of the addresses this server returns to (OIDC_ALLOWED_REDIRECTS).',
  );

/** The callback cannot tell where to send the browser back: no sign-in of this browser is waiting. */
export const noFlowError = (): DomainError =>
  new DomainError(
    'FEDERATION.NO_SIGN_IN_IN_PROGRESS',
    'No sign-in through this provider is in progress in this browser, or it expired; start again.',
  );

export const invalidExchangeCodeError = (): DomainError =>
  new DomainError(
    'FEDERATION.INVALID_CODE',
    'The code is unknown, used or expired; sign in through the provider again.',
    { headers: { 'www-authenticate': 'Bearer realm="gatehouse"' } },
  );

export const identityNotFoundError = (): DomainError =>
  new DomainError(
    'FEDERATION.IDENTITY_NOT_FOUND',
    'No linked identity of this account has this id.',
  );

export const lastSignInMethodError = (): DomainError =>
  new DomainError(
    'FEDERATION.LAST_SIGN_IN_METHOD',
    'This is the account’s only way to sign in: set a password, add a passkey or link another provider first.',
  );
