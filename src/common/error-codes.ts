/** RFC 9457 titles: the short summary of each HTTP status a problem can carry. */
export const STATUS_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface ErrorCodeSpec {
  status: number;
  title: string;
  /** Headers every response with this code carries; computed ones (Retry-After…) come with the error. */
  headers?: Record<string, string>;
}

function spec(status: number, headers?: Record<string, string>): ErrorCodeSpec {
  return { status, title: STATUS_TITLES[status], ...(headers && { headers }) };
}

/**
 * Every stable code a DomainError can carry, with the HTTP status, title and static headers of its problem.
 * The prefixes name features only as text: common/ imports none of them.
 */
const TABLE = {
  VALIDATION_FAILED: spec(400),
  NOT_FOUND: spec(404),
  SERVICE_UNAVAILABLE: spec(503),
  RATE_LIMITED: spec(429),

  'AUTH.INVALID_CREDENTIALS': spec(401, {
    'www-authenticate': 'Bearer realm="gatehouse"',
  }),
  'AUTH.REGISTRATION_CLOSED': spec(403),
  'AUTH.WRONG_CURRENT_PASSWORD': spec(403),
  'AUTH.TOO_MANY_ATTEMPTS': spec(429),
  'AUTH.TOKEN_MISSING': spec(401),
  'AUTH.TOKEN_EXPIRED': spec(401),
  'AUTH.TOKEN_INVALID': spec(401),
  'AUTH.TOKEN_REVOKED': spec(401),
  'AUTH.INSUFFICIENT_ROLE': spec(403),
  'AUTH.INVALID_REFRESH_TOKEN': spec(401),
  'AUTH.EMAIL_NOT_VERIFIED': spec(403),
  'AUTH.STEP_UP_REQUIRED': spec(401),

  'MFA.ALREADY_ENABLED': spec(409),
  'MFA.NOT_ENABLED': spec(409),
  'MFA.NO_PENDING_SETUP': spec(409),
  'MFA.CODE_MISMATCH': spec(400),
  'MFA.INVALID_CODE': spec(401),
  'MFA.CHALLENGE_INVALID': spec(401),
  'MFA.UNAVAILABLE': spec(503),

  'PASSKEYS.AUTHENTICATION_FAILED': spec(401),
  'PASSKEYS.REGISTRATION_FAILED': spec(400),
  'PASSKEYS.NOT_FOUND': spec(404),
  'PASSKEYS.ALREADY_REGISTERED': spec(409),
  'PASSKEYS.FEATURES_OFF': spec(404),

  'FEDERATION.UNKNOWN_PROVIDER': spec(404),
  'FEDERATION.PROVIDER_UNAVAILABLE': spec(503),
  'FEDERATION.REDIRECT_NOT_ALLOWED': spec(400),
  'FEDERATION.NO_SIGN_IN_IN_PROGRESS': spec(400),
  'FEDERATION.INVALID_CODE': spec(401),
  'FEDERATION.IDENTITY_NOT_FOUND': spec(404),
  'FEDERATION.LAST_SIGN_IN_METHOD': spec(409),

  'EMAIL.TOKEN_INVALID': spec(400),
  'EMAIL.FEATURES_OFF': spec(404),
  'EMAIL.ALREADY_IN_USE': spec(409),
  'EMAIL.UNCHANGED': spec(409),

  'USERS.ALREADY_EXISTS': spec(409),
  'USERS.NOT_FOUND': spec(404),
  'USERS.SELF_LOCKOUT': spec(409),

  'SESSIONS.NOT_FOUND': spec(404),

  'KEYS.ROTATION_UNAVAILABLE': spec(409),

  'PASSWORDS.QUEUE_FULL': spec(503),

  'METRICS.TOKEN_REQUIRED': spec(401, {
    'www-authenticate': 'Bearer realm="metrics"',
  }),
  'METRICS.TOKEN_NOT_CONFIGURED': spec(403),

  'OAUTH.INVALID_CLIENT': spec(401, {
    'www-authenticate':
      'Basic realm="gatehouse introspection", Bearer realm="gatehouse"',
  }),
} satisfies Record<string, ErrorCodeSpec>;

export type ErrorCode = keyof typeof TABLE;

export const ERROR_CODES: Readonly<Record<ErrorCode, ErrorCodeSpec>> = TABLE;
