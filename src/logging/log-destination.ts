/**
 * Where log lines go. Null means the process's stdout (JSON) or pino-pretty (pretty); tests override this
 * provider with a stream they read back.
 */
export const LOG_DESTINATION = Symbol('LOG_DESTINATION');
