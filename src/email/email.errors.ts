import { DomainError } from 'src/common/domain-error';

/**
 * One answer for every token that cannot be used: unknown, spent, expired, for another purpose, malformed, or
 * for an account that has since changed. Telling them apart would help only someone guessing.
 */
export const invalidEmailTokenError = (): DomainError =>
  new DomainError(
    'EMAIL.TOKEN_INVALID',
    'The link is invalid or has expired; ask for a new one.',
  );

export const emailFeaturesOffError = (): DomainError =>
  new DomainError(
    'EMAIL.FEATURES_OFF',
    'Email features are turned off on this server (EMAIL_FEATURES=off).',
  );

/** At confirmation time: someone registered or confirmed the address after the change was asked for. */
export const emailInUseError = (): DomainError =>
  new DomainError(
    'EMAIL.ALREADY_IN_USE',
    'Another account uses this email address now.',
  );

export const emailUnchangedError = (): DomainError =>
  new DomainError(
    'EMAIL.UNCHANGED',
    'This is already the email address of the account.',
  );
