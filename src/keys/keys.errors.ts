import { DomainError } from 'src/common/domain-error';

export const keyRotationUnavailableError = (
  reason: 'secret' | 'pem',
): DomainError =>
  new DomainError(
    'KEYS.ROTATION_UNAVAILABLE',
    reason === 'secret'
      ? 'HS256 signs with JWT_SECRET, which Gatehouse cannot rotate; set JWT_ALGORITHM=RS256 or ES256 for stored, rotating keys.'
      : 'The signing key is supplied by JWT_PRIVATE_KEY(_FILE); replace it there to rotate.',
  );
