import { DomainError } from 'src/common/domain-error';

export class KeyRotationUnavailableError extends DomainError {
  readonly code = 'KEYS.ROTATION_UNAVAILABLE';
  readonly status = 409;
  readonly title = 'Conflict';
  constructor(reason: 'secret' | 'pem') {
    super(
      reason === 'secret'
        ? 'HS256 signs with JWT_SECRET, which Gatehouse cannot rotate; set JWT_ALGORITHM=RS256 or ES256 for stored, rotating keys.'
        : 'The signing key is supplied by JWT_PRIVATE_KEY(_FILE); replace it there to rotate.',
    );
  }
}
