import { DomainError } from 'src/common/domain-error';

/**
 * One answer for every failed passkey sign-in: unknown credential, disabled user, wrong origin or RP ID, a bad
 * signature, a counter that went back, an expired or reused ceremony. Telling them apart helps only an attacker.
 */
export const passkeyAuthenticationFailedError = (): DomainError =>
  new DomainError(
    'PASSKEYS.AUTHENTICATION_FAILED',
    'The passkey could not be verified; start again.',
    { headers: { 'www-authenticate': 'Bearer realm="gatehouse"' } },
  );

export const passkeyRegistrationFailedError = (): DomainError =>
  new DomainError(
    'PASSKEYS.REGISTRATION_FAILED',
    'The passkey could not be verified; start the registration again.',
  );

export const passkeyNotFoundError = (): DomainError =>
  new DomainError(
    'PASSKEYS.NOT_FOUND',
    'No passkey of this account has this id.',
  );

export const passkeyAlreadyRegisteredError = (): DomainError =>
  new DomainError(
    'PASSKEYS.ALREADY_REGISTERED',
    'This passkey is registered already.',
  );

export const passkeysOffError = (): DomainError =>
  new DomainError(
    'PASSKEYS.FEATURES_OFF',
    'Passkeys are turned off on this server (PASSKEYS=off).',
  );
